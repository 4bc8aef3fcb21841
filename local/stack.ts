/**
 * The whole local stack in one call: DynamoDB Local (or a given endpoint), the table, the local
 * SES server, the JWT issuer, the movable clock, the API server and the schedule. `npm start` and
 * the HTTP tests both use it, so the tests exercise exactly what a developer runs.
 */
import type { Server } from 'node:http';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import type { DrainReport } from '../lambdas/modules/mail/delivery.ts';
import type { Mailer } from '../lambdas/kernel/ports.ts';
import { buildDeps, createTelemetry, documentClient, type AppDeps, type Settings, type Telemetry } from '../lambdas/runtime/index.ts';
import { createSesMailer } from '../lambdas/runtime/ses-mailer.ts';
import { createLocalKeySet, type LocalKeySet } from '../lambdas/modules/keys/local-keys.ts';
import { LocalClock } from './clock.ts';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynamoLocal, type DynamoLocal } from './dynamodb.ts';
import { createLocalIssuer, type LocalIssuer } from './jwt.ts';
import { freePort } from './ports.ts';
import { lambdaContext, loadHandler, startLocalServer } from './server.ts';
import { createLocalBus, createStreamPoller, type LocalBus } from './events.ts';
import type { EventBus } from '../lambdas/modules/events/rules.ts';

export interface StackOptions {
  /** API port (0: any free port). */
  port: number;
  host?: string;
  /** SES server port (0: any free port). */
  sesPort: number;
  /** Use this DynamoDB endpoint instead of starting DynamoDB Local. */
  dynamoEndpoint?: string;
  dynamoPort?: number;
  dataDir?: string;
  tableName?: string;
  /** Create the table with its stream (as in AWS); tests turn it off (see `createTableInput`). */
  tableStream?: boolean;
  /**
   * The instant the stack's clock reads at start (it runs on from there); default: now. Only the
   * clock the handlers and jobs see moves: the ID tokens of `/_local/token` keep real time.
   */
  clockStart?: Date | string;
  /** Run the expiry job this often (ms of real time); 0: never on its own. */
  expireEveryMs?: number;
  /** Deliver due mail this often (ms); 0: only when asked. */
  deliverEveryMs?: number;
  /** Deliver due mail after every write, before answering (as the stream does in AWS, at once). */
  deliverOnWrite?: boolean;
  mailFrom?: string;
  appBaseUrl?: string;
  /** The console's built files served at `/app` (default `web/dist`). */
  consoleDir?: string;
  /**
   * Publish every state change as an event (the table's stream read by the publisher, onto a bus
   * kept in memory: `GET /_local/events`). Default: when the table has its stream.
   */
  events?: boolean;
  /** Read the stream this often (ms) besides after every write; default 250, 0: only when asked. */
  eventsEveryMs?: number;
  /** Wraps the local bus (tests make EventBridge fail with it). */
  wrapEventBus?: (b: EventBus) => EventBus;
  /** Wraps the SES mailer (tests inject faults with it). */
  wrapMailer?: (m: Mailer) => Mailer;
  /**
   * Sees the DynamoDB client of the handlers and jobs before first use: tests add SDK middleware
   * to it that records the keys asked for or injects faults (throttling, timeouts, cancellations).
   */
  onDynamoClient?: (client: DynamoDBClient) => void;
  /** The document client of the handlers and jobs instead of the stack's own (the bench meters its calls). */
  doc?: DynamoDBDocumentClient;
  /**
   * The handlers' and jobs' logger and metrics. Default: warnings and errors only, as JSON lines on
   * stdout and stderr, and no metrics (a test that checks them passes its own `createTelemetry()`).
   */
  telemetry?: Telemetry;
  /**
   * Settings instead of the local ones (`npm start` passes those the environment gives:
   * `SUPPORT_EMAIL_DOMAINS`, `CURSOR_SECRET`, `AUDIT_KEY`, `EVENT_KEY`, the v1.2 integration settings).
   */
  settings?: Partial<
    Pick<Settings, 'supportEmailDomains' | 'cursorSecret' | 'auditKey' | 'eventKey' | 'sessionTokenAudience' | 'integration'>
  >;
}

