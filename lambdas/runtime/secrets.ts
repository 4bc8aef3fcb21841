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
  const res = await fetch(`http://localhost:${extension.port}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`, {
    headers: { 'X-Aws-Parameters-Secrets-Token': extension.sessionToken },
  });
  if (!res.ok) throw new Error(`reading the ${what} failed: HTTP ${res.status}`);
  const { SecretString } = (await res.json()) as { SecretString?: string };
  if (!SecretString) throw new Error(`the ${what} is empty`);
  return SecretString;
}

export function secretsFrom(settings: Settings): Secrets {
  return {
    cursor: secretReader(settings.cursorSecret, settings.secretsExtension),
    auditKey: secretReader(settings.auditKey, settings.secretsExtension),
    eventKey: secretReader(settings.eventKey, settings.secretsExtension),
  };
}
