/**
 * Function defaults in one place: every Lambda of the stack is built here, with the same runtime,
 * architecture, ESM bundle, log group, tracing and environment, and with a role of its own that
 * starts empty. What a function may touch is added by the `bind*` helpers, so a grant is visible
 * next to the function that needs it and never wider than the access mode asks for.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations, type CfnElement } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, ParamsAndSecretsLayerVersion, ParamsAndSecretsVersions, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';

/** The repository root: entries, the lock file and `package.json` "imports" resolve from here. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Node.js 24, the newest Lambda runtime (aws-cdk-lib 2.276 has it; cdk-nag L1 wants the latest). */
export const nodeRuntime: Runtime = Runtime.NODEJS_24_X;

/** ESM bundles need `require` for the odd CommonJS dependency that calls it at run time. */
const ESM_REQUIRE_SHIM = "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);";

export type DataAccess = 'none' | 'read' | 'readwrite';

export interface FunctionsProps {
  /** Environment shared by every function (table name, base URL, mail sender...). */
  environment: Record<string, string>;
  /** @default one month */
  logRetention?: RetentionDays;
  /** Encrypts every function's log group. */
  logKey: IKey;
}

export interface FunctionOptions {
  /** The handler file, relative to the repository root (`lambdas/modules/grants/handlers.ts`). */
  entry: string;
  description?: string;
  /** @default 10 seconds */
  timeout?: Duration;
  /** @default 256 */
  memorySize?: number;
  /** @default none: scales with load */
  reservedConcurrentExecutions?: number;
  environment?: Record<string, string>;
}

/** Builds every Lambda of the stack from one set of defaults. */
export class Functions extends Construct {
  /** Every function built here, in order (the alarms watch each). */
  readonly all: NodejsFunction[] = [];
  private readonly props: FunctionsProps;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    this.props = props;
  }

  /** A NodejsFunction with the stack's defaults; its role can write its own logs and traces, nothing else. */
  create(scope: Construct, id: string, options: FunctionOptions): NodejsFunction {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: this.props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: this.props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of its own, without AWSLambdaBasicExecutionRole (whose logs grant is account-wide).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    const fn = new NodejsFunction(scope, id, {
      entry: join(repoRoot, options.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: nodeRuntime,
      architecture: Architecture.ARM_64,
      description: options.description,
      memorySize: options.memorySize ?? 256,
      ...(options.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: options.reservedConcurrentExecutions } : {}),
      timeout: options.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      // Reads the secrets bound with `bindSecret` over http://localhost:2773 without an SDK client in the bundle.
      paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
        cacheEnabled: true,
      }),
      // No NODE_OPTIONS=--enable-source-maps: decoding the map costs every cold start (see bundlingDefaults).
      environment: {
        ...this.props.environment,
        ...options.environment,
      },
      bundling: bundlingDefaults,
    } satisfies NodejsFunctionProps);
    this.all.push(fn);

    Validations.of(fn).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'CT.LAMBDA.PR.3: the functions reach only AWS APIs (DynamoDB, SES, Secrets Manager) and hold no network-reachable resource; a VPC would add NAT or interface endpoints per AZ without narrowing what they can reach (IAM does that).',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    return fn;
  }
}

/**
 * The module that stands in for the SDK's default credential chain in every bundle: Lambda passes
 * the role's credentials in the environment, so the environment provider is all a function needs.
 */
export const LAMBDA_CREDENTIALS_MODULE = './lambdas/runtime/lambda-credentials.ts';

/**
 * esbuild options shared by every function (docs/performance.md, "Bundling"): one minified ESM file
 * per function that carries the AWS SDK clients it uses, tree-shaken to the commands it sends.
 *
 * - `externalModules: []`: the SDK is bundled, not loaded from the runtime's copy. Loading the
 *   runtime's CommonJS SDK from an ES module was most of every cold start (Node scans it for its
 *   named exports); bundled, only what the function calls is there, and it is parsed once.
 * - `mainFields: module, main`: the SDK's and zod's ES builds, which tree-shake.
 * - the alias: `@aws-sdk/credential-provider-node` (SSO, STS, ini, process, metadata providers and
 *   the STS/SSO clients) becomes the environment provider alone (`LAMBDA_CREDENTIALS_MODULE`).
 * - `banner`: ESM bundles have no `require`; the SDK's CommonJS leftovers call it for builtins.
 * - `sourceMap` without `sourcesContent`: the map ships next to the bundle in the asset (a stack
 *   trace from the logs can be decoded against the asset of that version), but the functions run
 *   without `--enable-source-maps`, whose decoding cost every cold start (measured by the bench).
 */
