/**
 * The web console, deployed: the built single-page app (`web/dist`) in a private S3 bucket behind
 * CloudFront (origin access control, HTTPS only), served under `/app` with security headers and a
 * strict Content-Security-Policy, SPA routing by a CloudFront Function, and the runtime settings
 * (API URL, Cognito domain, client id) written as `/app/config.json` at deploy, with `/app/index.html`
 * carrying a second CSP (a `<meta>`) that names the exact API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AccessLevel,
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  SSLMethod,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

/** The path the console is served under (Vite's `base` in web/vite.config.ts). */
export const CONSOLE_PATH = '/app';

export interface ConsoleSettings {
  /** The API's base URL (`https://{id}.execute-api.{region}.amazonaws.com/`). */
  apiUrl: string;
  /** The API's origin (`https://{id}.execute-api.{region}.amazonaws.com`, no path): index.html's CSP. */
  apiOrigin: string;
  /** The Cognito managed login domain (`https://{prefix}.auth.{region}.amazoncognito.com`). */
  cognitoDomain: string;
  /** The public web client (authorization code + PKCE). */
  clientId: string;
}

export interface ConsoleProps {
  /** The built app: a directory with `index.html` (`npm run web:build` writes `web/dist`). */
  assetDir: string;
  /**
   * The origins the console's scripts may call (CSP `connect-src`, besides `'self'`): the API and
   * the Cognito domain. Give exact origins; see docs/deploy.md for why the API may be a pattern.
   */
  connectSources: string[];
  /** How long the access logs are kept. @default 90 days */
  logRetention?: Duration;
  /**
   * The console's own name and its ACM certificate (us-east-1): the distribution answers for it
   * with TLS 1.2 or later (TLSv1.2_2021, SNI). @default the distribution's `*.cloudfront.net` name
   */
  domain?: { name: string; certificateArn: string };
  /** Exact origins that may frame the console (CSP `frame-ancestors`); @default none: it refuses framing */
  embedOrigins?: string[];
}

/** The Content-Security-Policy of every console response. Exported for the browser tests. */
export function contentSecurityPolicy(connectSources: string[], embedOrigins: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Cloudscape sets styles on elements at run time and may add <style> elements (theming);
    // inline styles cannot run code, inline scripts stay forbidden.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${embedOrigins.length ? embedOrigins.join(' ') : "'none'"}`,
    'upgrade-insecure-requests',
  ].join('; ');
}

/**
 * `html` (the built index.html) with a second Content-Security-Policy, as a `<meta>` first in
 * `<head>` (before every script), that lets scripts call only `'self'` and `connectSources`.
 * Browsers enforce every policy a page gets, so the console's effective `connect-src` is what this
 * one and the response header's both allow. Written at deploy, it can name the API exactly where
 * the header cannot (a cycle: the API's CORS names the distribution).
 */
export function withConnectPolicy(html: string, connectSources: string[]): string {
  // After <head>; a page without one (the parser opens head for a leading <meta>): after <html>, or the doctype.
  const open = /<head(?:\s[^>]*)?>/i.exec(html) ?? /<html(?:\s[^>]*)?>/i.exec(html) ?? /<!doctype[^>]*>/i.exec(html);
  const at = open ? open.index + open[0].length : 0;
  const meta = `<meta http-equiv="Content-Security-Policy" content="connect-src ${["'self'", ...connectSources].join(' ')}">`;
  return html.slice(0, at) + meta + html.slice(at);
}

/**
 * The viewer-request function (cloudfront-js-2.0): `/` goes to `/app/`; under `/app`, the app's
 * own files (`/app/assets/...` and single files like `/app/config.json`) are fetched as they are,
 * so a missing one is a real 404; every other path is a page of the app and gets `index.html`.
 * Tenant ids may contain dots, so "has an extension" is not the test for a file.
 */
