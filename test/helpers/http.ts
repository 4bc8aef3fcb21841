/**
 * HTTP test helpers: a local stack per test file (real HTTP, the real adapter, real handlers) on
 * free ports over the run's DynamoDB Local, tokens from its issuer, and fresh tenants.
 */
import { inject } from 'vitest';
import { ulid } from 'ulid';
import { startStack, type Stack, type StackOptions } from '../../local/stack.ts';
import { localToken, type Mail, people, type People, TEST_POLICY, type Who } from './people.ts';

export type { Mail, Who };

export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestApi {
  stack: Stack;
  url: string;
  token(who: Who, expiresInSeconds?: number): Promise<string>;
  call<T = any>(
    method: string,
    path: string,
    opts?: { as?: Who; token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Res<T>>;
  /** Moves the local clock forward. */
  advance(seconds: number): Promise<string>;
  /** Every email the local SES server holds for an address. */
  mailTo(email: string): Promise<Mail[]>;
  stop(): Promise<void>;
}

/**
 * A table of its own for each test file: the files run in parallel, each with its own movable
 * clock, and the expiry job of one must not see the grants of another.
 */
export const freshTableName = () => `t-${ulid().toLowerCase()}`;

/**
 * The instant the test stacks' clocks start at: `TEST_CLOCK_START` (ISO 8601, e.g.
 * `2026-12-07T23:50:00Z`) when set, so a whole run can be pinned to an awkward hour; else now.
 */
export const testClockStart = (): string | undefined => process.env.TEST_CLOCK_START || undefined;

/** Starts a stack on the run's DynamoDB Local, with its own table; no schedule unless asked. */
export async function startTestApi(opts: Partial<StackOptions> = {}): Promise<TestApi> {
  const clockStart = testClockStart();
  const stack = await startStack({
    port: 0,
    sesPort: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: freshTableName(),
    tableStream: false,
    expireEveryMs: 0,
    deliverEveryMs: 0,
    ...(clockStart ? { clockStart } : {}),
    ...opts,
  });
  // API tokens live 15 minutes: a cached one is re-minted a minute before it ends (long files).
  const tokens = new Map<string, { token: string; until: number }>();
  const api: TestApi = {
    stack,
    url: stack.url,
    async token(who, expiresInSeconds) {
      const key = JSON.stringify([who, expiresInSeconds]);
      const cached = tokens.get(key);
      if (cached && cached.until > Date.now()) return cached.token;
      const token = await localToken(stack.url, who, expiresInSeconds);
      const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
      tokens.set(key, { token, until: exp * 1000 - 60_000 });
      return token;
    },
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token ?? (o.as ? await api.token(o.as) : undefined);
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${stack.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    async advance(seconds) {
      const res = await api.call('POST', '/_local/clock', { body: { advanceSeconds: seconds } });
      return res.body.now as string;
    },
    async mailTo(email) {
      const res = await fetch(`${stack.sesUrl}/store`);
      const { emails } = (await res.json()) as { emails: Mail[] };
      return emails.filter((m) => m.destination.to.includes(email));
    },
    stop: () => stack.stop(),
  };
  return api;
}

export { people, type People };

/** A tenant with its two contacts (the admin and `contact`) on file, and optionally a policy. */
export async function setupTenant(api: TestApi, policy?: Record<string, unknown>): Promise<People> {
  const p = people();
  for (const c of [p.admin, p.contact]) {
    const res = await api.call('PUT', `/v1/tenants/${p.tenantId}/contacts/${encodeURIComponent(c.email)}`, {
      as: p.admin,
      body: { name: c.name },
    });
    if (res.status !== 201) throw new Error(`contact setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (policy) {
    const full = { ...TEST_POLICY, ...policy };
    const res = await api.call('PUT', `/v1/tenants/${p.tenantId}/policy`, { as: p.admin, body: full });
    if (res.status !== 200) throw new Error(`policy setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return p;
}

/**
 * Waits until `check` passes (for mail that a delivery sends), or fails after `ms`: a bound for a
 * failure to show, not a latency under test, so it is generous (a busy machine takes its time).
 */
export async function eventually<T>(check: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** `res` once it has answered with `status`; otherwise fails, naming `what` and the answer. */
export async function ok(res: Promise<Res> | Res, status: number, what: string): Promise<Res> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}
