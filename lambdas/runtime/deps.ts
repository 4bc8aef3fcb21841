/**
 * The composition root: `buildDeps(settings)` wires the ports the domain is given (the store, the
 * clock, the ids, the mailer, the links, the secrets) and the function's logger and metrics from the
 * settings. Every Lambda entry, the
 * local stack, the scripts and the tests build their dependencies here.
 */
import type { ApiTokenKeys } from '../modules/tokens/index.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryDeps } from '../modules/mail/delivery.ts';
import type { EventBus } from '../modules/events/rules.ts';
import type { SessionTokens } from '../modules/sessions/session-token.ts';
import type { KeySet } from '../modules/keys/key-set.ts';
import { parseSupportEmailDomains } from '../kernel/identity.ts';
import { linksFrom, type Links } from '../modules/mail/templates.ts';
import type { AuditChainStore, AuditVerifyStore, Clock, Deps, IdempotencyStore, Ids, Mailer, OutboxStore, Store } from '../kernel/ports.ts';
import { createDynamoStore } from './dynamo-store.ts';
import { documentClient, dynamoClient } from './clients.ts';
import { systemClock, ulidIds } from './ids.ts';
import { secretsFrom, type Secrets } from './secrets.ts';
import { required, type Settings } from './settings.ts';
import { createTelemetry, type Telemetry } from './telemetry.ts';

/** Every port of the table. */
export type StorePorts = Store & OutboxStore & IdempotencyStore & AuditChainStore & AuditVerifyStore;

/** What the functions are given: the domain's `Deps`, the whole store, the secrets, mail. */
export interface AppDeps extends Deps {
  store: StorePorts;
  /** The deployment's support email domains; reading them without the setting throws. */
  readonly supportEmailDomains: readonly string[];
  secrets: Secrets;
  /** The mailer (the notifier's SES, `runtime/mailer.ts`); where none is wired, reading it throws. */
  readonly mailer: Mailer;
  /** The session-token keys (KMS deployed, `runtime/kms.ts`); where none are wired, reading them throws. */
  readonly sessionKeys: KeySet;
  /** What the domain needs to issue session tokens: the signer, the issuer and the audience. */
  readonly tokens: SessionTokens;
  /** The API-token keys and their issuer (`TOKEN_ISSUER`): the doors mint with them, discovery lists them. */
  readonly apiTokens: { keys: ApiTokenKeys; issuer: string };
  /** The events' bus (the publisher's EventBridge, `runtime/eventbridge-bus.ts`); where none is wired, reading it throws. */
  readonly bus: EventBus;
  /** Links into the console, for emails; without `APP_BASE_URL`, reading them throws. */
  readonly links: Links;
  /** The function's logger and metrics (`runtime/telemetry.ts`). */
  telemetry: Telemetry;
}

/** Parts the caller brings instead of those the settings describe (the local stack, tests). */
export interface Wiring {
  doc?: DynamoDBDocumentClient;
  clock?: Clock;
  ids?: Ids;
  mailer?: Mailer;
  sessionKeys?: KeySet;
  apiTokenKeys?: ApiTokenKeys;
  bus?: EventBus;
  /** The logger and metrics (the local stack's write warnings only and drop the metrics). */
  telemetry?: Telemetry;
}

const unwired = (what: string, where: string): never => {
  throw new Error(`this function has no ${what} (${where})`);
};

/** Memoizes a value made on first use. */
function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

export function buildDeps(settings: Settings, wiring: Wiring = {}): AppDeps {
  const clock = wiring.clock ?? systemClock;
  const secrets = secretsFrom(settings);
  const doc = wiring.doc ?? documentClient(dynamoClient(settings.dynamoEndpoint));
  const telemetry = wiring.telemetry ?? createTelemetry();
  // Every audit event written gets its MAC under the event key, read once per container.
  const store = createDynamoStore({
    doc,
    tableName: required(settings.tableName, 'TABLE_NAME'),
    eventKey: secrets.eventKey,
    log: telemetry.log,
  });
  // Who may be named on a grant: read when first needed; only the API functions have it.
  const domains = lazy(() => parseSupportEmailDomains(required(settings.supportEmailDomains, 'SUPPORT_EMAIL_DOMAINS')));
  const mailer = lazy(() => wiring.mailer ?? unwired('mailer', 'only the notifier sends mail'));
  const sessionKeys = lazy(() => wiring.sessionKeys ?? unwired('session-token keys', 'only the sessions and keys functions have them'));
  const tokens = lazy((): SessionTokens => ({
    signer: sessionKeys().signer,
    issuer: required(settings.sessionTokenIssuer, 'SESSION_TOKEN_ISSUER'),
    audience: required(settings.sessionTokenAudience, 'SESSION_TOKEN_AUDIENCE'),
  }));
  const apiTokens = lazy(() => ({
    keys: wiring.apiTokenKeys ?? unwired('API-token keys', 'only the keys function and the doors have them'),
    issuer: required(settings.tokenIssuer, 'TOKEN_ISSUER'),
  }));
  const bus = lazy(() => wiring.bus ?? unwired('event bus', 'only the publisher puts events'));
  const links = lazy(() => linksFrom(required(settings.appBaseUrl, 'APP_BASE_URL')));
  return {
    store,
    clock,
    ids: wiring.ids ?? ulidIds(clock),
    secrets,
    telemetry,
    get supportEmailDomains() {
      return domains();
    },
    get mailer() {
      return mailer();
    },
    get links() {
      return links();
    },
    get sessionKeys() {
      return sessionKeys();
    },
    get tokens() {
      return tokens();
    },
    get bus() {
      return bus();
    },
    get apiTokens() {
      return apiTokens();
    },
  };
}

/** What the notifier's domain functions take. */
export const deliveryDeps = (deps: AppDeps): DeliveryDeps => ({
  store: deps.store,
  outbox: deps.store,
  mailer: deps.mailer,
  clock: deps.clock,
  links: deps.links,
});
