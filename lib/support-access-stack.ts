/**
 * The support-access stack: stateful constructs first (data, auth, notifications), then the
 * stateless ones that receive them as props (functions, API, jobs).
 *
 * CDK context (cdk.json or `-c key=value`):
 * - `mailFrom`: the SES sender (default `support-access@example.com`)
 * - `appBaseUrl`: the web app link in emails, also the CORS origin (default `https://app.example.com/support-access`)
 * - `jwtIssuer` + `jwtAudience`: an existing issuer instead of the Cognito user pool
 * - `apiRateLimit`, `apiBurstLimit`: stage throttling (default 50 / 100)
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Api } from './api.ts';
import { Auth } from './auth.ts';
import { Data } from './data.ts';
import { Functions } from './functions.ts';
import { Jobs } from './jobs.ts';
import { Notifications } from './notifications.ts';

export const DEFAULT_MAIL_FROM = 'support-access@example.com';
export const DEFAULT_APP_BASE_URL = 'https://app.example.com/support-access';

export interface SupportAccessConfig {
  mailFrom: string;
  appBaseUrl: string;
  jwtIssuer?: string;
  jwtAudience?: string[];
  apiRateLimit: number;
  apiBurstLimit: number;
}

export interface SupportAccessStackProps extends StackProps {
  /** Overrides what the CDK context says (tests use it). */
  config?: Partial<SupportAccessConfig>;
}

export class SupportAccessStack extends Stack {
  readonly data: Data;
  readonly auth: Auth;
  readonly notifications: Notifications;
  readonly api: Api;
  readonly jobs: Jobs;

  constructor(scope: Construct, id: string, props: SupportAccessStackProps = {}) {
    super(scope, id, { description: 'support-access: temporary, approved support access to tenant accounts', ...props });
    const config = { ...readConfig(this), ...props.config };

    // ---- stateful ----
    this.data = new Data(this, 'Data');
    this.auth = new Auth(this, 'Auth', { jwtIssuer: config.jwtIssuer, jwtAudience: config.jwtAudience });
    this.notifications = new Notifications(this, 'Notifications', { mailFrom: config.mailFrom });

    // ---- stateless ----
    const functions = new Functions(this, 'Functions', {
      cursorSecret: this.data.cursorSecret,
      logRetention: RetentionDays.ONE_MONTH,
      environment: {
        TABLE_NAME: this.data.table.tableName,
        APP_BASE_URL: config.appBaseUrl,
        MAIL_FROM: config.mailFrom,
      },
    });
    this.api = new Api(this, 'Api', {
      functions,
      table: this.data.table,
      mailIdentityArn: this.notifications.identityArn,
      jwtIssuer: this.auth.issuer,
      jwtAudience: this.auth.audience,
      corsOrigins: [new URL(config.appBaseUrl).origin],
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
    });
    this.jobs = new Jobs(this, 'Jobs', {
      functions,
      table: this.data.table,
      mailIdentityArn: this.notifications.identityArn,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (routes start with /v1)' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'JwtIssuer', { value: this.auth.issuer });
    new CfnOutput(this, 'DeliveryDeadLetterQueueUrl', { value: this.jobs.deadLetterQueue.queueUrl });
    if (this.auth.userPool && this.auth.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId });
    }
  }
}

/** The stack's settings from CDK context, with defaults. */
export function readConfig(scope: Construct): SupportAccessConfig {
  const ctx = (key: string): unknown => scope.node.tryGetContext(key);
  const str = (key: string): string | undefined => {
    const v = ctx(key);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const num = (key: string, fallback: number): number => {
    const v = ctx(key);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : fallback;
    if (!Number.isFinite(n) || n <= 0) throw new Error(`context ${key} must be a positive number`);
    return n;
  };
  const audience = ctx('jwtAudience');
  const jwtAudience = Array.isArray(audience)
    ? audience.map(String).filter(Boolean)
    : typeof audience === 'string' && audience.trim() !== ''
      ? audience.split(',').map((a) => a.trim()).filter(Boolean)
      : undefined;
  return {
    mailFrom: str('mailFrom') ?? DEFAULT_MAIL_FROM,
    appBaseUrl: str('appBaseUrl') ?? DEFAULT_APP_BASE_URL,
    jwtIssuer: str('jwtIssuer'),
    jwtAudience,
    apiRateLimit: num('apiRateLimit', 50),
    apiBurstLimit: num('apiBurstLimit', 100),
  };
}
