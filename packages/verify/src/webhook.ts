/**
 * Webhooks in the Standard Webhooks format: the body is signed as
 * `base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))` with the key inside the
 * `whsec_...` secret, sent as `webhook-signature: v1,<signature>` (several, space-separated,
 * while a secret is rotated). A delivery is taken only when one signature matches (compared in
 * constant time) and its timestamp is within 5 minutes of now (a replayed old delivery is refused).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Verifier } from './verifier.ts';

export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookRefusal = 'missing-headers' | 'bad-secret' | 'bad-signature' | 'stale-timestamp' | 'bad-body';

export class WebhookRefusedError extends Error {
  readonly reason: WebhookRefusal;
  constructor(reason: WebhookRefusal, message: string) {
    super(message);
    this.name = 'WebhookRefusedError';
    this.reason = reason;
  }
}

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

const header = (headers: Headers, name: string): string | undefined => {
  const v =
    typeof headers.get === 'function'
      ? (headers as { get(n: string): string | null }).get(name)
      : (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
};

function keyOf(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new WebhookRefusedError('bad-secret', 'a webhook secret begins with whsec_');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length === 0) throw new WebhookRefusedError('bad-secret', 'the webhook secret holds no key');
  return key;
}

export interface WebhookCheckOptions {
  /** The endpoint's secret, or several during a rotation. */
  secret: string | readonly string[];
  now?: () => Date;
  /** Default 300 s. */
  toleranceSeconds?: number;
}

/** Checks a delivery's headers and signature against the raw body; answers the `webhook-id`. */
export function checkWebhook(body: string | Buffer, headers: Headers, options: WebhookCheckOptions): { id: string } {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookRefusedError('missing-headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookRefusedError('stale-timestamp', 'webhook-timestamp is not a Unix time');
  const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) {
    throw new WebhookRefusedError('stale-timestamp', 'webhook-timestamp is more than 5 minutes from now');
  }
  const sent = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  for (const secret of secrets) {
    const expected = createHmac('sha256', keyOf(secret)).update(signed).digest();
    if (sent.some((s) => s.length === expected.length && timingSafeEqual(s, expected))) return { id };
  }
  throw new WebhookRefusedError('bad-signature', 'no webhook-signature matches the secret');
}

export interface WebhookHandlerOptions extends WebhookCheckOptions {
  verifier: Verifier;
}

/** What to answer the sender: 204 taken (or ignored), 400 a bad body, 401 a refused delivery. */
export interface WebhookAnswer {
  status: 204 | 400 | 401;
  body?: { type: string; title: string; status: number; detail: string; reason: WebhookRefusal };
}

/**
 * A handler for your webhook endpoint: give it the **raw** body (before any JSON parsing; the
 * signature is over the bytes) and the headers; it checks them and feeds the event to the store.
 */
export function createWebhookHandler(options: WebhookHandlerOptions) {
  for (const s of typeof options.secret === 'string' ? [options.secret] : options.secret) keyOf(s);
  const problem = (status: 400 | 401, e: WebhookRefusedError): WebhookAnswer => ({
    status,
    body: { type: 'about:blank', title: status === 400 ? 'Bad Request' : 'Unauthorized', status, detail: e.message, reason: e.reason },
  });
  return async function handleWebhook(body: string | Buffer, headers: Headers): Promise<WebhookAnswer> {
    let id: string;
    try {
      ({ id } = checkWebhook(body, headers, options));
    } catch (e) {
      if (e instanceof WebhookRefusedError) return problem(401, e);
      throw e;
    }
    let event: unknown;
    try {
      event = JSON.parse(body.toString());
    } catch {
      return problem(400, new WebhookRefusedError('bad-body', 'the webhook body is not JSON'));
    }
    if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') {
      return problem(400, new WebhookRefusedError('bad-body', 'the webhook body is not { type, timestamp, data }'));
    }
    await options.verifier.handleEvent(event, id);
    return { status: 204 };
  };
}
