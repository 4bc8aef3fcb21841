/**
 * The synthesized stack: the table, the routes from the route table, the functions and their
 * grants, the jobs, and a clean cdk-nag report. The app is synthesized (and bundled with the local
 * esbuild) once, in `beforeAll`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, routeKey, routes, type Group } from '../../lambdas/contract/routes.ts';
import { METRIC_DIMENSIONS, METRICS, METRICS_NAMESPACE } from '../../lambdas/contract/metrics.ts';
import { attr, indexes } from '../../lambdas/contract/table.ts';
import { deletingGroups, pagingGroups, writeRoutes } from '../../lib/api.ts';
import { createApp } from '../../lib/app.ts';
import { bundlingDefaults, LAMBDA_CREDENTIALS_MODULE, repoRoot } from '../../lib/functions.ts';
import { SupportAccessStack } from '../../lib/support-access-stack.ts';
import { REQUIRED_SETTINGS, testContext } from '../helpers/cdk-context.ts';

/** Generous: the build machine is shared, and a synth with bundling can take minutes there. */
const SYNTH_TIMEOUT = 420_000;
/** The context `cdk synth` uses (feature flags and defaults) and a deployment's required settings, so the test synthesizes the same stack. */
const cdkContext = testContext();
/** A stand-in for the console's build (`web/dist`), so these tests need no `vite build`. */
const consoleAssetDir = mkdtempSync(join(tmpdir(), 'support-access-console-'));
mkdirSync(join(consoleAssetDir, 'assets'));
writeFileSync(
  join(consoleAssetDir, 'index.html'),
  '<!doctype html><title>console</title><script type="module" src="/app/assets/index-abc123.js"></script>',
);
writeFileSync(join(consoleAssetDir, 'assets', 'index-abc123.js'), 'console.log("console")');
cdkContext.consoleAssetDir = consoleAssetDir;
afterAll(() => rmSync(consoleAssetDir, { recursive: true, force: true }));

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
/** The project's functions: every Lambda function but CDK's own handler that copies the console's files into its bucket. */
const ownFunctions = (template: Template) =>
  Object.fromEntries(
    Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment')),
  );

