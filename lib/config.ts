/**
 * The stack's settings, read from CDK context (`cdk.json` or `-c key=value`) with documented
 * defaults, and checked before anything is built: a typo fails `cdk synth` with a plain message
 * instead of deploying a stack that cannot send mail or sign anyone in.
 */
import { fileURLToPath } from 'node:url';
import { Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { routes } from '../lambdas/contract/routes.ts';
import { checkUrl, isPlaceholderHost } from '../lambdas/contract/deploy-settings.ts';
import { ConfigError, readDeploymentSettings, type DeploymentSettings } from './deploy-config.ts';

export { ConfigError } from './deploy-config.ts';
/** The console's build, relative to the repository (`npm run web:build` writes it). */
export const DEFAULT_CONSOLE_ASSET_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface SupportAccessConfig extends DeploymentSettings {
  /** The sender of every email (`From:`). No default: each deployment names its own. */
  mailFrom: string;
  /** The SES identity the stack sends as: `mailFrom` itself or its domain. Default: `mailFrom`. */
  sesIdentity: string;
  /**
   * The tenant console's base URL; emails link to `{appBaseUrl}/tenants/{tenantId}`. Default
   * (undefined here): the deployed console, `https://{distribution domain}/app`.
   */
  appBaseUrl?: string;
  /** Browser origins allowed by CORS. Default: the origin of `appBaseUrl` (undefined: the console's). */
  corsOrigins?: string[];
  /** The console's built files (a directory with index.html). Default: `web/dist`. */
  consoleAssetDir: string;
  /**
   * v1.1: an existing OIDC issuer, with `jwtAudience`, that the API's JWT authorizer trusts instead
   * of the stack's Cognito user pool. Kept exactly as given (API Gateway compares `iss` byte for
   * byte, trailing slash included). The pool and the console are deployed either way.
   */
  jwtIssuer?: string;
  jwtAudience?: string[];
  /** The Cognito domain prefix of the sign-in pages (`{prefix}.auth.{region}.amazoncognito.com`). Default: `support-access-{account}`. */
  authDomainPrefix?: string;
  /** Where Cognito may send the browser back after sign-in. Default: `{appBaseUrl}/callback` (undefined: the console's). */
  authCallbackUrls?: string[];
  /** Where Cognito may send the browser after sign-out. Default: `appBaseUrl` (undefined: the console's). */
  authLogoutUrls?: string[];
  /** Subscribed (by email) to the alarm topic when given. */
  alarmEmail?: string;
  /** Stage throttling: steady requests per second and burst. */
  apiRateLimit: number;
  apiBurstLimit: number;
  /**
   * The email domains of the vendor's support staff (lowercase DNS names): a grantee's email must
   * be in one of them. No default: each deployment names its own. Passed to the API functions as
   * `SUPPORT_EMAIL_DOMAINS` (comma-separated).
   */
  supportEmailDomains: string[];
  /**
   * Let the web client also sign in with SRP and username/password (`ALLOW_USER_SRP_AUTH`,
   * `ALLOW_USER_PASSWORD_AUTH`). Default `false`: only the managed login pages (authorization code
   * with PKCE) and refresh tokens.
   */
  allowPasswordAuthFlows: boolean;
  /** Throttling of each write route (every route that is not a GET), for all callers together. */
  writeRouteRateLimit: number;
  writeRouteBurstLimit: number;
  /** Per-route throttling by route id (`CreateAccessRequest`), over the write-route defaults. */
  routeThrottling: Record<string, { rateLimit: number; burstLimit: number }>;
  /**
   * When set, an AWS WAF web ACL with a rate-based rule (requests per client IP per 5 minutes)
   * guards the Cognito sign-in (managed login and the user pool API). Off by default.
   */
  wafRateLimit?: number;
  /** The `aud` of support-session tokens: what the vendor's application checks. Default `support-access`. */
  sessionTokenAudience: string;
  /**
   * The support-session signing keys, by name, oldest first: the stack makes one asymmetric KMS
   * key per name, the last one signs, and every one is listed in the JWKS. A rotation adds a name,
   * then (at least 15 minutes after that deploy) removes the old one (docs/deploy.md). Default `["1"]`.
   */
  sessionKeys: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** A lowercase DNS name with at least two labels (`vendor.example`). */
const LOWER_DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The stack's settings from CDK context, with defaults; throws on a value that cannot work. */
export function readConfig(scope: Construct, overrides: Partial<SupportAccessConfig> = {}): SupportAccessConfig {
  const ctx = (key: string): unknown => scope.node.tryGetContext(key);
  const str = (key: string): string | undefined => {
    const v = ctx(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new ConfigError(key, 'must be a string');
    return v.trim() === '' ? undefined : v.trim();
  };
  const list = (key: string): string[] | undefined => {
    const v = ctx(key);
    if (v === undefined || v === null) return undefined;
    const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : undefined;
    if (!items) throw new ConfigError(key, 'must be a list or a comma-separated string');
    const trimmed = items.map((s) => s.trim()).filter(Boolean);
    return trimmed.length ? trimmed : undefined;
  };
  const num = (key: string, fallback: number): number => {
    const v = ctx(key);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : fallback;
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(key, 'must be a positive whole number');
    return n;
  };

  const bool = (key: string, fallback: boolean): boolean => {
    const v = ctx(key);
    if (v === undefined || v === null || v === '') return fallback;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new ConfigError(key, 'must be true or false');
  };
  const optionalNum = (key: string): number | undefined =>
    ctx(key) === undefined || ctx(key) === null || ctx(key) === '' ? undefined : num(key, 0);
  const throttles = (key: string): Record<string, { rateLimit: number; burstLimit: number }> => {
    let v = ctx(key);
    if (v === undefined || v === null || v === '') return {};
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        throw new ConfigError(key, 'must be an object (or its JSON) of route id to { rateLimit, burstLimit }');
      }
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new ConfigError(key, 'must be an object of route id to { rateLimit, burstLimit }');
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([id, t]) => {
        const { rateLimit, burstLimit } = (t ?? {}) as { rateLimit?: unknown; burstLimit?: unknown };
        if (!Number.isInteger(rateLimit) || !Number.isInteger(burstLimit) || (rateLimit as number) <= 0 || (burstLimit as number) <= 0) {
          throw new ConfigError(key, `${id}: rateLimit and burstLimit must be positive whole numbers`);
        }
        return [id, { rateLimit: rateLimit as number, burstLimit: burstLimit as number }];
      }),
    );
  };

  const mailFrom = overrides.mailFrom ?? str('mailFrom');
  if (mailFrom === undefined) {
    throw new ConfigError('mailFrom', 'is required: the sender of every email, e.g. -c mailFrom=support-access@mail.yourvendor.com');
  }
  const appBaseUrl = overrides.appBaseUrl ?? str('appBaseUrl');
  const config: SupportAccessConfig = {
    mailFrom,
    sesIdentity: overrides.sesIdentity ?? str('sesIdentity') ?? mailFrom,
    appBaseUrl,
    corsOrigins: overrides.corsOrigins ?? list('corsOrigins') ?? (appBaseUrl ? [originOf('appBaseUrl', appBaseUrl)] : undefined),
    consoleAssetDir: overrides.consoleAssetDir ?? str('consoleAssetDir') ?? DEFAULT_CONSOLE_ASSET_DIR,
    jwtIssuer: overrides.jwtIssuer ?? str('jwtIssuer'),
    jwtAudience: overrides.jwtAudience ?? list('jwtAudience'),
    authDomainPrefix: overrides.authDomainPrefix ?? str('authDomainPrefix'),
    authCallbackUrls:
      overrides.authCallbackUrls ?? list('authCallbackUrls') ?? (appBaseUrl ? [`${appBaseUrl.replace(/\/$/, '')}/callback`] : undefined),
    authLogoutUrls: overrides.authLogoutUrls ?? list('authLogoutUrls') ?? (appBaseUrl ? [appBaseUrl] : undefined),
    alarmEmail: overrides.alarmEmail ?? str('alarmEmail'),
    apiRateLimit: overrides.apiRateLimit ?? num('apiRateLimit', 50),
    apiBurstLimit: overrides.apiBurstLimit ?? num('apiBurstLimit', 100),
    supportEmailDomains: overrides.supportEmailDomains ?? list('supportEmailDomains') ?? [],
    allowPasswordAuthFlows: overrides.allowPasswordAuthFlows ?? bool('allowPasswordAuthFlows', false),
    writeRouteRateLimit: overrides.writeRouteRateLimit ?? num('writeRouteRateLimit', 10),
    writeRouteBurstLimit: overrides.writeRouteBurstLimit ?? num('writeRouteBurstLimit', 20),
    routeThrottling: overrides.routeThrottling ?? throttles('routeThrottling'),
    wafRateLimit: overrides.wafRateLimit ?? optionalNum('wafRateLimit'),
    sessionTokenAudience: overrides.sessionTokenAudience ?? str('sessionTokenAudience') ?? 'support-access',
    sessionKeys: overrides.sessionKeys ?? list('sessionKeys') ?? ['1'],
    ...readDeploymentSettings(ctx, overrides, knownRegion(scope)),
  };
  validate(config);
  return config;
}

