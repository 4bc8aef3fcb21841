/**
 * Enforcement in the vendor's application, in AWS:
 * - the support-session signing keys: asymmetric KMS keys (ECC_NIST_P256, SIGN_VERIFY) whose
 *   private half never leaves KMS. Only the sessions function may `kms:Sign`, and only with the
 *   current key; the JWKS function may only `kms:GetPublicKey`;
 * - the event bus (a custom EventBridge bus) and its publisher, the only function allowed
 *   `events:PutEvents`, on that bus only. The table's stream feeds it the new audit items (the
 *   record of every committed change); what it cannot publish after the mapping's retries goes to
 *   a dead-letter queue that the alarms watch.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { attr } from '../lambdas/contract/table.ts';
import { bindTable, deadLetterQueue, type Functions } from './functions.ts';
import { signingKey } from './keys.ts';

export interface EnforcementProps {
  functions: Functions;
  /** The table; it must have a stream. */
  table: ITable;
  /** Names of the signing keys, oldest first; the last signs (config `sessionKeys`). */
  sessionKeys: string[];
  /**
   * The operator's own signing keys (config `sessionKeyArns`, ECC_NIST_P256 SIGN_VERIFY), oldest
   * first: used instead of making keys. Their key policies are the operator's; the functions get IAM grants.
   */
  sessionKeyArns?: string[];
}

export class Enforcement extends Construct {
  /** The signing keys, oldest first: made by name, or the operator's own. */
  readonly keys: IKey[];
  readonly bus: EventBus;
  readonly publisher: NodejsFunction;
  /** Stream records the publisher gave up on. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: EnforcementProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('Enforcement needs a table with a stream');

    const made = props.sessionKeyArns?.length
      ? []
      : props.sessionKeys.map((name) =>
          signingKey(
            this,
            `SessionKey${name}`,
            `support-access: signs support-session tokens (ES256), key "${name}"`,
            'KMS rotates only symmetric keys; this asymmetric signing key is rotated by the documented procedure (config sessionKeys, docs/deploy.md), both keys listed in the JWKS until the old key tokens have expired.',
          ),
        );
    this.keys = props.sessionKeyArns?.length
      ? props.sessionKeyArns.map((arn, i) => Key.fromKeyArn(this, `OwnSessionKey${i + 1}`, arn))
      : made;

    this.bus = new EventBus(this, 'Bus', { description: 'support-access: every state change (source support-access)' });

    this.publisher = props.functions.create(this, 'PublisherFunction', {
      entry: 'lambdas/jobs/publish.ts',
      description: 'support-access: publish every committed change (the audit items on the stream) to the event bus',
      timeout: Duration.seconds(30),
    });
    bindTable(this.publisher, props.table, 'read');
    this.publisher.addEnvironment('EVENT_BUS_NAME', this.bus.eventBusName);
    this.publisher.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    this.publisher.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    this.deadLetterQueue = deadLetterQueue(this, 'StreamDeadLetterQueue', 'the event publisher stream mapping');
    const mapping = this.publisher.addEventSourceMapping('AuditStream', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.LATEST,
      batchSize: 25,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      // An EventBridge outage holds the events back, in order, for up to a day (the stream's
      // retention); only then does a record go to the dead-letter queue (alarmed).
      retryAttempts: 10_000,
      maxRecordAge: Duration.hours(24),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      // Only new audit items (one per committed change) reach the function.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: { [attr.type]: { S: FilterRule.isEqual('audit') } } },
        }),
      ],
    });
    if (this.publisher.role) mapping.node.addDependency(this.publisher.role);
  }

  /** The current signing key (the last one). */
  get signingKey(): IKey {
    return this.keys.at(-1)!;
  }

  /** Lets a function sign support-session tokens with the current key only, and tells it the token settings. */
  bindSigner(fn: NodejsFunction, token: { issuer: string; audience: string }): void {
    fn.addEnvironment('SESSION_KEY_ARNS', this.signingKey.keyArn);
    fn.addEnvironment('SESSION_TOKEN_ISSUER', token.issuer);
    fn.addEnvironment('SESSION_TOKEN_AUDIENCE', token.audience);
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:Sign'], resources: [this.signingKey.keyArn] }));
  }

  /** Lets a function read the public half of every listed key (the JWKS route). */
  bindJwks(fn: NodejsFunction): void {
    fn.addEnvironment('SESSION_KEY_ARNS', this.keys.map((k) => k.keyArn).join(','));
    fn.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:GetPublicKey'], resources: this.keys.map((k) => k.keyArn) }),
    );
  }
}