describe('SupportAccess stack', () => {
  let outdir: string;
  let stack: SupportAccessStack;
  let template: Template;
  let synthError: unknown;

  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnResource);
  const functionsOf = () => [
    ...(Object.keys(groups) as Group[]).map((g) => ({ name: g, fn: stack.api.handlers[g] })),
    { name: 'expireAndSeal', fn: stack.jobs.expireAndSeal },
    { name: 'notifier', fn: stack.notifications.notifier },
    { name: 'publisher', fn: stack.enforcement.publisher },
    { name: 'authorizer', fn: stack.tokenIssuer.authorizerFunction },
  ];
  /** The statements of the one policy attached to a function's role. */
  const statementsOf = (fn: NodejsFunction): Statement[] => {
    const roleId = logicalId(fn.role as never);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  const actionsOf = (fn: NodejsFunction) => statementsOf(fn).flatMap((s) => asArray(s.Action));

  beforeAll(() => {
    // Prepare
    outdir = mkdtempSync(join(tmpdir(), 'support-access-infra-'));
    // The Control Tower rules run in their own test below (they cost about 15 s of CPU).
    const { app, stack: built } = createApp({ outdir, context: cdkContext }, { controlTower: false });
    stack = built;

    // Act
    try {
      app.synth();
    } catch (e) {
      synthError = e;
    }
    template = Template.fromStack(stack);
  }, SYNTH_TIMEOUT);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('passes cdk-nag (AwsSolutions) with every finding fixed or acknowledged', () => {
    // Prepare
    const reportFile = join(outdir, 'validation-report.json');

    // Act
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
    };
    const open = report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.severity} ${v.ruleName}`));

    // Assess
    expect(synthError).toBeUndefined();
    expect(open).toEqual([]);
  });

  it('has one table: on-demand, PITR, encrypted, protected, retained, streamed, with TTL and both GSIs', () => {
    // Prepare
    const gsi = (i: { name: string; pk: string; sk: string }) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.pk, KeyType: 'HASH' },
        { AttributeName: i.sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });

    // Act
    const tables = template.findResources('AWS::DynamoDB::Table');

    // Assess
    expect(Object.keys(tables)).toHaveLength(1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: attr.pk, KeyType: 'HASH' },
          { AttributeName: attr.sk, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: attr.ttl, Enabled: true },
        GlobalSecondaryIndexes: [gsi(indexes.byPrincipal), gsi(indexes.byDueAt), gsi(indexes.byRequester)],
      },
    });
  });

  it('turns every route of the route table into an API route, with the API-token authorizer exactly when auth is true', () => {
    // Prepare
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');
    const [authorizerId] = Object.keys(authorizers);
    const apiRoutes = template.findResources('AWS::ApiGatewayV2::Route');
    const byKey = new Map(Object.values(apiRoutes).map((r) => [r.Properties.RouteKey as string, r.Properties]));

    // Act
    const mismatches = routes.flatMap((route) => {
      const props = byKey.get(routeKey(route));
      if (!props) return [`${route.id}: missing`];
      const hasJwt = props.AuthorizationType === 'CUSTOM' && props.AuthorizerId?.Ref === authorizerId;
      const hasNone = props.AuthorizationType === 'NONE' && props.AuthorizerId === undefined;
      return (route.auth ? hasJwt : hasNone) ? [] : [`${route.id}: authorizer does not match auth=${route.auth}`];
    });

    // Assess
    expect(Object.keys(authorizers)).toHaveLength(1);
    expect(mismatches).toEqual([]);
    expect(byKey.size).toBe(routes.length);
  });

  it('sends every route to the function of its group', () => {
    // Prepare
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const apiRoutes = template.findResources('AWS::ApiGatewayV2::Route');

    // Act
    const wrong = routes.filter((route) => {
      const props = Object.values(apiRoutes).find((r) => r.Properties.RouteKey === routeKey(route))?.Properties;
      const target = JSON.stringify(props?.Target ?? '');
      const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
      const uri = integrationId ? integrations[integrationId]?.Properties.IntegrationUri : undefined;
      return uri?.['Fn::GetAtt']?.[0] !== logicalId(stack.api.handlers[route.group]);
    });

    // Assess
    expect(wrong.map((r) => r.id)).toEqual([]);
  });

  it('has one function per group plus the expiry job, the notifier, the event publisher and the API-token authorizer, all Node.js 24 (or 22) on arm64 with tracing', () => {
    // Prepare
    const expected = Object.keys(groups).length + 4;

    // Act
    const fns = ownFunctions(template);

    // Assess
    expect(Object.keys(fns)).toHaveLength(expected);
    const expireId = logicalId(stack.jobs.expireAndSeal);
    for (const [id, fn] of Object.entries(fns)) {
      expect(['nodejs24.x', 'nodejs22.x']).toContain(fn.Properties.Runtime);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      // The expiry job holds a 10,000-grant catch-up in memory; every other function is small.
      expect(fn.Properties.MemorySize).toBe(id === expireId ? 512 : 256);
    }
  });

  /** Where each function's bundle was written by the synth (its asset directory). */
  const bundlesOf = () =>
    functionsOf().map(({ name, fn }) => {
      const code = (fn.node.defaultChild as CfnFunction).code as { s3Key?: string };
      const hash = String(stack.resolve(code.s3Key)).replace(/\.zip$/, '');
      return { name, dir: join(outdir, `asset.${hash}`) };
    });

  it('bundles every function as a minified ESM file with a source map', () => {
    // Prepare
    const bundles = bundlesOf();

    // Act
    const missing = bundles.filter((b) => !existsSync(join(b.dir, 'index.mjs')) || !existsSync(join(b.dir, 'index.mjs.map')));
    const first = readFileSync(join(bundles[0]!.dir, 'index.mjs'), 'utf8');

    // Assess
    expect(missing.map((b) => b.name)).toEqual([]);
    expect(first.startsWith("import { createRequire as __cjsRequire } from 'node:module';")).toBe(true);
    // Minified: long lines (zod's code-generating template literals keep a few short ones).
    expect(first.length / first.split('\n').length).toBeGreaterThan(200);
  });

  it('bundles the AWS SDK clients each function uses, with the environment credential provider and no other', () => {
    // Prepare
    const code = bundlesOf().map(({ name, dir }) => ({ name, text: readFileSync(join(dir, 'index.mjs'), 'utf8') }));
    // The SDK's providers each log their name when asked; the default chain's ones must be absent.
    const chain = [
      'credential-provider-node - defaultProvider',
      'credential-provider-ini - fromIni',
      'credential-provider-sso - fromSSO',
      'credential-provider-process - fromProcess',
      'credential-provider-web-identity - fromTokenFile',
      'credential-provider-imds',
    ];

    // Act
    // The SDK's SigV4a/CRT error message (EventBridge's global endpoints: the publisher) quotes
    // `[require("@aws-sdk/signature-v4-crt");] or an ESM equivalent such as [import "…";]` as text;
    // it is no import. Without those quotes, any import, dynamic import or require of the SDK is one.
    const hint = /register the package by calling \[[^\]]*\] or an ESM equivalent such as \[[^\]]*\]/g;
    const external = code
      .filter(({ text }) => /(from|import|require)\s*\(?\s*["']@aws-sdk\//.test(text.replace(hint, '')))
      .map((c) => c.name);
    // The functions that touch the table carry the DynamoDB client; those that do not (the OpenAPI
    // document, the JWKS) carry none of it.
    const tableless = new Set<string>([
      ...Object.entries(groups)
        .filter(([, g]) => g.data === 'none')
        .map(([name]) => name),
      // The authorizer reads only the API-token key's public half.
      'authorizer',
    ]);
    const withoutDynamo = code.filter(({ name, text }) => !tableless.has(name) && !text.includes('DynamoDB_20120810')).map((c) => c.name);
    const dynamoUnneeded = code.filter(({ name, text }) => tableless.has(name) && text.includes('DynamoDB_20120810')).map((c) => c.name);
    // Every function that calls an AWS service signs with the role's credentials from the
    // environment; meta (the OpenAPI document) calls none and carries no SDK at all.
    const withoutEnvProvider = code
      .filter(({ name, text }) => name !== 'meta' && !text.includes('credential-provider-env - fromEnv'))
      .map((c) => c.name);
    const metaWithSdk = code
      .filter(({ name, text }) => name === 'meta' && /credential-provider|DynamoDB_20120810|SimpleEmailService/.test(text))
      .map((c) => c.name);
    const withChain = code.flatMap(({ name, text }) => chain.filter((c) => text.includes(c)).map((c) => `${name}: ${c}`));
    const withSes = code.filter(({ text }) => text.includes('SimpleEmailService')).map((c) => c.name);
    const sizes = code.map(({ name, text }) => ({ name, kib: Math.ceil(Buffer.byteLength(text) / 1024) }));

    // Assess
    expect(external).toEqual([]);
    expect(withoutDynamo).toEqual([]);
    expect(dynamoUnneeded).toEqual([]);
    expect([...tableless].sort()).toEqual(['authorizer', 'keys', 'meta']);
    expect(withoutEnvProvider).toEqual([]);
    expect(metaWithSdk).toEqual([]);
    expect(withChain).toEqual([]);
    expect(withSes).toEqual(['notifier']);
    expect(sizes.filter((s) => s.kib > 600)).toEqual([]);
  });

  it('builds every function with the bundling the benchmark measures: SDK inside, minified ESM, module fields first, the credential alias', () => {
    // Act
    const b = bundlingDefaults;

    // Assess
    expect(b).toMatchObject({
      format: 'esm',
      minify: true,
      mainFields: ['module', 'main'],
      externalModules: [],
      sourceMap: true,
      sourcesContent: false,
    });
    expect(b.esbuildArgs).toEqual({ '--alias': `@aws-sdk/credential-provider-node=${LAMBDA_CREDENTIALS_MODULE}` });
    expect(existsSync(join(repoRoot, LAMBDA_CREDENTIALS_MODULE))).toBe(true);
  });

  it('gives every function the runtime environment, and the API functions the support email domains', () => {
    // Prepare
    const tableId = logicalId(stack.data.table);
    const resources = template.toJSON().Resources;

    // Act
    const envs = functionsOf().map(({ name, fn }) => ({ name, env: resources[logicalId(fn)].Properties.Environment.Variables }));

    // Assess
    for (const { name, env } of envs) {
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: tableId },
        // No appBaseUrl in cdk.json: emails link to the deployed console.
        APP_BASE_URL: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.console.distribution), 'DomainName'] }, '/app']] },
        MAIL_FROM: REQUIRED_SETTINGS.mailFrom,
      });
      // Source maps ship in the asset, but decoding them at every cold start is not paid for.
      expect(env).not.toHaveProperty('NODE_OPTIONS');
      expect(env).not.toHaveProperty('CURSOR_SECRET');
      if (name in groups) expect(env.SUPPORT_EMAIL_DOMAINS, name).toBe(REQUIRED_SETTINGS.supportEmailDomains);
    }
  });

  it('lets only the functions whose routes page read the cursor key, by reference', () => {
    // Prepare
    const secretId = logicalId(stack.data.cursorSecret);
    const resources = template.toJSON().Resources;
    const reads = (fn: NodejsFunction) =>
      statementsOf(fn).some(
        (s) => asArray(s.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes(`"${secretId}"`),
      );
    const paging = (Object.keys(groups) as Group[]).filter((g) => routes.some((r) => r.group === g && 'query' in r && r.query));

    // Act
    const readers = functionsOf()
      .filter(({ fn }) => reads(fn))
      .map(({ name }) => name);
    const withArn = functionsOf()
      .filter(({ fn }) => resources[logicalId(fn)].Properties.Environment.Variables.CURSOR_SECRET_ARN)
      .map(({ name }) => name);

    // Assess
    expect(readers.sort()).toEqual([...paging].sort());
    expect(readers.sort()).toEqual(['access', 'audit', 'grants', 'requests', 'sessions']);
    expect([...pagingGroups].sort()).toEqual(readers);
    expect(withArn.sort()).toEqual(readers);
    for (const name of withArn) {
      const fn = functionsOf().find((f) => f.name === name)!.fn;
      expect(resources[logicalId(fn)].Properties.Environment.Variables.CURSOR_SECRET_ARN).toEqual({ Ref: secretId });
    }
  });

  it('lets only the expiry job (sealing) and the audit function (verifying) read the audit chain key, kept on stack deletion', () => {
    // Prepare
    const keyId = logicalId(stack.data.auditKey);
    const secretReads = (fn: NodejsFunction) =>
      statementsOf(fn).filter(
        (s) => asArray(s.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes(`"${keyId}"`),
      );

    // Act
    const readers = functionsOf()
      .filter(({ fn }) => secretReads(fn).length > 0)
      .map(({ name }) => name);
    const fns = template.toJSON().Resources;

    // Assess
    expect(readers.sort()).toEqual(['audit', 'expireAndSeal']);
    for (const { name, fn } of functionsOf()) {
      const env = fns[logicalId(fn)].Properties.Environment.Variables;
      if (readers.includes(name)) expect(env.AUDIT_KEY_SECRET_ARN).toEqual({ Ref: keyId });
      else expect(env).not.toHaveProperty('AUDIT_KEY_SECRET_ARN');
    }
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Description: Match.stringLikeRegexp('audit hash chain') }),
      DeletionPolicy: 'Retain',
    });
  });

  it('lets every function that writes audit events, and verification, read the audit event key; no other', () => {
    // Prepare
    const keyId = logicalId(stack.data.eventKey);
    const secretReads = (fn: NodejsFunction) =>
      statementsOf(fn).filter(
        (s) => asArray(s.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes(`"${keyId}"`),
      );
    // Act
    const readers = functionsOf()
      .filter(({ fn }) => secretReads(fn).length > 0)
      .map(({ name }) => name);
    const fns = template.toJSON().Resources;
    // Assess
    expect(readers.sort()).toEqual(['audit', 'expireAndSeal', 'grants', 'requests', 'sessions', 'settings']);
    for (const { name, fn } of functionsOf()) {
      const env = fns[logicalId(fn)].Properties.Environment.Variables;
      if (readers.includes(name)) expect(env.EVENT_KEY_SECRET_ARN).toEqual({ Ref: keyId });
      else expect(env).not.toHaveProperty('EVENT_KEY_SECRET_ARN');
    }
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Description: Match.stringLikeRegexp('audit events') }),
      DeletionPolicy: 'Retain',
    });
  });

  it('grants table access by the mode of each group, and PartiQLSelect for the access check', () => {
    // Prepare
    const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
    const allowed = (fn: NodejsFunction) =>
      statementsOf(fn)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => asArray(s.Action));

    // Act
    const byName = new Map(functionsOf().map(({ name, fn }) => [name, allowed(fn)]));

    // Assess
    for (const [group, def] of Object.entries(groups)) {
      const actions = byName.get(group)!;
      const dynamo = actions.filter((a) => a.startsWith('dynamodb:'));
      if (def.data === 'none') expect(dynamo).toEqual([]);
      if (def.data === 'read') {
        expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PartiQLSelect']));
        expect(dynamo.filter((a) => writes.includes(a))).toEqual([]);
      }
      if (def.data === 'readwrite') {
        expect(dynamo).toEqual(
          expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PartiQLSelect']),
        );
      }
      expect(actions.filter((a) => a.startsWith('ses:'))).toEqual([]);
    }
  });

  it('lets only the functions that delete (contacts, access entries) delete, and none write in bulk or scan', () => {
    // Prepare
    const tableId = logicalId(stack.data.table);
    const onTable = (s: Statement) => JSON.stringify(s.Resource).includes(`"${tableId}"`);
    const allows = (fn: NodejsFunction, action: string) =>
      statementsOf(fn).some((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action));
    const denies = (fn: NodejsFunction, action: string) =>
      statementsOf(fn).some((s) => s.Effect === 'Deny' && onTable(s) && asArray(s.Action).includes(action));
    const tableUsers = functionsOf().filter(({ fn }) => allows(fn, 'dynamodb:Query'));

    // Act
    const deleters = functionsOf()
      .filter(({ fn }) => allows(fn, 'dynamodb:DeleteItem'))
      .map(({ name }) => name);
    const deniedDelete = tableUsers.filter(({ fn }) => denies(fn, 'dynamodb:DeleteItem')).map(({ name }) => name);
    const bulk = functionsOf().filter(({ fn }) =>
      ['dynamodb:BatchWriteItem', 'dynamodb:Scan', 'dynamodb:PartiQLDelete', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLInsert'].some((a) =>
        allows(fn, a),
      ),
    );
    const bulkDenied = tableUsers.filter(({ fn }) => denies(fn, 'dynamodb:BatchWriteItem') && denies(fn, 'dynamodb:PartiQLDelete'));

    // Assess
    expect(deleters.sort()).toEqual(['expireAndSeal', 'grants', 'settings']);
    expect([...deletingGroups].sort()).toEqual(['grants', 'settings']);
    // Every other function that touches the table is denied DeleteItem outright (a later grant cannot undo a Deny).
    expect(deniedDelete.sort()).toEqual(
      tableUsers
        .map(({ name }) => name)
        .filter((n) => !deleters.includes(n))
        .sort(),
    );
    expect(deniedDelete.sort()).toEqual(['access', 'audit', 'notifier', 'publisher', 'requests', 'sessions']);
    expect(bulk.map(({ name }) => name)).toEqual([]);
    expect(bulkDenied).toHaveLength(tableUsers.length);
  });

  it('lets no policy grant dynamodb:* or any DynamoDB action on Resource "*"', () => {
    // Prepare
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

    // Act
    const wide = statements.filter((s) => {
      const actions = asArray(s.Action);
      const dynamo = actions.filter((a) => a === '*' || a.startsWith('dynamodb:'));
      return dynamo.some((a) => a === '*' || a === 'dynamodb:*') || (dynamo.length > 0 && asArray(s.Resource).includes('*'));
    });

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(wide).toEqual([]);
  });

  it('names a resource in every statement that can: only X-Ray tracing is granted on "*"', () => {
    // Prepare
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

    // Act
    const onStar = statements.filter((s) => asArray(s.Resource).includes('*'));
    const actionsOnStar = [...new Set(onStar.flatMap((s) => asArray(s.Action)))].sort();

    // Assess: these two X-Ray actions support no resource-level permission.
    expect(actionsOnStar).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('lets only the notifier send mail, as the configured identity only', () => {
    // Prepare
    const identityArn = stack.resolve(stack.notifications.identityArn);

    // Act
    const senders = functionsOf().filter(({ fn }) => actionsOf(fn).some((a) => a.startsWith('ses:')));
    const sesStatements = senders.flatMap(({ fn }) => statementsOf(fn).filter((s) => asArray(s.Action).some((a) => a.startsWith('ses:'))));

    // Assess
    expect(senders.map((s) => s.name)).toEqual(['notifier']);
    expect(sesStatements).toHaveLength(1);
    for (const s of sesStatements) {
      // SendEmail only: no SendRawEmail (free-form headers and attachments) anywhere.
      expect(asArray(s.Action)).toEqual(['ses:SendEmail']);
      expect(s.Resource).toEqual(identityArn);
    }
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: REQUIRED_SETTINGS.mailFrom });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ses:SendRawEmail');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ses:*');
  });

  it('holds the session-token key in KMS (ECC_NIST_P256, sign/verify); only the sessions function signs, with it only; the JWKS function reads its public key', () => {
    // Prepare
    const keyArn = stack.resolve(stack.enforcement.signingKey.keyArn);
    const kmsStatements = (fn: NodejsFunction) => statementsOf(fn).filter((s) => asArray(s.Action).some((a) => a.startsWith('kms:')));

    // Act
    const signers = functionsOf().filter(({ fn }) => actionsOf(fn).includes('kms:Sign'));
    const readers = functionsOf().filter(({ fn }) => actionsOf(fn).includes('kms:GetPublicKey'));

    // Assess
    template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(signers.map((s) => s.name)).toEqual(['sessions']);
    expect(kmsStatements(stack.api.handlers.sessions)).toEqual([{ Effect: 'Allow', Action: 'kms:Sign', Resource: keyArn }]);
    expect(readers.map((s) => s.name)).toEqual(['keys', 'authorizer']);
    const apiTokenKeyArn = stack.resolve(stack.tokenIssuer.key.keyArn);
    expect(kmsStatements(stack.api.handlers.keys)).toEqual([
      { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: [keyArn, apiTokenKeyArn] },
    ]);
    const env = (fn: NodejsFunction) => template.findResources('AWS::Lambda::Function')[logicalId(fn)]!.Properties.Environment.Variables;
    expect(env(stack.api.handlers.sessions)).toMatchObject({
      SESSION_KEY_ARNS: keyArn,
      SESSION_TOKEN_AUDIENCE: 'support-access',
      SESSION_TOKEN_ISSUER: { 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] },
    });
    expect(env(stack.api.handlers.keys)).toMatchObject({ SESSION_KEY_ARNS: keyArn });
    // The API answers the JWKS without a token.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/.well-known/jwks.json', AuthorizationType: 'NONE' });
  });

  it("lets only the publisher put events, on the stack's bus only, fed new audit items by the stream with bisect, retries and an alarmed dead-letter queue", () => {
    // Prepare
    const busArn = stack.resolve(stack.enforcement.bus.eventBusArn);

    // Act
    const putters = functionsOf().filter(({ fn }) => actionsOf(fn).some((a) => a.startsWith('events:')));
    const statements = statementsOf(stack.enforcement.publisher).filter((s) => asArray(s.Action).some((a) => a.startsWith('events:')));

    // Assess
    template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(putters.map((p) => p.name)).toEqual(['publisher']);
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }]);
    expect(actionsOf(stack.enforcement.publisher)).not.toContain('dynamodb:PutItem');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.enforcement.publisher) },
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10000,
      MaximumRecordAgeInSeconds: 86400,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.enforcement.deadLetterQueue), 'Arn'] } } },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { [attr.type]: { S: ['audit'] } } } }) }],
      },
    });
  });

  it('runs the expire-and-seal job every minute, under a name that says both, with retries and a dead-letter queue', () => {
    // Prepare
    const expireId = logicalId(stack.jobs.expireAndSeal);
    const dlqId = logicalId(stack.jobs.deadLetterQueue);
    // The function's id, its description and its schedule name both of its tasks (its alarms and
    // log group are named after the id).
    expect(expireId).toMatch(/^JobsExpireAndSealFunction[0-9A-F]{8}$/);
    expect(template.toJSON().Resources[expireId].Properties.Description).toMatch(/expire .*seal the audit chains/);

    // Act / Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [expireId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        }),
      ],
    });
    // One run at a time, with room for a 10,000-expiry catch-up.
    expect(template.toJSON().Resources[expireId].Properties).toMatchObject({ ReservedConcurrentExecutions: 1, Timeout: 300 });
  });

  it('drains due mail every minute through the notifier, with retries and a dead-letter queue', () => {
    // Prepare
    const notifierId = logicalId(stack.notifications.notifier);
    const dlqId = logicalId(stack.notifications.scheduleDeadLetterQueue);

    // Act / Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [notifierId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        }),
      ],
    });
  });

  it('feeds new outbox items from the stream to the notifier, with bisect, bounded retries and a dead-letter queue', () => {
    // Prepare
    const dlqId = logicalId(stack.notifications.streamDeadLetterQueue);
    const tableId = logicalId(stack.data.table);

    // Act
    // The notifier's mapping (the event publisher has one of its own, tested with it).
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalId(stack.notifications.notifier) } },
    });
    const [mapping] = Object.values(mappings);
    const pattern = JSON.parse(mapping?.Properties.FilterCriteria.Filters[0].Pattern);

    // Assess
    expect(Object.keys(mappings)).toHaveLength(1);
    expect(mapping?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      FunctionName: { Ref: logicalId(stack.notifications.notifier) },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    expect(pattern).toEqual({ eventName: ['INSERT'], dynamodb: { NewImage: { [attr.type]: { S: ['outbox'] } } } });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('creates the Cognito user pool with the four groups and the tenantId attribute', () => {
    // Prepare
    const poolId = logicalId(stack.auth.userPool!);

    // Act
    const groupsInPool = template.findResources('AWS::Cognito::UserPoolGroup');

    // Assess
    expect(
      Object.values(groupsInPool)
        .map((g) => g.Properties.GroupName)
        .sort(),
    ).toEqual(['support-agent', 'support-lead', 'tenant-admin', 'tenant-user']);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([Match.objectLike({ Name: 'tenantId', AttributeDataType: 'String', Mutable: false })]),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ReadAttributes: Match.arrayWith(['custom:tenantId']),
      WriteAttributes: Match.not(Match.arrayWith(['custom:tenantId'])),
    });
    // A public web client: the authorization code grant only (with PKCE, see docs/deploy.md), no secret.
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      // No appBaseUrl in cdk.json: the deployed console's address (test/infra/console.test.ts).
      CallbackURLs: [
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.console.distribution), 'DomainName'] }, '/app/callback']] },
      ],
      LogoutURLs: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.console.distribution), 'DomainName'] }, '/app']] }],
      SupportedIdentityProviders: ['COGNITO'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2 });
    // No WAF unless wafRateLimit is set.
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    // The API no longer trusts the pool's tokens itself: its authorizer checks API tokens only
    // (the door that maps the pool's ID token is issue 24's door 1); the pool's issuer is an output.
    template.hasOutput('JwtIssuer', { Value: { 'Fn::GetAtt': [poolId, 'ProviderURL'] } });
  });

  it('signs in case-insensitively and keeps a changed email out of tokens until it is verified', () => {
    // Act
    const [pool] = Object.values(template.findResources('AWS::Cognito::UserPool'));

    // Assess
    expect(pool!.Properties).toMatchObject({
      UsernameConfiguration: { CaseSensitive: false },
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  it('allows only refresh tokens besides the managed login (no SRP, no password flows), with 15-minute ID and access tokens', () => {
    // Act
    const [client] = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));

    // Assess
    expect(client!.Properties.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(client!.Properties).toMatchObject({
      IdTokenValidity: 15,
      AccessTokenValidity: 15,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes' },
    });
    // Tokens of this client cannot call UpdateUserAttributes (that needs aws.cognito.signin.user.admin).
    expect(client!.Properties.AllowedOAuthScopes).not.toContain('aws.cognito.signin.user.admin');
    expect(client!.Properties.WriteAttributes).not.toContain('custom:tenantId');
    expect(client!.Properties.WriteAttributes.length).toBeGreaterThan(0);
  });

  it('logs access on the default stage and throttles it', () => {
    // Act / Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('throttles every write route on its own (10/s, burst 20 by default) and leaves the reads to the stage limit', () => {
    // Prepare
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));

    // Act
    const settings = stage!.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;

    // Assess
    expect(writeRoutes.length).toBeGreaterThan(5);
    expect(Object.keys(settings).sort()).toEqual(
      routes
        .filter((r) => r.method !== 'GET')
        .map(routeKey)
        .sort(),
    );
    for (const key of Object.keys(settings)) expect(settings[key], key).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    expect(settings['POST /v1/tenants/{tenantId}/access-requests']).toBeDefined();
    expect(settings['POST /v1/tenants/{tenantId}/access-requests/{requestId}/approve']).toBeDefined();
  });

  it("encrypts every log group with the stack's log key and keeps logs for a year", () => {
    // Prepare
    const keyId = logicalId(stack.logKey);

    // Act
    const groupsOfLogs = Object.values(template.findResources('AWS::Logs::LogGroup'));

    // Assess
    // One per function, the API's access log, and the console deployment handler's.
    expect(groupsOfLogs.length).toBe(functionsOf().length + 2);
    for (const g of groupsOfLogs) expect(g.Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] }, RetentionInDays: 365 });
    // CT.KMS.PR.3 on every key of the stack: grants only for AWS services. KMS rotates only the
    // symmetric keys; the session-token signing keys are rotated by configuration (docs/deploy.md).
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
      if (key.Properties.KeyUsage !== 'SIGN_VERIFY') expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.KeyPolicy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
          }),
        ]),
      );
    }
  });

  it('pages through one encrypted topic when a dead-letter queue fills, a function fails or is throttled, mail lags or fails, events fail to publish, an audit trail fails its verification, or the API answers 5xx', () => {
    // Prepare
    const topicId = logicalId(stack.alarms.topic);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const dimensionRef = (a: (typeof alarms)[number], name: string) =>
      JSON.stringify((a.Dimensions as { Name: string; Value: unknown }[] | undefined)?.find((d) => d.Name === name)?.Value ?? null);
    const watching = (metric: string, name: string, ref: unknown) =>
      alarms.filter((a) => a.MetricName === metric && dimensionRef(a, name) === JSON.stringify(ref));

    // Act
    const fns = functionsOf();
    const queues = [
      stack.notifications.streamDeadLetterQueue,
      stack.notifications.scheduleDeadLetterQueue,
      stack.jobs.deadLetterQueue,
      stack.enforcement.deadLetterQueue,
    ];

    // Assess
    for (const { name, fn } of fns) {
      expect(watching('Errors', 'FunctionName', { Ref: logicalId(fn) }), `${name} errors`).toHaveLength(1);
      expect(watching('Throttles', 'FunctionName', { Ref: logicalId(fn) }), `${name} throttles`).toHaveLength(1);
    }
    for (const queue of queues) {
      const [alarm] = watching('ApproximateNumberOfMessagesVisible', 'QueueName', { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] });
      expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
    expect(watching('IteratorAge', 'FunctionName', { Ref: logicalId(stack.notifications.notifier) })).toHaveLength(1);
    expect(alarms.filter((a) => a.MetricName === '5xx' && a.Namespace === 'AWS/ApiGateway')).toHaveLength(1);
    // The figures the functions write as EMF: the same namespace, name and dimensions as the code.
    const emfAlarm = (name: string, evaluationPeriods: number) =>
      expect(alarms.filter((a) => a.Namespace === METRICS_NAMESPACE && a.MetricName === name)).toEqual([
        expect.objectContaining({
          Dimensions: Object.entries(METRIC_DIMENSIONS).map(([Name, Value]) => ({ Name, Value })),
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          EvaluationPeriods: evaluationPeriods,
        }),
      ]);
    emfAlarm(METRICS.emailsFailed, 1);
    emfAlarm(METRICS.eventPublishFailures, 3);
    emfAlarm(METRICS.auditTrailProblems, 1);
    expect(alarms.length).toBe(fns.length * 2 + queues.length + 5);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('outputs the API URL and the token issuer (both without a trailing slash), the table name, the user pool ids, the sign-in URL and the alarm topic', () => {
    // Act
    const outputs = Object.keys(template.findOutputs('*'));

    // Assess
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'TokenIssuer',
        'TableName',
        'UserPoolId',
        'UserPoolClientId',
        'SignInUrl',
        'AlarmTopicArn',
        'MailStreamDeadLetterQueueUrl',
      ]),
    );
  });

  it('checks API tokens with a cached Lambda authorizer whose issuer is the API itself, exact and without a trailing slash (so the first deploy needs nothing reachable)', () => {
    // Prepare
    const apiEndpoint = { 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] };
    const keyArn = stack.resolve(stack.tokenIssuer.key.keyArn);
    const env = (fn: NodejsFunction) => template.findResources('AWS::Lambda::Function')[logicalId(fn)]!.Properties.Environment.Variables;

    // Act
    const authorizers = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'));

    // Assess: a REQUEST authorizer, simple responses, cached five minutes per Authorization header.
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]!.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 300,
      IdentitySource: ['$request.header.Authorization'],
    });
    // Its own ES256 key in KMS, apart from the session keys; nothing may sign with it yet.
    template.resourcePropertiesCountIs('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }, 2);
    expect(keyArn).not.toEqual(stack.resolve(stack.enforcement.signingKey.keyArn));
    expect(
      functionsOf().filter(({ fn }) =>
        statementsOf(fn).some((st) => asArray(st.Action).includes('kms:Sign') && JSON.stringify(st.Resource) === JSON.stringify(keyArn)),
      ),
    ).toEqual([]);
    for (const fn of [stack.tokenIssuer.authorizerFunction, stack.api.handlers.keys]) {
      expect(env(fn)).toMatchObject({ API_TOKEN_KEY_ARNS: keyArn, TOKEN_ISSUER: apiEndpoint });
    }
    // The issuer output, the ApiUrl and the support-session tokens' iss are one string: the endpoint, no slash.
    template.hasOutput('TokenIssuer', { Value: apiEndpoint });
    template.hasOutput('ApiUrl', { Value: apiEndpoint });
    expect(env(stack.api.handlers.sessions)).toMatchObject({ SESSION_TOKEN_ISSUER: apiEndpoint });
    // Discovery answers without a token.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /.well-known/openid-configuration',
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /.well-known/api-token-jwks.json',
      AuthorizationType: 'NONE',
    });
  });
});

describe('SupportAccess stack under the AWS Control Tower proactive controls', () => {
  it('passes every CfnGuard rule of @cdklabs/cdk-validator-cfnguard, or acknowledges it with a reason (WAF on too)', () => {
    // Prepare: the app as `npm run synth` builds it (with the CLI's default region, which turns the
    // CDK asset bucket's ARN into a string that cdk-nag's acknowledgements must match), with the
    // optional web ACL so it is checked too (bundling is covered above and changes only asset hashes).
    const outdir = mkdtempSync(join(tmpdir(), 'support-access-guard-'));
    const { app } = createApp(
      { outdir, context: { ...cdkContext, wafRateLimit: 300, 'aws:cdk:bundling-stacks': [] } },
      { region: 'us-east-1' },
    );
    let error: unknown;

    // Act
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
    };
    rmSync(outdir, { recursive: true, force: true });

    // Assess
    expect(error).toBeUndefined();
    expect(report.pluginReports.map((p) => p.pluginName)).toContain('cdk-validator-cfnguard');
    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.ruleName}`))).toEqual([]);
  }, 600_000);
  it("passes them too with the console and the API under their own names and the operator's own keys (no certificate rule acknowledged)", () => {
    // Prepare: the certificate rules are acknowledged only for the default *.cloudfront.net name
    const outdir = mkdtempSync(join(tmpdir(), 'support-access-guard-'));
    const arn = (service: string, region: string, rest: string) => `arn:aws:${service}:${region}:123456789012:${rest}`;
    const { app } = createApp(
      {
        outdir,
        context: {
          ...cdkContext,
          consoleDomainName: 'support.vendor-demo.net',
          consoleCertificateArn: arn('acm', 'us-east-1', 'certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'),
          apiDomainName: 'support-api.vendor-demo.net',
          apiCertificateArn: arn('acm', 'us-east-1', 'certificate/1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'),
          tableKeyArn: arn('kms', 'us-east-1', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
          sessionKeyArns: arn('kms', 'us-east-1', 'key/2234abcd-12ab-34cd-56ef-1234567890ab'),
          embedOrigins: 'https://app.vendor-demo.net',
          'aws:cdk:bundling-stacks': [],
        },
      },
      { region: 'us-east-1' },
    );
    let error: unknown;

    // Act
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
    };
    rmSync(outdir, { recursive: true, force: true });

    // Assess
    expect(error).toBeUndefined();
    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.ruleName}`))).toEqual([]);
  }, 600_000);
});

describe('SupportAccess stack with an existing issuer', () => {
  it(
    'names the given issuer, keeps the API-token authorizer, and still deploys the pool and the console',
    () => {
      // Prepare
      const app = new App({
        context: {
          ...cdkContext,
          jwtIssuer: 'https://login.acme-saas.com/',
          jwtAudience: 'support-access-api,support-access-web',
          // Bundling is covered above; this synth only looks at auth.
          'aws:cdk:bundling-stacks': [],
        },
      });

      // Act
      const stack = new SupportAccessStack(app, 'SupportAccess');
      const template = Template.fromStack(stack);

      // Assess: the issuer named exactly as given; the API itself checks its own API tokens
      template.hasOutput('JwtIssuer', { Value: 'https://login.acme-saas.com/' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST' });
      // The console is there whatever the issuer, with its sign-in pool and its address as output.
      template.resourceCountIs('AWS::CloudFront::Distribution', 1);
      template.resourceCountIs('AWS::Cognito::UserPool', 1);
      expect(Object.keys(template.findOutputs('*'))).toEqual(expect.arrayContaining(['ConsoleUrl', 'UserPoolId', 'SignInUrl']));
    },
    SYNTH_TIMEOUT,
  );
});

describe('SupportAccess stack configuration', () => {
  /** Synthesizes without bundling (covered above): these tests look at configuration only. */
  const synth = (context: Record<string, unknown>) => {
    const app = new App({ context: { ...cdkContext, ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new SupportAccessStack(app, 'SupportAccess');
    return { stack, template: Template.fromStack(stack) };
  };

  it(
    'sends as a domain identity, publishes its DKIM records, and allows the configured origins and alarm email',
    () => {
      // Act
      const { template } = synth({
        mailFrom: 'no-reply@mail.acme-saas.org',
        sesIdentity: 'acme-saas.org',
        appBaseUrl: 'https://console.acme-saas.org/support',
        corsOrigins: 'https://console.acme-saas.org, https://admin.acme-saas.org',
        alarmEmail: 'ops@acme-saas.org',
        authDomainPrefix: 'example-support',
      });

      // Assess
      template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'acme-saas.org' });
      expect(Object.keys(template.findOutputs('*'))).toEqual(expect.arrayContaining(['DkimRecord1', 'DkimRecord2', 'DkimRecord3']));
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://console.acme-saas.org', 'https://admin.acme-saas.org'] }),
      });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@acme-saas.org' });
      template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'example-support' });
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://console.acme-saas.org/support/callback'] });
      const fns = Object.values(ownFunctions(template));
      for (const fn of fns) {
        expect(fn.Properties.Environment.Variables).toMatchObject({
          MAIL_FROM: 'no-reply@mail.acme-saas.org',
          APP_BASE_URL: 'https://console.acme-saas.org/support',
        });
      }
    },
    SYNTH_TIMEOUT,
  );

  it.each([
    [{ mailFrom: 'not-an-address' }, /mailFrom.*not an email address/],
    [{ mailFrom: 'a@acme-saas.com', sesIdentity: 'acme-saas.org' }, /sesIdentity.*not in the domain acme-saas.org/],
    [{ appBaseUrl: 'http://app.acme-saas.com' }, /appBaseUrl.*https:\/\//],
    [{ corsOrigins: 'https://app.acme-saas.com/path' }, /corsOrigins.*not an origin/],
    [{ jwtIssuer: 'https://login.acme-saas.com/', appBaseUrl: 'https://console.acme-saas.com/app' }, /jwtAudience.*give both/],
    [{ consoleAssetDir: '/nonexistent/dist' }, /console's build is missing.*web:build/],
    [{ authDomainPrefix: 'My_Domain' }, /authDomainPrefix/],
    [{ alarmEmail: 'ops' }, /alarmEmail/],
    [{ apiRateLimit: 'fast' }, /apiRateLimit.*positive whole number/],
    [{ supportEmailDomains: null }, /supportEmailDomains.*is required/],
    [{ supportEmailDomains: ' , ' }, /supportEmailDomains.*is required/],
    [{ supportEmailDomains: 'Vendor.Demo' }, /supportEmailDomains.*"Vendor.Demo" is not a lowercase DNS domain/],
    [{ supportEmailDomains: 'vendor.demo,@vendor.demo' }, /supportEmailDomains.*"@vendor.demo"/],
    [{ supportEmailDomains: ['localhost'] }, /supportEmailDomains.*"localhost"/],
    [{ allowPasswordAuthFlows: 'yes' }, /allowPasswordAuthFlows.*true or false/],
    [{ writeRouteRateLimit: 30, writeRouteBurstLimit: 20 }, /writeRouteBurstLimit.*at least writeRouteRateLimit/],
    [{ writeRouteRateLimit: 60, writeRouteBurstLimit: 60 }, /writeRouteRateLimit.*more than the whole API/],
    [{ routeThrottling: { NoSuchRoute: { rateLimit: 1, burstLimit: 2 } } }, /routeThrottling.*"NoSuchRoute" is not a route id/],
    [{ routeThrottling: { SignIn: { rateLimit: 0, burstLimit: 2 } } }, /routeThrottling.*SignIn.*positive whole numbers/],
    [{ routeThrottling: '{not json' }, /routeThrottling.*must be an object/],
    [{ wafRateLimit: 5 }, /wafRateLimit.*between 10/],
  ])('refuses %j with a message that names the setting', (context, message) => {
    // Act / Assess
    expect(() => synth(context)).toThrow(message);
  });

  it('passes SUPPORT_EMAIL_DOMAINS to every API function, comma-separated, from a list or a string', () => {
    // Act
    const fromList = synth({ supportEmailDomains: ['support.acme-saas.org', 'acme-saas.org'] }).template;
    const fromString = synth({ supportEmailDomains: ' support.acme-saas.org, acme-saas.org ' }).template;

    // Assess
    for (const template of [fromList, fromString]) {
      const apiFns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
        String(f.Properties.Description).startsWith('support-access API'),
      );
      expect(apiFns).toHaveLength(Object.keys(groups).length);
      for (const fn of apiFns)
        expect(fn.Properties.Environment.Variables.SUPPORT_EMAIL_DOMAINS).toBe('support.acme-saas.org,acme-saas.org');
    }
  });

  it('turns SRP and password sign-in on only when allowPasswordAuthFlows is true', () => {
    // Act
    const { template } = synth({ allowPasswordAuthFlows: 'true' });

    // Assess
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    });
  });

  it('takes per-route throttles over the write-route defaults', () => {
    // Act
    const { template } = synth({
      writeRouteRateLimit: 4,
      writeRouteBurstLimit: 8,
      routeThrottling: '{"CreateAccessRequest":{"rateLimit":1,"burstLimit":2}}',
    });

    // Assess
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const settings = stage!.Properties.RouteSettings;
    expect(settings['POST /v1/tenants/{tenantId}/access-requests']).toEqual({ ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2 });
    expect(settings['POST /v1/tenants/{tenantId}/sessions']).toEqual({ ThrottlingRateLimit: 4, ThrottlingBurstLimit: 8 });
  });

  it('puts a WAF rate-based rule on the Cognito sign-in when wafRateLimit is set', () => {
    // Act
    const { stack, template } = synth({ wafRateLimit: 300 });

    // Assess
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 300, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::GetAtt': [stack.getLogicalId(stack.auth.userPool.node.defaultChild as CfnResource), 'Arn'] },
    });
  });
});
