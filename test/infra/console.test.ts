/**
 * The deployed console (lib/console.ts): a private bucket behind CloudFront with origin access
 * control, HTTPS only, security headers with a strict CSP, SPA routing by a CloudFront Function,
 * `/app/config.json` written at deploy, and the Cognito client and CORS pointed at it. cdk-nag
 * over the whole stack (console included) is checked by stack.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_PATH, contentSecurityPolicy, SPA_ROUTING_CODE, withConnectPolicy } from '../../lib/console.ts';
import { SupportAccessStack } from '../../lib/support-access-stack.ts';
import { testContext } from '../helpers/cdk-context.ts';
import { consoleLogoutUri, logoutUrl } from '../../web/src/pkce.ts';

const SYNTH_TIMEOUT = 120_000;
const cdkContext = testContext();

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The stand-in build's index.html, shaped like Vite's (the script in `<head>`). */
const BUILT_HTML =
  '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <title>console</title>\n' +
  '    <script type="module" crossorigin src="/app/assets/index-abc123.js"></script>\n  </head>\n  <body><div id="root"></div></body>\n</html>\n';

/** A stand-in for `web/dist`: an index.html and one hashed asset. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'support-access-console-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), BUILT_HTML);
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("console")');
  return dir;
}

/** Synthesizes without bundling the functions (stack.test.ts covers bundling and cdk-nag). */
function synth(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'support-access-console-out-'));
  dirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext, consoleAssetDir: fakeBuild(), ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new SupportAccessStack(app, 'SupportAccess');
  const template = Template.fromStack(stack);
  app.synth();
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnResource);
  return { app, stack, template, outdir, id };
}

/** Runs the CloudFront Function's code (plain ES5, as cloudfront-js-2.0 runs it) on one URI. */
function route(uri: string): { uri?: string; statusCode?: number; headers?: Record<string, { value: string }> } {
  const handler = new Function(`${SPA_ROUTING_CODE}; return handler;`)() as (e: unknown) => never;
  return handler({ request: { uri, method: 'GET', headers: {}, querystring: {} } });
}

