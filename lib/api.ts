/**
 * The HTTP API, built by looping over the route table (`lambdas/contract/routes.ts`): one Lambda
 * per route group, one API Gateway route per route (construct id = route id), the API-token
 * authorizer (`lib/tokens.ts`) on every route that needs a token and on no other.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  type CfnStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { groups, routeKey, routes, type Group } from '../lambdas/contract/routes.ts';
import { bindSecret, bindTable, type Functions } from './functions.ts';

export interface ApiProps {
  functions: Functions;
  table: ITable;
  /** The audit chain's key, for the functions whose group asks for it (`auditKey`). */
  auditKey: ISecret;
  /** The audit events' MAC key, for every function that writes audit events (`readwrite`) or verifies them. */
  eventKey: ISecret;
  /** The key of the list cursors, for the functions whose routes page (`pagingGroups`). */
  cursorSecret: ISecret;
  /** The support staff's email domains, to the functions as `SUPPORT_EMAIL_DOMAINS`. */
  supportEmailDomains: string[];
  /** The API-token authorizer (`TokenIssuer`). */
  authorizer: HttpLambdaAuthorizer;
  /** Browser origins allowed by CORS (the web app's origin). */
  corsOrigins: string[];
  /** Encrypts the access logs. */
  logKey: IKey;
  /** Stage-wide steady rate (requests per second) and burst. */
  throttle: { rateLimit: number; burstLimit: number };
  /** Each write route's (every method but GET) rate and burst, all callers together. */
  writeRouteThrottle: { rateLimit: number; burstLimit: number };
  /** Per-route overrides by route id. */
  routeThrottling?: Record<string, { rateLimit: number; burstLimit: number }>;
}

/** Groups with a route that takes `?cursor=` (a `query`): only these read the cursor key. */
export const pagingGroups: ReadonlySet<Group> = new Set(routes.filter((r) => 'query' in r && r.query).map((r) => r.group));

/**
 * Groups whose function deletes items (the store's `Delete`, alone or in a transaction): settings
 * (a contact) and grants (a revoked grant's access entries). A failed call's Idempotency-Key is
 * released by an update, not a delete (`releaseIdempotent`), so the requests and sessions
 * functions hold no DeleteItem. Every other function is denied `dynamodb:DeleteItem`.
 */
export const deletingGroups: ReadonlySet<Group> = new Set<Group>(['settings', 'grants']);

/** The routes that change something: every method but GET. */
export const writeRoutes = routes.filter((r) => r.method !== 'GET');

export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** One function per route group. */
  readonly handlers: Record<Group, NodejsFunction>;
  /** The base URL of the API (`https://{id}.execute-api.{region}.amazonaws.com/`). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: 'support-access',
      description: 'Support access API (v1)',
      // The stage is created below with access logs and throttling.
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.corsOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        exposeHeaders: ['idempotent-replayed'],
        maxAge: Duration.hours(1),
      },
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      // A year: the AWS Control Tower control CT.CLOUDWATCH.PR.2 asks for at least 365 days.
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    // Per-route limits on the writes (the HTTP API's stage route settings; the L2 stage has no
    // property for them): one tenant's flood of requests or approvals cannot use up the stage.
    (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      writeRoutes.map((r) => {
        const t = props.routeThrottling?.[r.id] ?? props.writeRouteThrottle;
        // An L1 Json property: CloudFormation's own (PascalCase) names, as the template carries them.
        return [routeKey(r), { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }];
      }),
    );
    this.url = this.stage.url;

    const authorizer = props.authorizer;

    const entries = Object.entries(groups) as [Group, (typeof groups)[Group]][];
    this.handlers = Object.fromEntries(
      entries.map(([group, def]) => {
        const fn = props.functions.create(this, `${pascal(group)}Function`, {
          entry: def.handler,
          description: `support-access API: ${group} routes`,
        });
        bindTable(fn, props.table, def.data, { deletes: deletingGroups.has(group) });
        if ('auditKey' in def && def.auditKey) bindSecret(fn, props.auditKey, 'AUDIT_KEY_SECRET_ARN');
        if (def.data === 'readwrite' || ('auditKey' in def && def.auditKey)) bindSecret(fn, props.eventKey, 'EVENT_KEY_SECRET_ARN');
        if (pagingGroups.has(group)) bindSecret(fn, props.cursorSecret, 'CURSOR_SECRET_ARN');
        fn.addEnvironment('SUPPORT_EMAIL_DOMAINS', props.supportEmailDomains.join(','));
        return [group, fn];
      }),
    ) as Record<Group, NodejsFunction>;

    const integrations = new Map<Group, HttpLambdaIntegration>();
    for (const route of routes) {
      let integration = integrations.get(route.group);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(route.group)}Integration`, this.handlers[route.group]);
        integrations.set(route.group, integration);
      }
      const httpRoute = new HttpRoute(this, route.id, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        ...(route.auth ? { authorizer } : {}),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
        reason:
          "CT.LAMBDA.PR.2: the permission lets only apigateway.amazonaws.com invoke, with SourceArn set to this API's execute-api ARN; the rule cannot read that ARN because CloudFormation builds it with Fn::Join.",
      });
      if (!route.auth) {
        const reason = `${route.method} ${route.path} is public by contract (API.md): it answers without a token and reads no tenant data.`;
        Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(httpRoute).acknowledge({
          id: 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check',
          reason: `CT.APIGATEWAY.PR.5: ${reason}`,
        });
      }
    }
    // The authorizer's invoke permission (made when the first route binds it, under the HttpApi).
    for (const child of this.httpApi.node.children) {
      if (child instanceof CfnPermission) {
        Validations.of(child).acknowledge({
          id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
          reason:
            "CT.LAMBDA.PR.2: the permission lets only apigateway.amazonaws.com invoke the authorizer, with SourceArn set to this API's authorizer ARN; the rule cannot read that ARN because CloudFormation builds it with Fn::Join.",
        });
      }
    }
  }
}

/** One JSON line per request: who, which route, the outcome, and why a token was refused. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    responseLength: '$context.responseLength',
    verdict: '$context.authorizer.verdict',
    authorizerError: '$context.authorizer.error',
    integrationError: '$context.integrationErrorMessage',
  }),
);

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