export const SPA_ROUTING_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '${CONSOLE_PATH}/' } } };
  }
  if (uri !== '${CONSOLE_PATH}' && uri.indexOf('${CONSOLE_PATH}/') !== 0) return request;
  var rest = uri.substring(${CONSOLE_PATH.length + 1});
  var isFile = rest.indexOf('assets/') === 0 || (rest.indexOf('/') === -1 && rest.indexOf('.') !== -1);
  if (!isFile) request.uri = '${CONSOLE_PATH}/index.html';
  return request;
}
`;

export class Console extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly headers: ResponseHeadersPolicy;
  readonly routing: CloudFrontFunction;
  /** `https://{distribution domain}` */
  readonly origin: string;
  /** `https://{distribution domain}/app`: the console's base URL (appBaseUrl when not set). */
  readonly url: string;
  private readonly assetDir: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    if (!existsSync(join(props.assetDir, 'index.html'))) {
      throw new Error(
        `The console's build is missing: ${props.assetDir}/index.html does not exist. Run \`npm run web:build\` first (\`npm run synth\` does).`,
      );
    }
    const logDays = (props.logRetention ?? Duration.days(90)).toDays();
    const embedOrigins = props.embedOrigins ?? [];

    // CloudFront standard logs need ACLs on their bucket (object writer); the site bucket's own
    // access logs go to the same bucket under another prefix.
    this.logBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(logDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access log bucket of the console (CloudFront and the site bucket log into it); logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // The files are a build output, redeployed by every `cdk deploy`.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'support-access console: security headers and CSP',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(props.connectSources, embedOrigins), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        // X-Frame-Options has no list of origins: with embedOrigins, frame-ancestors alone decides.
        ...(embedOrigins.length ? {} : { frameOptions: { frameOption: HeadersFrameOption.DENY, override: true } }),
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        // The legacy XSS auditor is off in every current browser; "0" keeps old ones from misusing it.
        xssProtection: { protection: false, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
      removeHeaders: ['Server'],
    });

    this.routing = new CloudFrontFunction(this, 'SpaRouting', {
      comment: 'support-access console: pages of the app get /app/index.html',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(SPA_ROUTING_CODE),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'support-access console',
      defaultBehavior: {
        // Read and list: a missing file is a 404 instead of S3's 403.
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessLevels: [AccessLevel.READ, AccessLevel.LIST] }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        responseHeadersPolicy: this.headers,
        functionAssociations: [{ function: this.routing, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      // The routing function already sends `/` to `/app/`; a root object keeps S3's listing (LIST
      // access) unreachable even without it.
      defaultRootObject: 'app/index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.domain
        ? {
            domainNames: [props.domain.name],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: SSLMethod.SNI,
          }
        : {}),
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Support staff and tenant people sign in from anywhere; who may do what is decided by sign-in (Cognito, MFA) and the API, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          "The distribution serves static files only; the API has its own throttling. A WAF web ACL (about $5 a month plus requests) is the operator's choice, see docs/deploy.md.",
      },
    );
    if (!props.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate lets CloudFront choose the viewer TLS policy; the settings consoleDomainName and consoleCertificateArn give the console its own name with TLSv1.2_2021 (docs/deploy.md, "Custom domains").',
      });
    }

    Validations.of(this.distribution).acknowledge({
      id: 'Annotation::@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk',
      reason:
        "LIST makes a missing file a 404 instead of S3's 403. The bucket's listing is never reachable: the routing function sends `/` to `/app/` (and the root object is app/index.html), and no query string reaches the origin (CachingOptimized forwards none).",
    });

    acknowledgeControlTower(this, Boolean(props.domain));

    this.origin = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;
    this.url = `${this.origin}${CONSOLE_PATH}`;

    this.assetDir = props.assetDir;
  }

  /**
   * Copies the built app into the bucket and writes the runtime settings as `/app/config.json`
   * (a separate step: the settings name the API and the Cognito client, which are built after the
   * distribution because they need its address), and `/app/index.html` with a CSP `<meta>` naming
   * the exact API and Cognito origins (see `withConnectPolicy`). Its handler's logs are encrypted with `logKey`
   * and kept a year, like every log group of the stack (Control Tower CT.CLOUDWATCH.PR.2/3).
   */
  deploy(settings: ConsoleSettings, logKey: IKey): void {
    // Content-hashed files: cached for a year; never pruned, so a browser still holding the old
    // index.html during a deploy finds its chunks.
    const deploymentLogs = new LogGroup(this, 'DeploymentLogs', {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const prefix = `${CONSOLE_PATH.slice(1)}/`;
    const assets = new BucketDeployment(this, 'DeployAssets', {
      sources: [Source.asset(this.assetDir)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: prefix,
      exclude: ['*'],
      include: ['assets/*'],
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
      logGroup: deploymentLogs,
    });
    // index.html, the other top-level files and the runtime settings: revalidated on every load.
    // index.html comes from Source.data only (with its CSP meta), never from the asset as built.
    const html = withConnectPolicy(readFileSync(join(this.assetDir, 'index.html'), 'utf8'), [settings.apiOrigin, settings.cognitoDomain]);
    const pages = new BucketDeployment(this, 'DeployPages', {
      sources: [
        Source.asset(this.assetDir, { exclude: ['assets/*', 'config.json', 'index.html'] }),
        Source.data('index.html', html),
        Source.jsonData('config.json', {
          mode: 'cognito',
          apiUrl: settings.apiUrl,
          cognitoDomain: settings.cognitoDomain,
          clientId: settings.clientId,
        }),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: prefix,
      exclude: ['assets/*'],
      // No invalidation needed (and no cloudfront:CreateInvalidation on "*" for CDK's handler):
      // `no-cache` makes CloudFront revalidate these with the bucket after the policy's 1 s minimum.
      cacheControl: [CacheControl.noCache()],
      logGroup: deploymentLogs,
    });
    pages.node.addDependency(assets);
    acknowledgeDeploymentHandler(Stack.of(this), this.bucket);
  }
}

/**
 * The AWS Control Tower proactive controls (CfnGuard) the console's static hosting cannot or need
 * not pass, each with its reason (listed in docs/deploy.md).
 */
function acknowledgeControlTower(scope: Construct, ownCertificate: boolean): void {
  const ct = (rule: string, reason: string) => ({ id: `cdk-validator-cfnguard::${rule}`, reason });
  if (!ownCertificate) {
    // With consoleDomainName and consoleCertificateArn these three pass and are not acknowledged.
    Validations.of(scope).acknowledge(
      ct(
        'cloudfront_custom_ssl_certificate_check',
        "The default *.cloudfront.net certificate; a custom domain needs the operator's own ACM certificate in us-east-1 (settings consoleDomainName, consoleCertificateArn; docs/deploy.md).",
      ),
      ct('cloudfront_sni_enabled_check', 'Follows from the default certificate: SNI applies to a custom certificate only.'),
      ct(
        'cloudfront_security_policy_check',
        'Follows from the default certificate: CloudFront chooses the viewer TLS policy for *.cloudfront.net; with a custom certificate the stack sets TLSv1.2_2021.',
      ),
    );
  }
  Validations.of(scope).acknowledge(
    ct(
      'cloudfront_origin_failover_enabled_check',
      "One origin (the console bucket, in the stack's region): a failover group would need a second bucket in another region kept in sync; a static console can be redeployed.",
    ),
    ct(
      's3_bucket_default_encryption_kms_check',
      "The console's files are public build output and the logs hold no secrets: S3-managed encryption; SSE-KMS would need CloudFront in the key policy and costs a KMS call per object read.",
    ),
    ct(
      's3_bucket_versioning_enabled_check',
      'The site bucket holds a build that every deploy rewrites from the repository; the log bucket is append-only and expires its objects.',
    ),
    ct('s3_bucket_logging_enabled_check', 'The access log bucket itself: logging it into itself would loop. The site bucket logs into it.'),
    ct('s3_event_notifications_enabled_check', "Nothing reacts to the console's files or logs; notifications would have no consumer."),
    ct(
      's3_lifecycle_policy_check',
      'The site bucket holds exactly the current build (no expiry makes sense); the log bucket expires its objects after the retention.',
    ),
    ct(
      's3_bucket_object_lock_enabled_check',
      'Object lock would stop a deploy from replacing index.html and config.json; the logs expire by design.',
    ),
  );
}

/** The BucketDeployment's handler is one function per stack, created by CDK at the stack's root. */
function acknowledgeDeploymentHandler(stack: Stack, bucket: Bucket): void {
  const handler = stack.node.tryFindChild('Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C');
  if (!handler) throw new Error('BucketDeployment handler not found: has aws-cdk-lib renamed it?');
  const siteArn = `<${stack.getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>`;
  // The CDK asset bucket's ARN as cdk-nag prints it: with the stack's region and partition when the
  // CLI gives them (`cdk synth` with a default region), else their tokens (an environment-agnostic stack).
  const known = (value: string, token: string) => (Token.isUnresolved(value) ? token : value);
  const assetBucket = `arn:${known(stack.partition, '<AWS::Partition>')}:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-${known(stack.region, '<AWS::Region>')}/*`;
  const why = (finding: string) => ({
    id: `AwsSolutions-IAM5[${finding}]`,
    reason:
      "CDK's BucketDeployment handler (grantRead on the CDK asset bucket, grantReadWrite on the console bucket): it copies the build into the console bucket, and deletes what a new build dropped.",
  });
  Validations.of(handler).acknowledge(
    {
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        "CT.LAMBDA.PR.3: CDK's BucketDeployment handler reaches only S3 at deploy time and serves nothing; a VPC would need S3 endpoints for no gain.",
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's BucketDeployment handler: the AWS managed basic execution role policy (writing its own logs).",
    },
    { id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment handler: its Python runtime is chosen by aws-cdk-lib and moves with it." },
    ...[
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      `Resource::${assetBucket}`,
      `Resource::${siteArn}/*`,
    ].map(why),
  );
}
