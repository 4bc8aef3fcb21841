/**
 * The support-access stack: stateful constructs first (data, auth), then the stateless ones that
 * receive them as props (notifications, API, jobs), and the alarms that watch them all.
 * Settings come from CDK context, read and checked by `config.ts` (defaults in docs/deploy.md).
 */
import { Aws, CfnOutput, Fn, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alarms } from './alarms.ts';
import { Api } from './api.ts';
import { Auth } from './auth.ts';
import { readConfig, type SupportAccessConfig } from './config.ts';
import { Console } from './console.ts';
import { Data } from './data.ts';
import { ApiDomain } from './domains.ts';
import { Enforcement } from './enforcement.ts';
import { TokenIssuer } from './tokens.ts';
import { Functions } from './functions.ts';
import { Jobs } from './jobs.ts';
import { logsKey } from './keys.ts';
import { Notifications } from './notifications.ts';

export interface SupportAccessStackProps extends StackProps {
  /** Overrides what the CDK context says (tests use it). */
  config?: Partial<SupportAccessConfig>;
}

export class SupportAccessStack extends Stack {
  readonly config: SupportAccessConfig;
  readonly data: Data;
  readonly auth: Auth;
  readonly functions: Functions;
  readonly notifications: Notifications;
  /** The API tokens' key and the HTTP API's authorizer. */
  readonly tokenIssuer: TokenIssuer;
  readonly api: Api;
  readonly jobs: Jobs;
  readonly alarms: Alarms;
  /** Session-token keys, the event bus and its publisher. */
  readonly enforcement: Enforcement;
  /** Encrypts every log group of the stack. */
  readonly logKey: Key;
  /** The deployed console, in every deployment (docs/deploy.md, "The console"). */
  readonly console: Console;
  /** The API under its own name (`apiDomainName`), when set. */
  readonly apiDomain?: ApiDomain;
  /** Where emails link to: `appBaseUrl`, or the console's own address. */
  readonly appBaseUrl: string;

