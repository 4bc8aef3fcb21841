/**
 * Background work: the expiry job every minute (it also drains mail whose retry is due), and the
 * outbox delivery fed by the table's stream, which puts a record it cannot process in a
 * dead-letter queue after its last retry.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ComparisonOperator, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { attr } from '../lambdas/contract/table.ts';
import { bindMail, bindTable, type Functions } from './functions.ts';

export interface JobsProps {
  functions: Functions;
  /** The table; it must have a stream. */
  table: ITable;
  mailIdentityArn: string;
}

export class Jobs extends Construct {
  readonly expire: NodejsFunction;
  readonly deliver: NodejsFunction;
  readonly schedule: Rule;
  /** Stream records the delivery function gave up on (see docs/infrastructure.md for replay). */
  readonly deadLetterQueue: Queue;
  /** In alarm as soon as one record is in the dead-letter queue (wire it to your paging). */
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('Jobs needs a table with a stream');

    // ---- expiry (and the outbox drain) every minute ----
    this.expire = props.functions.create(this, 'ExpireFunction', {
      entry: 'lambdas/jobs/expire.ts',
      description: 'support-access: expire due grants and requests, deliver due mail',
      // Sized for 10,000 expirations in one run (about a minute, see docs/performance.md); the job
      // stops taking new work a minute before its timeout and the next run finishes the rest.
      timeout: Duration.minutes(5),
      memorySize: 512,
      // One run at a time: an overlap would be harmless (every transition is conditional) but
      // would read the same due items twice.
      reservedConcurrentExecutions: 1,
    });
    bindTable(this.expire, props.table, 'readwrite');
    bindMail(this.expire, props.mailIdentityArn);

    this.schedule = new Rule(this, 'ExpirySchedule', {
      description: 'Runs the support-access expiry job',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed run is caught up by the next one a minute later; do not pile up retries.
      targets: [new LambdaFunction(this.expire, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });

    // ---- outbox delivery from the stream ----
    this.deliver = props.functions.create(this, 'DeliverFunction', {
      entry: 'lambdas/jobs/deliver.ts',
      description: 'support-access: deliver new outbox messages from the table stream',
      timeout: Duration.seconds(30),
    });
    bindTable(this.deliver, props.table, 'readwrite');
    bindMail(this.deliver, props.mailIdentityArn);

    this.deadLetterQueue = new Queue(this, 'DeliveryDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterAlarm = this.deadLetterQueue.metricApproximateNumberOfMessagesVisible().createAlarm(this, 'DeliveryDeadLetterAlarm', {
      alarmDescription: 'support-access: outbox stream records failed delivery after every retry',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the dead-letter queue itself: the on-failure destination of the outbox stream's event source mapping.",
    });

    // Only what the event source mapping reads, on this stream only. `grantStreamRead` would add
    // dynamodb:ListStreams on "*", which the mapping does not need: it is given the stream ARN.
    this.deliver.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    const mapping = this.deliver.addEventSourceMapping('OutboxStream', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.LATEST,
      batchSize: 25,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: 5,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      // Invoke only for new outbox items; every other write never reaches the function.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: { [attr.type]: { S: FilterRule.isEqual('outbox') } } },
        }),
      ],
    });
    // The mapping is validated on creation against the role's permissions.
    if (this.deliver.role) mapping.node.addDependency(this.deliver.role);
  }
}
