/**
 * Secrets: given as a value (the local stack) or read once per container from Secrets Manager
 * through the Parameters and Secrets Lambda Extension (no SDK client in the bundle).
 */
import { required, type SecretSetting, type Settings } from './settings.ts';

/** The keys the functions may need, each read when first asked for and then kept. */
export interface Secrets {
  /** Signs list cursors. */
  cursor(): Promise<string>;
  /** The audit hash chain's HMAC key. */
  auditKey(): Promise<string>;
  /** The key of the audit events' write-time MACs. */
  eventKey(): Promise<string>;
}

const WHAT: Record<string, string> = { CURSOR_SECRET: 'cursor secret', AUDIT_KEY: 'audit chain key', EVENT_KEY: 'audit event key' };

/** A secret's value: given, or fetched once (a failed read is retried by the next call). */
export function secretReader(setting: SecretSetting, extension: Settings['secretsExtension']): () => Promise<string> {
  let value = setting.value;
  let fetching: Promise<string> | undefined;
  return async () => {
    if (value) return value;
    fetching ??= fromExtension(required(setting.arn, setting.arnName), WHAT[setting.name] ?? setting.name, extension).catch(
      (e: unknown) => {
        fetching = undefined;
        throw e;
      },
    );
    value = await fetching;
    return value;
  };
}

async function fromExtension(arn: string, what: string, extension: Settings['secretsExtension']): Promise<string> {
  const res = await loopbackGet(
    `http://localhost:${extension.port}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
    { 'X-Aws-Parameters-Secrets-Token': extension.sessionToken },
    extension.timeoutMs,
  );
  if (res.status !== 200) throw new Error(`reading the ${what} failed: HTTP ${res.status}`);
  const { SecretString } = JSON.parse(res.body) as { SecretString?: string };
  if (!SecretString) throw new Error(`the ${what} is empty`);
  return SecretString;
}

/**
 * A GET to the extension on loopback with Node's `http`, taken from the runtime when first needed.
 * Not `fetch`: its first call in a container loads undici (about 25 ms, on the first request that
 * writes). Not `import 'node:http'` either: in Node 24 an ES module import of `node:http` reads
 * every export, WebSocket's included, for about 40 ms of init; `getBuiltinModule` does not.
 */
function loopbackGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string }> {
  const { request } = process.getBuiltinModule('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the secrets extension in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function secretsFrom(settings: Settings): Secrets {
  return {
    cursor: secretReader(settings.cursorSecret, settings.secretsExtension),
    auditKey: secretReader(settings.auditKey, settings.secretsExtension),
    eventKey: secretReader(settings.eventKey, settings.secretsExtension),
  };
}
