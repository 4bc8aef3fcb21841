/**
 * Table 6: enforcement in the vendor's application. On one core (this process, one thread):
 * offline verifications of a support-session token per second (`@support-access/verify`, keys
 * cached) against access checks per second through the API (`GET /v1/tenants/{t}/access`, one
 * request at a time, the local adapter over DynamoDB Local): the ratio says how much cheaper the
 * offline check is. Then the time from a revoke's answer to the example app's refusal, through
 * the event (the stream, the publisher, the app polling `GET /_local/events` every 50 ms).
 */
import { createLocalJWKSet } from 'jose';
import { ulid } from 'ulid';
import { startVendorApp } from '../examples/vendor-app/server.ts';
import { ensureTable } from '../local/dynamodb.ts';
import { startStack } from '../local/stack.ts';
import { createVerifier } from '../packages/verify/src/index.ts';
import { figure, verdict, type SectionResult } from './results.ts';
import { int, median, ms, num, p95, progress, table } from './stats.ts';

export async function enforcement(endpoint: string, opts: { seconds: number; revokes: number }): Promise<SectionResult> {
  const tableName = 'bench-enforce';
  await ensureTable(endpoint, tableName);
  const stack = await startStack({ port: 0, sesPort: 0, dynamoEndpoint: endpoint, tableName, eventsEveryMs: 50 });
  const app = await startVendorApp({ port: 0, apiUrl: stack.url, audience: 'support-access-local', eventsPollMs: 50 });
  try {
    const tenantId = `bench-${ulid().toLowerCase()}`;
    const call = async (method: string, path: string, auth: string, body?: unknown) => {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const token = async (who: Record<string, unknown>) =>
      (
        (await (
          await fetch(`${stack.url}/_local/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(who),
          })
        ).json()) as { token: string }
      ).token;
    const admin = await token({ sub: 'bench-admin', email: 'admin@bench.test', name: 'Bench Admin', groups: ['tenant-admin'], tenantId });
    const agent = await token({ sub: 'bench-agent', email: 'agent@vendor.test', name: 'Bench Agent', groups: ['support-agent'] });
    await call('PUT', `/v1/tenants/${tenantId}/contacts/admin%40bench.test`, admin, { name: 'Bench Admin' });
    const grant = async () =>
      String(
        (await call('POST', `/v1/tenants/${tenantId}/grants`, admin, { reason: 'bench', scope: { level: 'read-only' }, durationHours: 2 }))
          .grantId,
      );
    const signIn = async () => String((await call('POST', `/v1/tenants/${tenantId}/sessions`, agent, { reason: 'bench' })).token);

    // ---- verifications per second vs access checks per second, one core ----
    const firstGrant = await grant();
    const sessionToken = await signIn();
    const jwks = await (await fetch(`${stack.url}/v1/.well-known/jwks.json`)).json();
    const verifier = createVerifier({
      jwksUrl: `${stack.url}/v1/.well-known/jwks.json`,
      issuer: stack.url,
      audience: 'support-access-local',
      keys: createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]),
    });
    const rate = async (what: string, fn: () => Promise<unknown>) => {
      progress(`${what}: ${opts.seconds} s`);
      for (let i = 0; i < 50; i++) await fn();
      const end = Date.now() + opts.seconds * 1000;
      let n = 0;
      const t0 = performance.now();
      while (Date.now() < end) {
        await fn();
        n++;
      }
      return n / ((performance.now() - t0) / 1000);
    };
    const verifications = await rate('offline verification', () => verifier.verify(sessionToken, { tenantId }));
    const accessChecks = await rate('access check through the API', () => call('GET', `/v1/tenants/${tenantId}/access`, agent));
    await call('POST', `/v1/tenants/${tenantId}/grants/${firstGrant}/revoke`, admin, {});

    // ---- revoke → refusal in the example app ----
    const delays: number[] = [];
    for (let i = 0; i < opts.revokes; i++) {
      const g = await grant();
      const t = await signIn();
      const get = () =>
        fetch(`${app.url}/tenants/${tenantId}/billing`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
      if ((await get()) !== 200) throw new Error('the example app refused a fresh session');
      await call('POST', `/v1/tenants/${tenantId}/grants/${g}/revoke`, admin, {});
      const t0 = performance.now();
      while ((await get()) === 200) {
        if (performance.now() - t0 > 10_000) throw new Error('the example app still serves a revoked session after 10 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      delays.push(performance.now() - t0);
    }

    const ratio = verifications / accessChecks;
    const figures = [
      figure({
        section: 'enforce',
        name: 'offline verifications per second (one core)',
        value: verifications,
        unit: '/s',
        baseline: { name: 'access checks per second through the API', value: accessChecks },
        target: 'offline ≥ 10× the access check',
        pass: ratio >= 10,
      }),
      figure({
        section: 'enforce',
        name: 'revoke → refusal in the example app, p95',
        value: p95(delays),
        unit: 'ms',
        target: '< 1,000 ms',
        pass: p95(delays) < 1000,
        note: `median ${median(delays).toFixed(0)} ms over ${delays.length} revokes`,
      }),
    ];
    const text = [
      table(
        ['measure', 'value', 'ratio'],
        [
          ['offline token verifications per second (one core, keys cached)', int(verifications), `${num(ratio, 1)}× the access check`],
          ['access checks per second through the API (one at a time)', int(accessChecks), '1×'],
          ['revoke answered → example app refuses (median / p95)', `${ms(median(delays))} / ${ms(p95(delays))}`, ''],
        ],
      ),
      '',
      `Targets: offline ≥ 10× the access check ${verdict(figures[0]!.pass)}; revoke → refusal under 1 s ${verdict(figures[1]!.pass)}.`,
    ].join('\n');
    return { text, figures };
  } finally {
    await app.stop();
    await stack.stop();
  }
}