export interface Stack {
  url: string;
  sesUrl: string;
  dynamoEndpoint: string;
  tableName: string;
  clock: LocalClock;
  /** The dependencies the handlers and jobs of this stack are given. */
  runtime: AppDeps;
  /** The JWT issuer, so tests can mint tokens that `/_local/token` refuses to (already expired). */
  issuer: LocalIssuer;
  /** The support-session token keys, made at start (tests rotate them). */
  sessionKeys: LocalKeySet;
  runExpiry(): Promise<unknown>;
  deliver(): Promise<unknown>;
  /** The local bus (null: events off) and a read of the stream now. */
  events: LocalBus | null;
  publishEvents(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const host = opts.host ?? '127.0.0.1';
  const tableName = opts.tableName ?? 'support-access';
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => console.error('stop failed', e));
  };
  try {
    let dynamo: DynamoLocal | undefined;
    let dynamoEndpoint = opts.dynamoEndpoint;
    if (!dynamoEndpoint) {
      dynamo = await startDynamoLocal({
        ...(opts.dynamoPort ? { port: opts.dynamoPort } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      });
      stops.push(() => dynamo!.stop());
      dynamoEndpoint = dynamo.endpoint;
    }
    await ensureTable(dynamoEndpoint, tableName, { stream: opts.tableStream ?? true });

    const sesPort = opts.sesPort || (await freePort());
    const sesServer = (await import('aws-ses-v2-local')).default as unknown as (c: { host: string; port: number }) => Promise<Server>;
    const ses = await sesServer({ host, port: sesPort });
    stops.push(() => new Promise((r) => ses.close(() => r())));
    const sesUrl = `http://${host === '0.0.0.0' ? 'localhost' : host}:${sesPort}`;

    const port = opts.port || (await freePort());
    const url = `http://localhost:${port}`;
    const clock = new LocalClock(opts.clockStart);
    // API tokens: a key made now, the stack's origin as their issuer (as deployed: the API's address).
    const issuer = createLocalIssuer(url);
    const dynamoClient = localDynamoClient(dynamoEndpoint);
    opts.onDynamoClient?.(dynamoClient);
    const mailFrom = opts.mailFrom ?? 'support-access@example.com';
    const sesMailer = createSesMailer(
      new SESClient({ endpoint: sesUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 }),
      mailFrom,
    );
    const local = (name: string, value: string) => ({ name, arnName: `${name}_SECRET_ARN`, value });
    const settings: Settings = {
      tableName,
      // The support staff of the local stack are @vendor.test (the demo's Sam and Lee).
      supportEmailDomains: 'vendor.test',
      cursorSecret: local('CURSOR_SECRET', 'local-only-cursor-secret'),
      auditKey: local('AUDIT_KEY', 'local-only-audit-key'),
      eventKey: local('EVENT_KEY', 'local-only-event-key'),
      mailFrom,
      appBaseUrl: opts.appBaseUrl ?? `http://localhost:${port}/app`,
      secretsExtension: { port: '', sessionToken: '', timeoutMs: 0 },
      inLambda: false,
      integration: {},
      ...opts.settings,
    };
    // Support-session tokens: a key made now, the API's address as issuer (as deployed).
    const sessionKeys = await createLocalKeySet();
    // ---- events: the stream, the publisher, the bus ----
    const eventsOn = opts.events ?? opts.tableStream ?? true;
    const events: LocalBus | null = eventsOn ? createLocalBus() : null;
    const runtime = buildDeps(
      {
        ...settings,
        sessionTokenIssuer: url,
        tokenIssuer: url,
        sessionTokenAudience: settings.sessionTokenAudience ?? process.env.SESSION_TOKEN_AUDIENCE ?? 'support-access-local',
      },
      {
        doc: opts.doc ?? documentClient(dynamoClient),
        clock,
        mailer: opts.wrapMailer ? opts.wrapMailer(sesMailer) : sesMailer,
        sessionKeys,
        apiTokenKeys: issuer.keys,
        telemetry: opts.telemetry ?? createTelemetry({ logLevel: 'WARN', metrics: false }),
        ...(events ? { bus: opts.wrapEventBus ? opts.wrapEventBus(events) : events } : {}),
      },
    );
    const deps = () => runtime;

    let publishEvents = async () => undefined as void;
    if (eventsOn) {
      const publisher = await loadHandler('lambdas/jobs/publish.ts', deps);
      const poller = await createStreamPoller(
        dynamoEndpoint,
        tableName,
        (ev) => publisher(ev, lambdaContext('support-access-publisher', 60_000)) as unknown as Promise<DynamoDBBatchResponse>,
      );
      publishEvents = () => poller.poll();
    }

    const expireJob = await loadHandler('lambdas/jobs/expire.ts', deps);
    const runExpiryOnly = () =>
      expireJob(
        { 'detail-type': 'Scheduled Event', source: 'aws.events', time: clock.now().toISOString() },
        lambdaContext('support-access-expire', 5 * 60_000),
      );
    const runExpiry = async () => {
      const report = await runExpiryOnly();
      await publishEvents().catch((e: unknown) => console.error('publishing events failed', e));
      return report;
    };
    // The notifier's scheduled trigger: what EventBridge sends it every minute in AWS.
    const notifier = await loadHandler('lambdas/jobs/deliver.ts', deps);
    const deliver = () =>
      notifier(
        { 'detail-type': 'Scheduled Event', source: 'aws.events', time: clock.now().toISOString() },
        lambdaContext('support-access-notifier', 60_000),
      ) as Promise<DrainReport>;

    const server = await startLocalServer(port, host, {
      deps,
      clock,
      issuer,
      jobs: { expire: runExpiry, drainOutbox: deliver },
      outbox: {
        failed: () => runtime.store.listFailedOutbox(100),
        redrive: (id) => runtime.store.redriveOutbox(id, clock.now().toISOString()),
      },
      ...(opts.deliverOnWrite || eventsOn
        ? {
            afterWrite: async () => {
              if (opts.deliverOnWrite) await deliver();
              await publishEvents();
            },
          }
        : {}),
      events: () => events?.items ?? null,
      ...(opts.consoleDir ? { consoleDir: opts.consoleDir } : {}),
    });
    stops.push(
      () =>
        new Promise((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );

    const every = (ms: number | undefined, job: () => Promise<unknown>, name: string) => {
      if (!ms) return;
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        job()
          .catch((e: unknown) => console.error(`${name} failed`, e))
          .finally(() => (running = false));
      }, ms);
      stops.push(async () => clearInterval(timer));
    };
    every(opts.expireEveryMs, runExpiry, 'expiry job');
    every(opts.deliverEveryMs, deliver, 'mail delivery');
    if (eventsOn) every(opts.eventsEveryMs ?? 250, publishEvents, 'event publishing');

    return { url, sesUrl, dynamoEndpoint, tableName, clock, runtime, issuer, sessionKeys, runExpiry, deliver, events, publishEvents, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
