/**
 * Email, in one place: the SES identity the stack sends as, and the notifier, the only function
 * of the stack allowed `ses:SendEmail` (on that identity only). The notifier delivers the outbox:
 * - from the table's stream, as soon as a change commits (bisect on error, bounded retries, then
 *   the record goes to an SQS dead-letter queue);
 * - from a schedule every minute, for retries whose backoff has passed and anything the stream
 *   missed (EventBridge retries twice, then its own dead-letter queue).
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Rule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { attr } from '../lambdas/contract/table.ts';
import { bindTable, deadLetterQueue, everyMinute, type Functions } from './functions.ts';
import type { Queue } from 'aws-cdk-lib/aws-sqs';

export interface NotificationsProps {
  functions: Functions;
  /** The table; it must have a stream. */
  table: ITable;
  /** The sender address (`MAIL_FROM`). */
  mailFrom: string;
  /** `mailFrom` itself, or its domain (then SES signs with DKIM and any address of it may send). */
  sesIdentity: string;
}

export class Notifications extends Construct {
  readonly identity: EmailIdentity;
  /** The identity's ARN, the only resource the notifier may send as. */
  readonly identityArn: string;
  /** The one function that sends email. */
  readonly notifier: NodejsFunction;
  readonly drainSchedule: Rule;
  /** Stream records the notifier gave up on (see docs/deploy.md for replay). */
  readonly streamDeadLetterQueue: Queue;
  /** Scheduled drains that failed after EventBridge's retries. */
  readonly scheduleDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('Notifications needs a table with a stream');

    const isDomain = props.sesIdentity.toLowerCase() !== props.mailFrom.toLowerCase();
    this.identity = new EmailIdentity(this, 'Sender', {
      identity: isDomain ? Identity.domain(props.sesIdentity) : Identity.email(props.mailFrom),
    });
    this.identityArn = this.identity.emailIdentityArn;

    this.notifier = props.functions.create(this, 'NotifierFunction', {
      entry: 'lambdas/jobs/deliver.ts',
      description: 'support-access: deliver the outbox (stream and every minute), the only sender of email',
      timeout: Duration.seconds(60),
    });
    bindTable(this.notifier, props.table, 'readwrite');
    this.notifier.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        // SendEmail only: SendRawEmail would let the function set any header, attachments included.
        actions: ['ses:SendEmail'],
        resources: [this.identityArn],
      }),
    );

    // ---- the stream: new outbox items only ----
    this.streamDeadLetterQueue = deadLetterQueue(this, 'StreamDeadLetterQueue', 'the outbox stream mapping');
    // Only what the event source mapping reads, on this stream only. `grantStreamRead` would add
    // dynamodb:ListStreams on "*", which the mapping does not need: it is given the stream ARN.
    this.notifier.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    const mapping = this.notifier.addEventSourceMapping('OutboxStream', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.LATEST,
      batchSize: 25,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: 5,
      maxRecordAge: Duration.hours(1),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.streamDeadLetterQueue),
      // Invoke only for new outbox items; every other write never reaches the function.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: { [attr.type]: { S: FilterRule.isEqual('outbox') } } },
        }),
      ],
    });
    // The mapping is validated on creation against the role's permissions.
    if (this.notifier.role) mapping.node.addDependency(this.notifier.role);

    // ---- the schedule: retries and anything the stream missed ----
    ({ rule: this.drainSchedule, deadLetterQueue: this.scheduleDeadLetterQueue } = everyMinute(
      this,
      'DrainSchedule',
      this.notifier,
      'deliver mail whose retry is due',
    ));
  }
}
