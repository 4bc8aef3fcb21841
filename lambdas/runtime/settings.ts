/**
 * The deployment's settings: everything a function is configured with, read from the environment
 * in one place (`settingsFromEnv`). Nothing else in `lambdas/` reads `process.env`. A setting a
 * function needs but was not given stops it when first used (`required`): the jobs, for instance,
 * are deployed without `SUPPORT_EMAIL_DOMAINS` and never read it.
 */

import {
  parseEmbedOrigins,
  parseIdentityProviders,
  parseLaunchUrl,
  parseTicketUrlTemplate,
  type IdentityProvider,
} from '../contract/deploy-settings.ts';

/** A secret given as its value (the local stack) or as a Secrets Manager ARN (deployed). */
export interface SecretSetting {
  /** The environment variable of the value (`CURSOR_SECRET`), named in errors. */
  name: string;
  /** The environment variable of the ARN (`CURSOR_SECRET_ARN`). */
  arnName: string;
  value?: string | undefined;
  arn?: string | undefined;
}

export interface Settings {
  /** `TABLE_NAME`. */
  tableName?: string | undefined;
  /** `SUPPORT_EMAIL_DOMAINS`, comma-separated, parsed when first needed. */
  supportEmailDomains?: string | undefined;
  /** `CURSOR_SECRET` or `CURSOR_SECRET_ARN`: signs list cursors. */
  cursorSecret: SecretSetting;
  /** `AUDIT_KEY` or `AUDIT_KEY_SECRET_ARN`: the audit hash chain's HMAC key. */
  auditKey: SecretSetting;
  /** `EVENT_KEY` or `EVENT_KEY_SECRET_ARN`: the audit events' write-time MAC key. */
  eventKey: SecretSetting;
  /** `MAIL_FROM`: the notifier's sender. */
  mailFrom?: string | undefined;
  /** `APP_BASE_URL`: the console's address, for the links in emails. */
  appBaseUrl?: string | undefined;
  /** `SES_ENDPOINT`: another SES endpoint (none in AWS). */
  sesEndpoint?: string | undefined;
  /** `DYNAMODB_ENDPOINT`: another DynamoDB endpoint (none in AWS; scripts use it locally). */
  dynamoEndpoint?: string | undefined;
  /** `SESSION_KEY_ARNS`: the session-token signing keys in KMS, comma-separated (the last signs). */
  sessionKeyArns?: string | undefined;
  /** `SESSION_TOKEN_ISSUER` and `SESSION_TOKEN_AUDIENCE`: the session tokens' `iss` and `aud`. */
  sessionTokenIssuer?: string | undefined;
  /** `API_TOKEN_KEY_ARNS`: the API-token signing keys in KMS, comma-separated (the last signs). */
  apiTokenKeyArns?: string | undefined;
  /** `TOKEN_ISSUER`: the API tokens' `iss`, an exact URL without a trailing slash (output `TokenIssuer`). */
  tokenIssuer?: string | undefined;
  sessionTokenAudience?: string | undefined;
  /** `EVENT_BUS_NAME`: the publisher's EventBridge bus. */
  eventBusName?: string | undefined;
  /**
   * The v1.2 integration settings as the environment gives them (`IDENTITY_PROVIDERS` JSON,
   * `EMBED_ORIGINS` comma-separated, `VENDOR_APP_LAUNCH_URL`, `TICKET_URL_TEMPLATE`); read them
   * through `integrationSettings`, which checks them.
   */
  integration: {
    identityProviders?: string | undefined;
    embedOrigins?: string | undefined;
    vendorAppLaunchUrl?: string | undefined;
    ticketUrlTemplate?: string | undefined;
  };
  /**
   * The Parameters and Secrets Lambda Extension: its port, the session token it requires, and how
   * long it may take to answer before a read fails (and is retried by the next call).
   */
  secretsExtension: { port: string; sessionToken: string; timeoutMs: number };
  /** Running in Lambda (`AWS_LAMBDA_FUNCTION_NAME`): a missing setting fails the cold start. */
  inLambda: boolean;
}

