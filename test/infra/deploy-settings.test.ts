/**
 * The settings of a real deployment (lib/config.ts, lib/deploy-config.ts): every refusal names its
 * setting, placeholders are refused, the v1.2 integration settings reach the functions under the
 * names the local stack reads and read back the same, custom domains with their certificates, and
 * the operator's own KMS keys. Synthesized without bundling (stack.test.ts covers it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { SupportAccessStack } from '../../lib/support-access-stack.ts';
import { integrationSettings, settingsFromEnv } from '../../lambdas/runtime/settings.ts';
import { cdkJsonContext, testContext } from '../helpers/cdk-context.ts';

const consoleAssetDir = mkdtempSync(join(tmpdir(), 'support-access-console-'));
mkdirSync(join(consoleAssetDir, 'assets'));
writeFileSync(join(consoleAssetDir, 'index.html'), '<!doctype html><title>console</title>');
afterAll(() => rmSync(consoleAssetDir, { recursive: true, force: true }));

const ACCOUNT = '123456789012';
const cert = (region: string) => `arn:aws:acm:${region}:${ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
const key = (region: string, id = '1234abcd-12ab-34cd-56ef-1234567890ab') => `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`;
const okta = {
  id: 'okta',
  issuer: 'https://vendor-demo.okta.com/',
  audiences: ['0oa1support'],
  for: 'staff',
  roleMap: { 'support-engineers': 'support-agent', 'support-leads': ['support-lead'] },
};

function synth(context: Record<string, unknown>, region?: string, base = testContext()) {
  const app = new App({ context: { ...base, consoleAssetDir, ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new SupportAccessStack(app, 'SupportAccess', region ? { env: { account: ACCOUNT, region } } : {});
  return { stack, template: Template.fromStack(stack) };
}
const ownFunctions = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));

describe('deployment settings refused at synth', () => {
  it('refuses cdk.json alone: it ships no sender and no support domains that would satisfy "required"', () => {
    expect(() => synth({}, undefined, cdkJsonContext())).toThrow(/CDK context "mailFrom": is required/);
    expect(() => synth({ mailFrom: 'support-access@mail.vendor-demo.net' }, undefined, cdkJsonContext())).toThrow(
      /CDK context "supportEmailDomains": is required/,
    );
  });

  it.each([
    // placeholders: reserved example names
    [{ mailFrom: 'support-access@example.com' }, /"mailFrom".*"example.com" is a placeholder/],
    [{ supportEmailDomains: 'example.com' }, /"supportEmailDomains".*"example.com" is a placeholder/],
    [{ supportEmailDomains: 'vendor-demo.net,support.example.org' }, /"supportEmailDomains".*"support.example.org" is a placeholder/],
    [{ supportEmailDomains: 'vendor.test' }, /"supportEmailDomains".*"vendor.test" is a placeholder/],
    [{ alarmEmail: 'ops@app.example' }, /"alarmEmail".*placeholder/],
    [{ appBaseUrl: 'https://console.example.com/app' }, /"appBaseUrl".*placeholder/],
    [{ identityProviders: [{ ...okta, issuer: 'https://login.example.com/' }] }, /"identityProviders".*\[0\]\.issuer.*placeholder/],
    [{ vendorAppLaunchUrl: 'https://app.vendor.example/support-launch' }, /"vendorAppLaunchUrl".*placeholder/],
    [{ consoleDomainName: 'support.example.net', consoleCertificateArn: cert('us-east-1') }, /"consoleDomainName".*placeholder/],
    // a comma-joined list where one URL goes
    [
      { jwtIssuer: 'https://a.okta.com,https://b.auth0.com/', jwtAudience: 'web' },
      /CDK context "jwtIssuer": "https:\/\/a.okta.com,https:\/\/b.auth0.com\/" is one URL, not a list/,
    ],
    [{ identityProviders: 'https://a.okta.com,https://b.auth0.com/' }, /"identityProviders": must be a JSON list of providers/],
    [{ identityProviders: [{ ...okta, issuer: 'https://a.okta.com,https://b.auth0.com/' }] }, /\[0\]\.issuer.*not a list/],
    [{ identityProviders: [{ ...okta, audiences: ['web,api'] }] }, /\[0\]\.audiences\[0\].*not a comma-joined list/],
    [{ embedOrigins: 'https://app.vendor-demo.net/settings' }, /"embedOrigins".*not an exact origin/],
    [{ embedOrigins: 'https://*.vendor-demo.net' }, /"embedOrigins".*no wildcard/],
    // http where deployed needs https
    [{ identityProviders: [{ ...okta, issuer: 'http://vendor-demo.okta.com' }] }, /\[0\]\.issuer.*must be an https:\/\/ URL/],
    [{ identityProviders: [{ ...okta, issuer: 'http://localhost:4000' }] }, /\[0\]\.issuer.*must be an https:\/\/ URL/],
    [{ jwtIssuer: 'http://login.vendor-demo.net/', jwtAudience: 'web' }, /"jwtIssuer".*https:\/\//],
    [{ embedOrigins: 'http://app.vendor-demo.net' }, /"embedOrigins".*https:\/\//],
    // providers that could not work, or would grant what their side may not
    [
      { identityProviders: [{ ...okta, roleMap: { admins: 'tenant-admin' } }] },
      /roleMap\.admins.*staff provider cannot grant tenant-admin/,
    ],
    [{ identityProviders: [{ ...okta, for: 'tenants', roleMap: { s: 'support-lead' } }] }, /tenants provider cannot grant support-lead/],
    [{ identityProviders: [{ ...okta, roleMap: { a: 'owner' } }] }, /roleMap\.a/],
    [{ identityProviders: [okta, { ...okta, id: 'okta2' }] }, /\[1\]\.issuer.*listed twice/],
    [{ identityProviders: [{ ...okta, audiences: [] }] }, /audiences.*at least one audience/],
    // the launch URL and the ticket template
    [{ vendorAppLaunchUrl: 'https://app.vendor-demo.net/launch?x=1' }, /"vendorAppLaunchUrl".*must not have a \?query/],
    [{ ticketUrlTemplate: 'https://help.vendor-demo.net/tickets/' }, /"ticketUrlTemplate".*must contain \{ticketId\}/],
    [{ ticketUrlTemplate: 'https://{ticketId}.vendor-demo.net/' }, /"ticketUrlTemplate".*not be in the host/],
    [{ ticketUrlTemplate: 'http://help.vendor-demo.net/t/{ticketId}' }, /"ticketUrlTemplate".*https:\/\//],
    // domains, certificates, keys
    [{ consoleDomainName: 'support.vendor-demo.net' }, /"consoleCertificateArn": is required with consoleDomainName/],
    [{ apiCertificateArn: cert('eu-west-1') }, /"apiDomainName": is required with apiCertificateArn/],
    [
      { consoleDomainName: 'support.vendor-demo.net', consoleCertificateArn: cert('eu-west-1') },
      /"consoleCertificateArn".*is in eu-west-1: CloudFront takes certificates from us-east-1 only/,
    ],
    [{ consoleDomainName: 'support.vendor-demo.net', consoleCertificateArn: 'arn:aws:acm:us-east-1:1:cert' }, /not an ACM certificate ARN/],
    [{ tableKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/table' }, /"tableKeyArn".*not a KMS key ARN.*not an alias/],
    [{ sessionKeyArns: [key('eu-west-1')], sessionKeys: ['1', '2'] }, /"sessionKeyArns".*not both/],
    [{ sessionKeyArns: [key('eu-west-1'), key('eu-west-1', 'a'.repeat(32)), key('eu-west-1', 'b'.repeat(32))] }, /one or two keys/],
  ])('refuses %j, naming the setting', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });

  it.each([
    [
      { apiDomainName: 'api.vendor-demo.net', apiCertificateArn: cert('us-east-1') },
      /"apiCertificateArn".*is in us-east-1.*stack's region, eu-west-1/,
    ],
    [{ tableKeyArn: key('us-west-2') }, /"tableKeyArn".*is in us-west-2, not in the stack's region eu-west-1/],
    [{ apiTokenKeyArn: key('us-west-2') }, /"apiTokenKeyArn".*is in us-west-2, not in the stack's region eu-west-1/],
  ])('refuses %j in a stack whose region is known', (context, message) => {
    expect(() => synth(context, 'eu-west-1')).toThrow(message);
  });
});

describe('deployment settings, deployed', () => {
  it('gives every function the integration settings under the local names, and the runtime reads back what synth checked', () => {
    // Act
    const { stack, template } = synth({
      identityProviders: JSON.stringify([
        okta,
        { id: 'auth0', issuer: 'https://vendor-demo.eu.auth0.com', audiences: ['app'], roleMap: {} },
      ]),
      embedOrigins: 'https://app.vendor-demo.net, https://admin.vendor-demo.net',
      vendorAppLaunchUrl: 'https://app.vendor-demo.net/support-launch',
      ticketUrlTemplate: 'https://help.vendor-demo.net/tickets/{ticketId}',
    });

    // Assess
    const fns = ownFunctions(template);
    expect(fns.length).toBeGreaterThan(5);
    for (const [, fn] of fns) {
      const env = fn.Properties.Environment.Variables as Record<string, string>;
      // In Lambda the runtime parses them as deployed (https only, no placeholders), with the same module.
      const read = integrationSettings(settingsFromEnv({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'f' }));
      expect(read.identityProviders).toEqual(stack.config.identityProviders);
      expect(read.embedOrigins).toEqual(['https://app.vendor-demo.net', 'https://admin.vendor-demo.net']);
      expect(read.vendorAppLaunchUrl).toBe('https://app.vendor-demo.net/support-launch');
      expect(read.ticketUrlTemplate).toBe('https://help.vendor-demo.net/tickets/{ticketId}');
    }
    // One normal form for issuers: no trailing slash, whichever way it was written.
    expect(stack.config.identityProviders.map((p) => p.issuer)).toEqual([
      'https://vendor-demo.okta.com',
      'https://vendor-demo.eu.auth0.com',
    ]);
    expect(stack.config.identityProviders[0]).toMatchObject({
      for: 'staff',
      claims: { email: 'email', emailVerified: 'email_verified', name: 'name', roles: 'groups', tenants: 'tenants' },
      roleMap: { 'support-engineers': ['support-agent'], 'support-leads': ['support-lead'] },
    });
    expect(stack.config.identityProviders[1]!.for).toBe('both');
    // embedOrigins is the console's frame-ancestors list; X-Frame-Options (no list) is left out then.
    const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties
      .ResponseHeadersPolicyConfig;
    expect(JSON.stringify(policy.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy)).toContain(
      'frame-ancestors https://app.vendor-demo.net https://admin.vendor-demo.net;',
    );
    expect(policy.SecurityHeadersConfig.FrameOptions).toBeUndefined();
  });

  it('refuses framing and sets no integration variable when none is given', () => {
    // Act
    const { template } = synth({});

    // Assess
    const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties
      .ResponseHeadersPolicyConfig;
    expect(JSON.stringify(policy.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy)).toContain("frame-ancestors 'none'");
    expect(policy.SecurityHeadersConfig.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    for (const [, fn] of ownFunctions(template)) {
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/^(IDENTITY_PROVIDERS|EMBED_ORIGINS|VENDOR_APP_LAUNCH_URL|TICKET_URL_TEMPLATE)$/)]),
      );
    }
  });

  it('puts the console and the API under their own names, with TLS 1.2 and the certificates given', () => {
    // Act
    const { template } = synth(
      {
        consoleDomainName: 'support.vendor-demo.net',
        consoleCertificateArn: cert('us-east-1'),
        apiDomainName: 'support-api.vendor-demo.net',
        apiCertificateArn: cert('eu-west-1'),
      },
      'eu-west-1',
    );

    // Assess
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['support.vendor-demo.net'],
        ViewerCertificate: { AcmCertificateArn: cert('us-east-1'), MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'support-api.vendor-demo.net',
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: cert('eu-west-1'), EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }),
      ],
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    const outputs = template.findOutputs('*');
    expect(outputs.ConsoleUrl!.Value).toBe('https://support.vendor-demo.net/app');
    expect(outputs.ApiUrl!.Value).toBe('https://support-api.vendor-demo.net');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiDomainTarget', 'ConsoleDomainTarget']));
    // The emails, the Cognito client and CORS follow the console's own name.
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://support.vendor-demo.net/app/callback'] });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://support.vendor-demo.net'] }),
    });
    for (const [, fn] of ownFunctions(template)) {
      expect(fn.Properties.Environment.Variables.APP_BASE_URL).toBe('https://support.vendor-demo.net/app');
    }
  });

  it("uses the operator's own table and signing keys instead of making them, and grants the functions on them", () => {
    // Prepare
    const tableKey = key('eu-west-1');
    const signing = [key('eu-west-1', 'a'.repeat(32)), key('eu-west-1', 'b'.repeat(32))];

    // Act
    const apiTokenKey = key('eu-west-1', 'c'.repeat(32));
    const { stack, template } = synth(
      { tableKeyArn: tableKey, sessionKeyArns: signing.join(','), apiTokenKeyArn: apiTokenKey },
      'eu-west-1',
    );
    const statements = (fnRoleId: string) =>
      Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: fnRoleId }] } })).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const roleOf = (fn: { role?: unknown }) => stack.getLogicalId((fn.role as { node: { defaultChild: never } }).node.defaultChild);

    // Assess: the table is encrypted with the given key; no session or API-token key is made (the log and topic keys stay)
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: tableKey },
    });
    expect(Object.values(template.findResources('AWS::KMS::Key')).map((k) => k.Properties.KeySpec)).not.toContain('ECC_NIST_P256');
    // Every function that reads the table may decrypt with its key; writers may also encrypt.
    const grants = stack.api.handlers;
    expect(statements(roleOf(grants.grants))).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
        Resource: tableKey,
      }),
    );
    expect(statements(roleOf(stack.enforcement.publisher))).toContainEqual(
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: tableKey }),
    );
    // The last key signs; the JWKS lists both.
    expect(statements(roleOf(grants.sessions))).toContainEqual(expect.objectContaining({ Action: 'kms:Sign', Resource: signing[1] }));
    // CDK merges statements of one action, so the keys function's GetPublicKey names every key it reads.
    const readable = (fn: { role?: unknown }) =>
      statements(roleOf(fn))
        .filter((st) => [st.Action].flat().includes('kms:GetPublicKey'))
        .flatMap((st) => [st.Resource].flat());
    expect(readable(grants.keys)).toEqual(expect.arrayContaining([...signing, apiTokenKey]));
    const sessionsFn = template.toJSON().Resources[stack.getLogicalId(grants.sessions.node.defaultChild as never)];
    expect(sessionsFn.Properties.Environment.Variables.SESSION_KEY_ARNS).toBe(signing[1]);
    // The API tokens are checked with the operator's key: the authorizer reads its public half.
    expect(readable(stack.tokenIssuer.authorizerFunction)).toEqual([apiTokenKey]);
  });
});
