/**
 * The settings of a real deployment, read from CDK context next to `config.ts`'s: the v1.2
 * integration settings (checked by the module the functions read them back with,
 * `lambdas/contract/deploy-settings.ts`), custom domains with their ACM certificates, and the
 * operator's own KMS keys. Every refusal names its setting.
 */
import {
  isPlaceholderHost,
  parseEmbedOrigins,
  parseIdentityProviders,
  parseLaunchUrl,
  parseTicketUrlTemplate,
  type IdentityProvider,
} from '../lambdas/contract/deploy-settings.ts';

export class ConfigError extends Error {
  constructor(key: string, message: string) {
    super(`CDK context "${key}": ${message}`);
    this.name = 'ConfigError';
  }
}

export interface DeploymentSettings {
  /**
   * The identity providers besides the stack's Cognito pool (the default one), for staff, tenants
   * or both (API.md "Door 1"). To the functions as `IDENTITY_PROVIDERS` (JSON). Default none.
   */
  identityProviders: IdentityProvider[];
  /** Exact origins that may frame the console (`frame-ancestors`); `EMBED_ORIGINS`. Default none: no framing. */
  embedOrigins: string[];
  /** Where **Open in the application** sends an agent (`VENDOR_APP_LAUNCH_URL`). */
  vendorAppLaunchUrl?: string;
  /** The vendor's ticket page, with `{ticketId}` (`TICKET_URL_TEMPLATE`). */
  ticketUrlTemplate?: string;
  /** The API's own domain name and its ACM certificate (in the stack's region). */
  apiDomainName?: string;
  apiCertificateArn?: string;
  /** The console's own domain name and its ACM certificate (in us-east-1, as CloudFront requires). */
  consoleDomainName?: string;
  consoleCertificateArn?: string;
  /** The operator's KMS key (ARN) that encrypts the table, instead of an AWS owned key. */
  tableKeyArn?: string;
  /** The operator's support-session signing keys (ARNs, ECC_NIST_P256 SIGN_VERIFY), oldest first, instead of `sessionKeys`. */
  sessionKeyArns?: string[];
  /** The operator's API-token signing key (ARN, ECC_NIST_P256 SIGN_VERIFY), instead of one the stack makes. */
  apiTokenKeyArn?: string;
}

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:(aws|aws-cn|aws-us-gov):acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f-]{36}$/;
const KEY_ARN = /^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):key\/(mrk-)?[0-9a-f-]{32,36}$/;

type Ctx = (key: string) => unknown;

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/**
 * Reads and checks the deployment settings. `region` is the stack's, when known at synth (a
 * certificate or key in another region is refused; unknown, only the console's us-east-1 rule holds).
 */