describe('The console, deployed', () => {
  let built: ReturnType<typeof synth>;
  const distribution = () => Object.values(built.template.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
  const distributionDomain = () => ({ 'Fn::GetAtt': [built.id(built.stack.console.distribution), 'DomainName'] });
  const csp = () =>
    Object.values(built.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties.ResponseHeadersPolicyConfig
      .SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy as unknown;

  beforeAll(() => {
    // Prepare / Act
    built = synth();
  }, SYNTH_TIMEOUT);

  it('keeps the files in a private, encrypted, TLS-only bucket that only this distribution reads (OAC)', () => {
    // Prepare
    const bucketId = built.id(built.stack.console.bucket);

    // Act
    const bucket = built.template.toJSON().Resources[bucketId];
    const policy = Object.values(built.template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }))[0]!;
    const statements = policy.Properties.PolicyDocument.Statement as {
      Effect: string;
      Principal: unknown;
      Action: unknown;
      Condition: unknown;
    }[];

    // Assess
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      'AES256',
    );
    expect(bucket.Properties).not.toHaveProperty('WebsiteConfiguration');
    expect(bucket.Properties.LoggingConfiguration).toMatchObject({ LogFilePrefix: 's3/' });
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const reads = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('cloudfront.amazonaws.com'));
    expect(reads.length).toBeGreaterThan(0);
    for (const s of reads) {
      expect(JSON.stringify(s.Condition)).toContain(built.id(built.stack.console.distribution));
    }
    built.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    const origin = distribution().Origins[0];
    expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Id'] });
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
  });

  it('answers over HTTPS only, GET and HEAD, compressed, with the headers policy and the routing function, and logs access', () => {
    // Act
    const config = distribution();
    const behavior = config.DefaultCacheBehavior;

    // Assess
    expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(behavior.Compress).toBe(true);
    expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: built.id(built.stack.console.headers) });
    expect(behavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [built.id(built.stack.console.routing), 'FunctionARN'] } },
    ]);
    expect(config).not.toHaveProperty('CustomErrorResponses');
    expect(config.Logging).toMatchObject({ Prefix: 'cloudfront/' });
    built.template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
      AutoPublish: true,
    });
  });

  it('sends security headers and a CSP without inline scripts that lets the app call only itself, the API and Cognito', () => {
    // Act
    const headers = Object.values(built.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties
      .ResponseHeadersPolicyConfig;
    const policy = JSON.stringify(csp());

    // Assess
    expect(headers.SecurityHeadersConfig).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toMatch(/connect-src 'self' https:\/\/\*\.execute-api\./);
    expect(policy).toContain('.auth.');
    expect(policy).toContain('.amazoncognito.com');
    // Nothing lets a script run from anywhere else, inline or evaluated.
    const scriptSrc = contentSecurityPolicy(['https://api.example.com'])
      .split('; ')
      .find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self'");
    expect(policy).not.toContain('unsafe-eval');
  });

  it('routes pages of the app to index.html, keeps real files (a missing one stays 404), and sends / to /app/', () => {
    // Act / Assess
    expect(route('/app').uri).toBe('/app/index.html');
    expect(route('/app/').uri).toBe('/app/index.html');
    expect(route('/app/tenants/acme').uri).toBe('/app/index.html');
    expect(route('/app/tenants/acme.io').uri).toBe('/app/index.html'); // a tenant id with a dot is a page
    expect(route('/app/tenants/acme/requests/01JABC').uri).toBe('/app/index.html');
    expect(route('/app/callback').uri).toBe('/app/index.html');
    expect(route('/app/assets/index-abc123.js').uri).toBe('/app/assets/index-abc123.js');
    expect(route('/app/assets/missing.js').uri).toBe('/app/assets/missing.js');
    expect(route('/app/config.json').uri).toBe('/app/config.json');
    expect(route('/app/favicon.svg').uri).toBe('/app/favicon.svg');
    expect(route('/other/page').uri).toBe('/other/page');
    const root = route('/');
    expect(root.statusCode).toBe(302);
    expect(root.headers?.location?.value).toBe('/app/');
    // The code in the template is this code.
    built.template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: SPA_ROUTING_CODE });
  });

  it('copies the build under app/ (hashed files cached for a year, the rest revalidated) and writes config.json with the API, Cognito domain and client', () => {
    // Prepare
    const deployments = Object.values(built.template.findResources('Custom::CDKBucketDeployment'));
    const auth = built.stack.auth;

    // Act
    const assets = deployments.find((d) => JSON.stringify(d.Properties.Include ?? []).includes('assets/*'))!;
    const pages = deployments.find((d) => d !== assets)!;
    const markers = JSON.stringify(pages.Properties.SourceMarkers);
    const staged = readdirSync(built.outdir)
      .filter((f) => f.startsWith('asset.') && statSync(join(built.outdir, f)).isDirectory())
      .flatMap((f) => readdirSync(join(built.outdir, f)).map((n) => join(built.outdir, f, n)))
      .filter((p) => p.endsWith('config.json'));

    // Assess
    expect(deployments).toHaveLength(2);
    expect(assets.Properties).toMatchObject({
      DestinationBucketKeyPrefix: 'app/',
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect(pages.Properties).toMatchObject({
      DestinationBucketKeyPrefix: 'app/',
      Exclude: ['assets/*'],
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    // Revalidated by cache-control, so no invalidation (it would need cloudfront:CreateInvalidation on "*").
    expect(pages.Properties).not.toHaveProperty('DistributionId');
    expect(markers).toContain(built.id(auth.userPoolClient!));
    expect(markers).toContain(built.id(auth.userPoolDomain!));
    expect(markers).toContain(built.stack.getLogicalId(built.stack.api.httpApi.node.defaultChild as CfnResource));
    expect(staged).toHaveLength(1);
    const config = JSON.parse(readFileSync(staged[0]!, 'utf8')) as Record<string, string>;
    expect(config.mode).toBe('cognito');
    expect(Object.keys(config).sort()).toEqual(['apiUrl', 'clientId', 'cognitoDomain', 'mode']);
    expect(config.cognitoDomain).toMatch(/^https:\/\/<<marker:0xbaba:\d+>>\.auth\./);
  });

  it('writes index.html (the page every deep link gets) with a CSP meta, first in <head>, that lets scripts call only the exact API and Cognito', () => {
    // Prepare
    const deployments = Object.values(built.template.findResources('Custom::CDKBucketDeployment'));
    const pages = deployments.find((d) => !JSON.stringify(d.Properties.Include ?? []).includes('assets/*'))!.Properties;
    const keys = pages.SourceObjectKeys as string[];
    const staged = (i: number) => join(built.outdir, `asset.${keys[i]!.replace(/\.zip$/, '')}`);

    // Act
    const sources = keys.map((_, i) => i).filter((i) => readdirSync(staged(i)).includes('index.html'));
    const i = sources[0]!;
    const html = readFileSync(join(staged(i), 'index.html'), 'utf8');
    const meta = /<head>(<meta http-equiv="Content-Security-Policy" content="([^"]*)">)/.exec(html);
    const markers = pages.SourceMarkers[i] as Record<string, unknown>;
    const marker = (value: unknown) => Object.keys(markers).find((k) => JSON.stringify(markers[k]) === JSON.stringify(value));
    const api = marker({ 'Fn::GetAtt': [built.id(built.stack.api.httpApi), 'ApiEndpoint'] });
    const prefix = marker({ Ref: built.id(built.stack.auth.userPoolDomain!) });
    const region = marker({ Ref: 'AWS::Region' });

    // Assess
    expect(sources).toHaveLength(1); // the build's own index.html is not copied besides it
    expect(meta, html).not.toBeNull();
    expect(html.replace(meta![1]!, '')).toBe(BUILT_HTML); // the rest of the page is the build
    expect(api && prefix && region).toBeTruthy();
    expect(meta![2]).toBe(`connect-src 'self' ${api} https://${prefix}.auth.${region}.amazoncognito.com`);
    expect(meta![2]).not.toContain('*');
    // Deep links and the root object are this object, revalidated like the other pages.
    expect(`${pages.DestinationBucketKeyPrefix}index.html`).toBe(route('/app/tenants/acme').uri!.slice(1));
    expect(distribution().DefaultRootObject).toBe('app/index.html');
    expect(pages.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    // A page without <head> still gets the meta before its first script (in the head the parser opens).
    const bare = withConnectPolicy('<!doctype html><title>t</title><script src="/app/a.js"></script>', ['https://api.example.com']);
    expect(bare).toBe(
      `<!doctype html><meta http-equiv="Content-Security-Policy" content="connect-src 'self' https://api.example.com"><title>t</title><script src="/app/a.js"></script>`,
    );
  });

  it('points the Cognito client, CORS and the email links at the console when appBaseUrl is not set, and outputs its URL', () => {
    // Act
    const client = Object.values(built.template.findResources('AWS::Cognito::UserPoolClient'))[0]!.Properties;
    const api = Object.values(built.template.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties;
    const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });

    // Assess
    expect(client.CallbackURLs).toEqual([join('https://', distributionDomain(), '/app/callback')]);
    expect(client.LogoutURLs).toEqual([join('https://', distributionDomain(), '/app')]);
    expect(api.CorsConfiguration.AllowOrigins).toEqual([join('https://', distributionDomain())]);
    expect(built.template.findOutputs('ConsoleUrl').ConsoleUrl!.Value).toEqual(join('https://', distributionDomain(), '/app'));
  });

  it(
    'names the exact API in the CSP when the console lives at a configured address (no CORS cycle)',
    () => {
      // Act
      const own = synth({ appBaseUrl: 'https://support.acme-saas.org/app' });
      const policy = JSON.stringify(
        Object.values(own.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties.ResponseHeadersPolicyConfig
          .SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy,
      );

      // Assess
      expect(policy).not.toContain('*.execute-api');
      expect(policy).toContain(own.stack.getLogicalId(own.stack.api.httpApi.node.defaultChild as CfnResource));
      own.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://support.acme-saas.org/app/callback'] });
      // Sign-out: the console at that address sends Cognito a logout_uri the client allows
      // (Cognito refuses any other, and the managed login's session would stay).
      const signOut = new URL(
        logoutUrl(
          { cognitoDomain: 'https://login.acme-saas.org', clientId: 'c' },
          consoleLogoutUri('https://support.acme-saas.org', `${CONSOLE_PATH}/`),
        ),
      );
      own.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        LogoutURLs: Match.arrayWith([signOut.searchParams.get('logout_uri')]),
      });
      own.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://support.acme-saas.org'] }),
      });
    },
    SYNTH_TIMEOUT,
  );
});