function validate(c: SupportAccessConfig): void {
  for (const name of c.sessionKeys) {
    if (!/^[A-Za-z0-9]{1,20}$/.test(name)) throw new ConfigError('sessionKeys', `"${name}" must be 1-20 letters or digits`);
  }
  if (new Set(c.sessionKeys).size !== c.sessionKeys.length) throw new ConfigError('sessionKeys', 'names a key twice');
  if (c.sessionKeys.length > 2)
    throw new ConfigError('sessionKeys', 'lists at most two keys (the current one and, during a rotation, the previous one)');
  if (!EMAIL.test(c.mailFrom)) throw new ConfigError('mailFrom', `"${c.mailFrom}" is not an email address`);
  const senderDomain = c.mailFrom.split('@')[1]!.toLowerCase();
  notPlaceholder('mailFrom', senderDomain);
  notPlaceholder('sesIdentity', c.sesIdentity.split('@').at(-1)!);
  const identity = c.sesIdentity.toLowerCase();
  if (identity !== c.mailFrom.toLowerCase()) {
    if (!DOMAIN.test(identity)) throw new ConfigError('sesIdentity', `"${c.sesIdentity}" is neither mailFrom nor a domain`);
    if (senderDomain !== identity && !senderDomain.endsWith(`.${identity}`)) {
      throw new ConfigError(
        'sesIdentity',
        `mailFrom ${c.mailFrom} is not in the domain ${c.sesIdentity}, so SES would refuse to send as it`,
      );
    }
  }
  if (c.appBaseUrl !== undefined) https('appBaseUrl', c.appBaseUrl);
  for (const origin of c.corsOrigins ?? []) {
    if (origin !== originOf('corsOrigins', origin))
      throw new ConfigError('corsOrigins', `"${origin}" is not an origin (scheme://host[:port], no path)`);
    https('corsOrigins', origin, true);
  }
  for (const url of c.authCallbackUrls ?? []) https('authCallbackUrls', url, true);
  for (const url of c.authLogoutUrls ?? []) https('authLogoutUrls', url, true);
  if (c.authDomainPrefix !== undefined && (!DOMAIN_PREFIX.test(c.authDomainPrefix) || /aws|amazon|cognito/.test(c.authDomainPrefix))) {
    throw new ConfigError('authDomainPrefix', 'lowercase letters, digits and hyphens, and not containing aws, amazon or cognito');
  }
  if (c.alarmEmail !== undefined && !EMAIL.test(c.alarmEmail))
    throw new ConfigError('alarmEmail', `"${c.alarmEmail}" is not an email address`);
  if (c.alarmEmail !== undefined) notPlaceholder('alarmEmail', c.alarmEmail.split('@')[1]!);
  if (Boolean(c.jwtIssuer) !== Boolean(c.jwtAudience?.length)) {
    throw new ConfigError(
      c.jwtIssuer ? 'jwtAudience' : 'jwtIssuer',
      "give both jwtIssuer and jwtAudience, or neither (the API then trusts the stack's Cognito user pool)",
    );
  }
  if (c.jwtIssuer) https('jwtIssuer', c.jwtIssuer);
  if (c.apiBurstLimit < c.apiRateLimit) throw new ConfigError('apiBurstLimit', 'must be at least apiRateLimit');
  if (c.supportEmailDomains.length === 0) {
    throw new ConfigError(
      'supportEmailDomains',
      'is required: the email domains of your support staff, e.g. -c supportEmailDomains=support.yourvendor.com,yourvendor.com',
    );
  }
  for (const domain of c.supportEmailDomains) {
    if (!LOWER_DOMAIN.test(domain))
      throw new ConfigError('supportEmailDomains', `"${domain}" is not a lowercase DNS domain (like support.yourvendor.com)`);
    notPlaceholder('supportEmailDomains', domain);
  }
  if (c.writeRouteBurstLimit < c.writeRouteRateLimit) throw new ConfigError('writeRouteBurstLimit', 'must be at least writeRouteRateLimit');
  if (c.writeRouteRateLimit > c.apiRateLimit || c.writeRouteBurstLimit > c.apiBurstLimit) {
    throw new ConfigError('writeRouteRateLimit', 'a write route cannot be allowed more than the whole API (apiRateLimit, apiBurstLimit)');
  }
  const ids = new Set<string>(routes.map((r) => r.id));
  for (const [id, t] of Object.entries(c.routeThrottling)) {
    if (!ids.has(id)) throw new ConfigError('routeThrottling', `"${id}" is not a route id (see lambdas/contract/routes.ts)`);
    if (t.burstLimit < t.rateLimit) throw new ConfigError('routeThrottling', `${id}: burstLimit must be at least rateLimit`);
    if (t.rateLimit > c.apiRateLimit || t.burstLimit > c.apiBurstLimit)
      throw new ConfigError('routeThrottling', `${id}: cannot be allowed more than the whole API (apiRateLimit, apiBurstLimit)`);
  }
  if (c.wafRateLimit !== undefined) {
    if (c.wafRateLimit < 10 || c.wafRateLimit > 2_000_000_000)
      throw new ConfigError('wafRateLimit', 'must be between 10 and 2,000,000,000 requests per IP per 5 minutes (AWS WAF limits)');
  }
}

/**
 * A URL setting: parsed, `https://` (a developer's own frontend may be `http://localhost` when
 * `allowLocalhost`), one URL and not a comma-joined list, and not a placeholder host.
 */
function https(key: string, value: string, allowLocalhost = false): void {
  try {
    const url = new URL(value);
    checkUrl(value, allowLocalhost && url.protocol === 'http:' && url.hostname === 'localhost' ? 'local' : 'deployed');
  } catch (e) {
    throw new ConfigError(key, e instanceof TypeError ? `"${value}" is not a URL` : (e as Error).message);
  }
}

/** A host name that is a reserved example (`example.com`, `.test`...): refused by synth. */
function notPlaceholder(key: string, host: string): void {
  if (isPlaceholderHost(host)) throw new ConfigError(key, `"${host}" is a placeholder (reserved for examples): give your own`);
}

function originOf(key: string, value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    throw new ConfigError(key, `"${value}" is not a URL`);
  }
}

/** The stack's region when synth knows it (`env.region`, or the CLI's default region), else undefined. */
function knownRegion(scope: Construct): string | undefined {
  const region = Stack.of(scope).region;
  return Token.isUnresolved(region) ? undefined : region;
}