export function readDeploymentSettings(ctx: Ctx, overrides: Partial<DeploymentSettings> = {}, region?: string): DeploymentSettings {
  const attempt = <T>(key: string, read: () => T): T => {
    try {
      return read();
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(key, (e as Error).message);
    }
  };
  const str = (key: string): string | undefined => {
    const v = ctx(key);
    if (!present(v)) return undefined;
    if (typeof v !== 'string') throw new ConfigError(key, 'must be a string');
    return v.trim() || undefined;
  };

  const identityProviders =
    overrides.identityProviders ??
    (present(ctx('identityProviders'))
      ? attempt('identityProviders', () => parseIdentityProviders(ctx('identityProviders'), 'deployed'))
      : []);
  const embedOrigins =
    overrides.embedOrigins ??
    (present(ctx('embedOrigins')) ? attempt('embedOrigins', () => parseEmbedOrigins(ctx('embedOrigins'), 'deployed')) : []);
  const launch = overrides.vendorAppLaunchUrl ?? str('vendorAppLaunchUrl');
  const ticket = overrides.ticketUrlTemplate ?? str('ticketUrlTemplate');
  const settings: DeploymentSettings = {
    identityProviders,
    embedOrigins,
    vendorAppLaunchUrl: launch === undefined ? undefined : attempt('vendorAppLaunchUrl', () => parseLaunchUrl(launch, 'deployed')),
    ticketUrlTemplate: ticket === undefined ? undefined : attempt('ticketUrlTemplate', () => parseTicketUrlTemplate(ticket, 'deployed')),
    apiDomainName: overrides.apiDomainName ?? str('apiDomainName'),
    apiCertificateArn: overrides.apiCertificateArn ?? str('apiCertificateArn'),
    consoleDomainName: overrides.consoleDomainName ?? str('consoleDomainName'),
    consoleCertificateArn: overrides.consoleCertificateArn ?? str('consoleCertificateArn'),
    tableKeyArn: overrides.tableKeyArn ?? str('tableKeyArn'),
    sessionKeyArns: overrides.sessionKeyArns ?? keyList(ctx('sessionKeyArns')),
    apiTokenKeyArn: overrides.apiTokenKeyArn ?? str('apiTokenKeyArn'),
  };

  domainWithCertificate('api', settings.apiDomainName, settings.apiCertificateArn, region);
  domainWithCertificate('console', settings.consoleDomainName, settings.consoleCertificateArn, 'us-east-1');
  if (settings.tableKeyArn !== undefined) keyArn('tableKeyArn', settings.tableKeyArn, region);
  if (settings.apiTokenKeyArn !== undefined) keyArn('apiTokenKeyArn', settings.apiTokenKeyArn, region);
  if (settings.sessionKeyArns !== undefined) {
    if (present(ctx('sessionKeys')))
      throw new ConfigError(
        'sessionKeyArns',
        'give your own keys (sessionKeyArns) or key names for the stack to create (sessionKeys), not both',
      );
    if (settings.sessionKeyArns.length === 0 || settings.sessionKeyArns.length > 2)
      throw new ConfigError('sessionKeyArns', 'lists one or two keys (the current one last, and during a rotation the previous one)');
    if (new Set(settings.sessionKeyArns).size !== settings.sessionKeyArns.length)
      throw new ConfigError('sessionKeyArns', 'names a key twice');
    for (const arn of settings.sessionKeyArns) keyArn('sessionKeyArns', arn, region);
  }
  return settings;
}

function keyList(v: unknown): string[] | undefined {
  if (!present(v)) return undefined;
  const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : undefined;
  if (!items) throw new ConfigError('sessionKeyArns', 'must be a list of KMS key ARNs or a comma-separated string');
  return items.map((s) => s.trim()).filter(Boolean);
}

/** `{which}DomainName` and `{which}CertificateArn` come together; the certificate is ACM's, in `region` when known. */
function domainWithCertificate(
  which: 'api' | 'console',
  domain: string | undefined,
  arn: string | undefined,
  region: string | undefined,
): void {
  const domainKey = `${which}DomainName`;
  const certKey = `${which}CertificateArn`;
  if (domain === undefined && arn === undefined) return;
  if (domain === undefined) throw new ConfigError(domainKey, `is required with ${certKey}: the name the certificate is for`);
  if (arn === undefined) throw new ConfigError(certKey, `is required with ${domainKey}: an ACM certificate for ${domain}`);
  if (!DOMAIN_NAME.test(domain)) throw new ConfigError(domainKey, `"${domain}" is not a lowercase DNS name (like support.yourvendor.com)`);
  if (isPlaceholderHost(domain)) throw new ConfigError(domainKey, `"${domain}" is a placeholder (reserved for examples): give your own`);
  const m = CERTIFICATE_ARN.exec(arn);
  if (!m) throw new ConfigError(certKey, `"${arn}" is not an ACM certificate ARN (arn:aws:acm:{region}:{account}:certificate/{id})`);
  if (region !== undefined && m[2] !== region) {
    throw new ConfigError(
      certKey,
      which === 'console'
        ? `"${arn}" is in ${m[2]}: CloudFront takes certificates from us-east-1 only; request or import it there`
        : `"${arn}" is in ${m[2]}: a regional API's certificate must be in the stack's region, ${region}`,
    );
  }
}

/** A KMS key ARN (not an alias: grants name the key), in the stack's region when known. */
function keyArn(key: string, arn: string, region: string | undefined): void {
  const m = KEY_ARN.exec(arn);
  if (!m) throw new ConfigError(key, `"${arn}" is not a KMS key ARN (arn:aws:kms:{region}:{account}:key/{id}; not an alias)`);
  if (region !== undefined && m[2] !== region) throw new ConfigError(key, `"${arn}" is in ${m[2]}, not in the stack's region ${region}`);
}
