/**
 * The published JWKS, fetched and cached for as long as its response's `Cache-Control` says
 * (`max-age`; `no-store`/`no-cache`: not at all), never longer: a key support-access withdraws
 * stops verifying here once that age has passed. A token naming a `kid` the cache lacks fetches
 * again at once (a rotation), at most once per cooldown.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** How long a JWKS answer without `max-age` is kept: support-access itself sends `max-age=300`. */
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 300;

/** Seconds a response may be reused, from its `Cache-Control` header. */
export function maxAgeOf(cacheControl: string | null): number {
  if (cacheControl === null) return DEFAULT_JWKS_MAX_AGE_SECONDS;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0;
  const age = directives.map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)?.[1]).find((v) => v !== undefined);
  return age === undefined ? DEFAULT_JWKS_MAX_AGE_SECONDS : Number(age);
}

interface Cached {
  keys: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
  freshUntil: number;
}

/** A key getter for `jwtVerify` over the JWKS at `url`, its cache timed on `now`. */
export function remoteKeySet(url: URL, now: () => Date, cooldownMs: number, timeoutMs = 5_000): JWTVerifyGetKey {
  let cached: Cached | undefined;
  let loading: Promise<Cached> | undefined;
  const load = () =>
    (loading ??= (async () => {
      const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new errors.JOSEError(`the JWKS answered ${res.status}`);
      const jwks = (await res.json()) as JSONWebKeySet;
      const at = now().getTime();
      cached = { keys: createLocalJWKSet(jwks), fetchedAt: at, freshUntil: at + maxAgeOf(res.headers.get('cache-control')) * 1000 };
      return cached;
    })().finally(() => {
      loading = undefined;
    }));
  return async (header, token) => {
    let c = cached && now().getTime() < cached.freshUntil ? cached : await load();
    try {
      return await c.keys(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey) || now().getTime() - c.fetchedAt < cooldownMs) throw e;
      c = await load();
      return c.keys(header, token);
    }
  };
}