type Env = Record<string, string | undefined>;

const secret = (env: Env, name: string, arnName: string): SecretSetting => ({
  name,
  arnName,
  value: env[name] || undefined,
  arn: env[arnName] || undefined,
});

/** The settings as the environment gives them. */
export function settingsFromEnv(env: Env = process.env): Settings {
  return {
    tableName: env.TABLE_NAME || undefined,
    supportEmailDomains: env.SUPPORT_EMAIL_DOMAINS || undefined,
    cursorSecret: secret(env, 'CURSOR_SECRET', 'CURSOR_SECRET_ARN'),
    auditKey: secret(env, 'AUDIT_KEY', 'AUDIT_KEY_SECRET_ARN'),
    eventKey: secret(env, 'EVENT_KEY', 'EVENT_KEY_SECRET_ARN'),
    mailFrom: env.MAIL_FROM || undefined,
    appBaseUrl: env.APP_BASE_URL || undefined,
    sesEndpoint: env.SES_ENDPOINT || undefined,
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    sessionKeyArns: env.SESSION_KEY_ARNS || undefined,
    sessionTokenIssuer: env.SESSION_TOKEN_ISSUER || undefined,
    apiTokenKeyArns: env.API_TOKEN_KEY_ARNS || undefined,
    tokenIssuer: env.TOKEN_ISSUER || undefined,
    sessionTokenAudience: env.SESSION_TOKEN_AUDIENCE || undefined,
    eventBusName: env.EVENT_BUS_NAME || undefined,
    integration: {
      identityProviders: env.IDENTITY_PROVIDERS || undefined,
      embedOrigins: env.EMBED_ORIGINS || undefined,
      vendorAppLaunchUrl: env.VENDOR_APP_LAUNCH_URL || undefined,
      ticketUrlTemplate: env.TICKET_URL_TEMPLATE || undefined,
    },
    secretsExtension: {
      port: env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || '2773',
      sessionToken: env.AWS_SESSION_TOKEN ?? '',
      timeoutMs: 5_000,
    },
    inLambda: Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
  };
}

export interface IntegrationSettings {
  identityProviders: IdentityProvider[];
  embedOrigins: string[];
  vendorAppLaunchUrl?: string | undefined;
  ticketUrlTemplate?: string | undefined;
}

/**
 * The integration settings, parsed and checked by the module `cdk synth` checks them with
 * (`lambdas/contract/deploy-settings.ts`): in Lambda as deployed (https only, no placeholders),
 * elsewhere as the local stack allows (`http://localhost`). A bad value throws, naming its variable.
 * Call it when first needed, not at cold start.
 */
export function integrationSettings(settings: Pick<Settings, 'integration' | 'inLambda'>): IntegrationSettings {
  const mode = settings.inLambda ? 'deployed' : 'local';
  const { identityProviders, embedOrigins, vendorAppLaunchUrl, ticketUrlTemplate } = settings.integration;
  const read = <T>(name: string, value: string | undefined, parse: (v: string) => T, fallback: T): T => {
    if (value === undefined) return fallback;
    try {
      return parse(value);
    } catch (e) {
      throw new Error(`environment variable ${name}: ${(e as Error).message}`, { cause: e });
    }
  };
  return {
    identityProviders: read('IDENTITY_PROVIDERS', identityProviders, (v) => parseIdentityProviders(v, mode), []),
    embedOrigins: read('EMBED_ORIGINS', embedOrigins, (v) => parseEmbedOrigins(v, mode), []),
    vendorAppLaunchUrl: read('VENDOR_APP_LAUNCH_URL', vendorAppLaunchUrl, (v) => parseLaunchUrl(v, mode), undefined),
    ticketUrlTemplate: read('TICKET_URL_TEMPLATE', ticketUrlTemplate, (v) => parseTicketUrlTemplate(v, mode), undefined),
  };
}

/** A setting that must be there once it is used; `name` is its environment variable. */
export function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}
