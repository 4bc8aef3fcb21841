/**
 * The stack's settings, read from CDK context (`cdk.json` or `-c key=value`) with documented
 * defaults, and checked before anything is built: a typo fails `cdk synth` with a plain message
 * instead of deploying a stack that cannot send mail or sign anyone in.
 */
import { fileURLToPath } from 'node:url';
import type { Construct } from 'constructs';

export const DEFAULT_MAIL_FROM = 'support-access@example.com';
/** The console's build, relative to the repository (`npm run web:build` writes it). */
export const DEFAULT_CONSOLE_ASSET_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface SupportAccessConfig {
  /** The sender of every email (`From:`). */
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
  /** An existing OIDC issuer, with `jwtAudience`, instead of the stack's Cognito user pool. */
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
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

class ConfigError extends Error {
  constructor(key: string, message: string) {
    super(`CDK context "${key}": ${message}`);
    this.name = 'ConfigError';
  }
}

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

  const mailFrom = overrides.mailFrom ?? str('mailFrom') ?? DEFAULT_MAIL_FROM;
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
    authCallbackUrls: overrides.authCallbackUrls ?? list('authCallbackUrls') ?? (appBaseUrl ? [`${appBaseUrl.replace(/\/$/, '')}/callback`] : undefined),
    authLogoutUrls: overrides.authLogoutUrls ?? list('authLogoutUrls') ?? (appBaseUrl ? [appBaseUrl] : undefined),
    alarmEmail: overrides.alarmEmail ?? str('alarmEmail'),
    apiRateLimit: overrides.apiRateLimit ?? num('apiRateLimit', 50),
    apiBurstLimit: overrides.apiBurstLimit ?? num('apiBurstLimit', 100),
  };
  validate(config);
  return config;
}

function validate(c: SupportAccessConfig): void {
  if (!EMAIL.test(c.mailFrom)) throw new ConfigError('mailFrom', `"${c.mailFrom}" is not an email address`);
  const senderDomain = c.mailFrom.split('@')[1]!.toLowerCase();
  const identity = c.sesIdentity.toLowerCase();
  if (identity !== c.mailFrom.toLowerCase()) {
    if (!DOMAIN.test(identity)) throw new ConfigError('sesIdentity', `"${c.sesIdentity}" is neither mailFrom nor a domain`);
    if (senderDomain !== identity && !senderDomain.endsWith(`.${identity}`)) {
      throw new ConfigError('sesIdentity', `mailFrom ${c.mailFrom} is not in the domain ${c.sesIdentity}, so SES would refuse to send as it`);
    }
  }
  if (c.appBaseUrl !== undefined) https('appBaseUrl', c.appBaseUrl);
  if (c.jwtIssuer && c.appBaseUrl === undefined) {
    throw new ConfigError('appBaseUrl', 'required with jwtIssuer: the stack deploys its console only with its own Cognito user pool, so say where your console is');
  }
  for (const origin of c.corsOrigins ?? []) {
    if (origin !== originOf('corsOrigins', origin)) throw new ConfigError('corsOrigins', `"${origin}" is not an origin (scheme://host[:port], no path)`);
  }
  for (const url of c.authCallbackUrls ?? []) https('authCallbackUrls', url, true);
  for (const url of c.authLogoutUrls ?? []) https('authLogoutUrls', url, true);
  if (c.authDomainPrefix !== undefined && (!DOMAIN_PREFIX.test(c.authDomainPrefix) || /aws|amazon|cognito/.test(c.authDomainPrefix))) {
    throw new ConfigError('authDomainPrefix', 'lowercase letters, digits and hyphens, and not containing aws, amazon or cognito');
  }
  if (c.alarmEmail !== undefined && !EMAIL.test(c.alarmEmail)) throw new ConfigError('alarmEmail', `"${c.alarmEmail}" is not an email address`);
  if (Boolean(c.jwtIssuer) !== Boolean(c.jwtAudience?.length)) {
    throw new ConfigError(c.jwtIssuer ? 'jwtAudience' : 'jwtIssuer', 'give both jwtIssuer and jwtAudience, or neither to create a Cognito user pool');
  }
  if (c.jwtIssuer) https('jwtIssuer', c.jwtIssuer);
  if (c.apiBurstLimit < c.apiRateLimit) throw new ConfigError('apiBurstLimit', 'must be at least apiRateLimit');
}

/** `https://` only, except `http://localhost` for a developer's own frontend when `allowLocalhost`. */
function https(key: string, value: string, allowLocalhost = false): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, `"${value}" is not a URL`);
  }
  const local = allowLocalhost && url.protocol === 'http:' && url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !local) throw new ConfigError(key, `"${value}" must be an https:// URL`);
}

function originOf(key: string, value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    throw new ConfigError(key, `"${value}" is not a URL`);
  }
}