  constructor(scope: Construct, id: string, props: SupportAccessStackProps = {}) {
    super(scope, id, { description: 'support-access: temporary, approved support access to tenant accounts', ...props });
    const config = (this.config = readConfig(this, props.config));

    // ---- stateful ----
    this.data = new Data(this, 'Data', { tableKeyArn: config.tableKeyArn });

    // The console's distribution comes before everything that needs its address (the Cognito
    // client's callback URLs, CORS, the links in emails) and depends on none of them.
    const authDomainPrefix = config.authDomainPrefix ?? Fn.join('-', ['support-access', Aws.ACCOUNT_ID]);
    // The API's exact origin is known only when the API does not name the distribution (CORS);
    // otherwise the two would wait for each other, and the header's CSP names the region's API
    // Gateway endpoints instead; the index.html the deploy writes narrows it to the exact API
    // (Console.deploy, docs/deploy.md "The console").
    // With its own name (apiDomainName) the API's origin is a plain string, known to both.
    const apiSource = config.apiDomainName
      ? `https://${config.apiDomainName}`
      : config.corsOrigins
        ? Lazy.string({ produce: () => this.api.url })
        : `https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    // The console is deployed whatever the identity providers: it signs in through the stack's pool.
    this.console = new Console(this, 'Console', {
      assetDir: config.consoleAssetDir,
      connectSources: [apiSource, `https://${authDomainPrefix}.auth.${Aws.REGION}.amazoncognito.com`],
      embedOrigins: config.embedOrigins,
      ...(config.consoleDomainName && config.consoleCertificateArn
        ? { domain: { name: config.consoleDomainName, certificateArn: config.consoleCertificateArn } }
        : {}),
    });
    const appBaseUrl = (this.appBaseUrl = config.appBaseUrl ?? this.console.url);
    this.auth = new Auth(this, 'Auth', {
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
      domainPrefix: authDomainPrefix,
      callbackUrls: config.authCallbackUrls ?? [`${appBaseUrl}/callback`],
      logoutUrls: config.authLogoutUrls ?? [appBaseUrl],
      allowPasswordAuthFlows: config.allowPasswordAuthFlows,
      wafRateLimit: config.wafRateLimit,
    });

    // ---- stateless ----
    this.logKey = logsKey(this, 'LogKey');
    this.functions = new Functions(this, 'Functions', {
      logKey: this.logKey,
      // A year: the AWS Control Tower control CT.CLOUDWATCH.PR.2 asks for at least 365 days.
      logRetention: RetentionDays.ONE_YEAR,
      environment: {
        TABLE_NAME: this.data.table.tableName,
        APP_BASE_URL: appBaseUrl,
        MAIL_FROM: config.mailFrom,
        ...integrationEnvironment(config),
      },
    });
    this.notifications = new Notifications(this, 'Notifications', {
      functions: this.functions,
      table: this.data.table,
      mailFrom: config.mailFrom,
      sesIdentity: config.sesIdentity,
    });
    this.tokenIssuer = new TokenIssuer(this, 'Tokens', { functions: this.functions, keyArn: config.apiTokenKeyArn });
    this.api = new Api(this, 'Api', {
      functions: this.functions,
      table: this.data.table,
      auditKey: this.data.auditKey,
      eventKey: this.data.eventKey,
      cursorSecret: this.data.cursorSecret,
      supportEmailDomains: config.supportEmailDomains,
      authorizer: this.tokenIssuer.authorizer,
      logKey: this.logKey,
      corsOrigins: config.corsOrigins ?? [this.console.origin],
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
      writeRouteThrottle: { rateLimit: config.writeRouteRateLimit, burstLimit: config.writeRouteBurstLimit },
      routeThrottling: config.routeThrottling,
    });
    this.enforcement = new Enforcement(this, 'Enforcement', {
      functions: this.functions,
      table: this.data.table,
      sessionKeys: config.sessionKeys,
      sessionKeyArns: config.sessionKeyArns,
    });
    this.enforcement.bindSigner(this.api.handlers.sessions, {
      issuer: this.api.httpApi.apiEndpoint,
      audience: config.sessionTokenAudience,
    });
    this.enforcement.bindJwks(this.api.handlers.keys);
    // API tokens' issuer: the API's own address, no trailing slash (as the support-session tokens' iss).
    this.tokenIssuer.bindVerifier(this.api.handlers.keys);
    this.tokenIssuer.setIssuer(this.api.httpApi.apiEndpoint, [this.api.handlers.keys]);
    this.jobs = new Jobs(this, 'Jobs', {
      functions: this.functions,
      table: this.data.table,
      auditKey: this.data.auditKey,
      eventKey: this.data.eventKey,
    });

    this.alarms = new Alarms(this, 'Alarms', {
      functions: this.functions.all,
      deadLetterQueues: {
        MailStreamDeadLetters: this.notifications.streamDeadLetterQueue,
        MailScheduleDeadLetters: this.notifications.scheduleDeadLetterQueue,
        ExpireAndSealScheduleDeadLetters: this.jobs.deadLetterQueue,
        EventStreamDeadLetters: this.enforcement.deadLetterQueue,
      },
      notifier: this.notifications.notifier,
      httpApi: this.api.httpApi,
      alarmEmail: config.alarmEmail,
    });

    if (config.apiDomainName && config.apiCertificateArn) {
      this.apiDomain = new ApiDomain(this, 'ApiDomain', {
        httpApi: this.api.httpApi,
        stage: this.api.stage,
        name: config.apiDomainName,
        certificateArn: config.apiCertificateArn,
      });
      new CfnOutput(this, 'ApiDomainTarget', {
        value: this.apiDomain.target,
        description: `Point a CNAME (or a Route 53 alias) for ${config.apiDomainName} here`,
      });
    }
    // No trailing slash, as TokenIssuer and the support-session tokens' iss: `$API_URL/v1/...`.
    const apiUrl = config.apiDomainName ? `https://${config.apiDomainName}` : this.api.httpApi.apiEndpoint;
    this.console.deploy(
      {
        apiUrl,
        apiOrigin: apiUrl,
        cognitoDomain: this.auth.userPoolDomain.baseUrl(),
        clientId: this.auth.userPoolClient.userPoolClientId,
      },
      this.logKey,
    );
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The web console (sign in through Cognito)' });
    if (config.consoleDomainName) {
      new CfnOutput(this, 'ConsoleDomainTarget', {
        value: this.console.distribution.distributionDomainName,
        description: `Point a CNAME (or a Route 53 alias) for ${config.consoleDomainName} here`,
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: apiUrl, description: 'Base URL of the API, no trailing slash (routes start with /v1)' });
    // The tokens' iss stays the execute-api address, a custom domain or not: it is fixed when the
    // functions are configured, and both addresses serve the same discovery document.
    new CfnOutput(this, 'TokenIssuer', {
      value: this.api.httpApi.apiEndpoint,
      description: "The API tokens' iss (exact, no trailing slash); its /.well-known/openid-configuration names the jwks_uri",
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'EventBusName', {
      value: this.enforcement.bus.eventBusName,
      description: 'Every state change (source support-access): add your rules here',
    });
    new CfnOutput(this, 'JwksUrl', {
      value: `${this.api.httpApi.apiEndpoint}/v1/.well-known/jwks.json`,
      description: 'The public keys of the support-session tokens',
    });
    new CfnOutput(this, 'JwtIssuer', { value: this.auth.issuer });
    new CfnOutput(this, 'MailStreamDeadLetterQueueUrl', { value: this.notifications.streamDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe your paging to this topic' });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'SignInUrl', {
      value: this.auth.userPoolDomain.baseUrl(),
      description: 'OAuth endpoints: /oauth2/authorize, /oauth2/token',
    });
    if (config.sesIdentity.toLowerCase() !== config.mailFrom.toLowerCase()) {
      // A domain identity is verified by publishing these three CNAME records (Easy DKIM).
      this.notifications.identity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, { value: `${record.name} CNAME ${record.value}` });
      });
    }
  }
}

/**
 * The v1.2 integration settings, to every function under the names the local stack reads them by
 * (API.md "Local mode, v1.2"), parsed back by `lambdas/runtime/settings.ts` with the same checks.
 */
export function integrationEnvironment(config: SupportAccessConfig): Record<string, string> {
  return {
    ...(config.identityProviders.length ? { IDENTITY_PROVIDERS: JSON.stringify(config.identityProviders) } : {}),
    ...(config.embedOrigins.length ? { EMBED_ORIGINS: config.embedOrigins.join(',') } : {}),
    ...(config.vendorAppLaunchUrl ? { VENDOR_APP_LAUNCH_URL: config.vendorAppLaunchUrl } : {}),
    ...(config.ticketUrlTemplate ? { TICKET_URL_TEMPLATE: config.ticketUrlTemplate } : {}),
  };
}