export const bundlingDefaults: NonNullable<NodejsFunctionProps['bundling']> = {
  format: OutputFormat.ESM,
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // NodejsFunction leaves `@aws-sdk/*` out by default on Node 18+ runtimes; here it is bundled.
  externalModules: [],
  esbuildArgs: { '--alias': `@aws-sdk/credential-provider-node=${LAMBDA_CREDENTIALS_MODULE}` },
  banner: ESM_REQUIRE_SHIM,
  // Local esbuild only: synth must work offline and without Docker.
  forceDockerBundling: false,
};

/** What the store reads with (`lambdas/runtime/dynamo-store.ts`): no Scan, no batch calls. */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'] as const;
/** What it writes with: conditional puts and updates, alone or in `TransactWriteItems` (authorised per item by these actions). */
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;
/** Actions no function of the stack is granted: unconditional bulk writes (they can overwrite or delete any item, audit events included). */
export const TABLE_NEVER_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:Scan',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

/**
 * Grants a function the least access to the table its mode needs, naming each action (the
 * `grant*Data` helpers add BatchWriteItem and Scan, which the store never calls).
 *
 * `read`: GetItem, Query... on the table and its indexes, plus `PartiQLSelect` (the access check
 * and me/grants each read two partitions in one `ExecuteStatement`). `readwrite`: the same plus
 * PutItem and UpdateItem, and DeleteItem only with `deletes`; a function without it is also
 * denied DeleteItem explicitly, so no later grant can let it delete an audit event.
 */
export function bindTable(fn: NodejsFunction, table: ITable, access: DataAccess, options: { deletes?: boolean } = {}): void {
  if (access === 'none') return;
  const resources = [table.tableArn, `${table.tableArn}/index/*`];
  const write = access === 'readwrite';
  fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [
        ...TABLE_READ_ACTIONS,
        // The table (the access check) and its indexes (`GET /v1/me/grants` reads GSI1 the same way).
        'dynamodb:PartiQLSelect',
        ...(write ? TABLE_WRITE_ACTIONS : []),
        ...(write && options.deletes ? ['dynamodb:DeleteItem'] : []),
      ],
      resources,
    }),
  );
  // A table encrypted with the operator's key (setting tableKeyArn): the same reads and writes need it
  // (reads, and the stream, decrypt; writes also encrypt). The key policy must let the account's IAM grant it.
  if (table.encryptionKey) {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          ...(write ? ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey'] : []),
        ],
        resources: [table.encryptionKey.keyArn],
      }),
    );
  }
  if (!(write && options.deletes)) {
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.DENY, actions: ['dynamodb:DeleteItem', ...TABLE_NEVER_ACTIONS], resources }));
  } else {
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.DENY, actions: [...TABLE_NEVER_ACTIONS], resources }));
  }
  Validations.of(fn.role!).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalIdToken(table)}.Arn>/index/*]`,
    reason: 'Queries use the GSIs of the single table (GSI1, GSI2, GSI3); the grant is limited to the indexes of this one table.',
  });
}

/** Lets a function read a secret, named to it by ARN in `envName` (read through the extension layer). */
export function bindSecret(fn: NodejsFunction, secret: ISecret, envName: string): void {
  fn.addEnvironment(envName, secret.secretArn);
  secret.grantRead(fn);
}

/**
 * An encrypted, TLS-only SQS queue that holds what a trigger gave up on, for 14 days (the
 * alarms page as soon as one message is in it).
 */
export function deadLetterQueue(scope: Construct, id: string, purpose: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'cdk-validator-cfnguard::sqs_dlq_check',
    reason: `CT.SQS.PR.1: this queue is itself the dead-letter queue of ${purpose}; a dead-letter queue of a dead-letter queue would only move the alarm.`,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself a dead-letter queue: where ${purpose} puts what failed after its retries.`,
  });
  return queue;
}

/**
 * Runs a function every minute. A missed run is caught up by the next one a minute later, so
 * EventBridge retries twice within two minutes, then parks the event in a dead-letter queue of its
 * own (which the alarms watch).
 */
export function everyMinute(scope: Construct, id: string, fn: NodejsFunction, description: string): { rule: Rule; deadLetterQueue: Queue } {
  const dlq = deadLetterQueue(scope, `${id}DeadLetterQueue`, `the ${id} rule`);
  const rule = new Rule(scope, id, {
    description: `support-access: ${description}`,
    schedule: Schedule.rate(Duration.minutes(1)),
    targets: [new LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.minutes(2), deadLetterQueue: dlq })],
  });
  return { rule, deadLetterQueue: dlq };
}

/** The logical id cdk-nag prints for a table's `Fn::GetAtt` (`<DataTable1A2B3C.Arn>`). */
function logicalIdToken(table: ITable): string {
  const cfn = table.node.defaultChild as CfnElement | undefined;
  if (!cfn) throw new Error('bindTable needs a table defined in this app');
  return table.stack.getLogicalId(cfn);
}
