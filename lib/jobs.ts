/**
 * Scheduled work: the expire-and-seal job every minute (`lambdas/jobs/expire.ts`). It expires what
 * is due (and sends the warnings and escalations that are due), then seals new audit events into
 * their tenants' hash chains; the mail an expiry owes is in the outbox of its transaction, and the
 * notifier (`notifications.ts`) delivers it.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bindSecret, bindTable, everyMinute, type Functions } from './functions.ts';

export interface JobsProps {
  functions: Functions;
  table: ITable;
  /** The audit chain's key: the job seals new audit events. */
  auditKey: ISecret;
  /** The audit events' MAC key: the job writes expiry events. */
  eventKey: ISecret;
}

export class Jobs extends Construct {
  /** Expires what is due and seals the audit trail (named for both: it was `ExpireFunction`). */
  readonly expireAndSeal: NodejsFunction;
  readonly schedule: Rule;
  /** Scheduled runs that failed after EventBridge's retries. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);

    this.expireAndSeal = props.functions.create(this, 'ExpireAndSealFunction', {
      entry: 'lambdas/jobs/expire.ts',
      description: 'support-access: expire due grants and requests, send due warnings, seal the audit chains',
      // Sized for 10,000 expirations in one run (about a minute, see docs/performance.md); the job
      // stops taking new work a minute before its timeout and the next run finishes the rest.
      timeout: Duration.minutes(5),
      memorySize: 512,
      // One run at a time: an overlap would be harmless (every transition is conditional) but
      // would read the same due items twice.
      reservedConcurrentExecutions: 1,
    });
    // Deletes: an expired grant's access entries go with it.
    bindTable(this.expireAndSeal, props.table, 'readwrite', { deletes: true });
    bindSecret(this.expireAndSeal, props.auditKey, 'AUDIT_KEY_SECRET_ARN');
    bindSecret(this.expireAndSeal, props.eventKey, 'EVENT_KEY_SECRET_ARN');

    // Reads are exact whether or not the job has run (expiry is checked at read time).
    ({ rule: this.schedule, deadLetterQueue: this.deadLetterQueue } = everyMinute(
      this,
      'ExpireAndSealSchedule',
      this.expireAndSeal,
      'expire due grants and requests, seal the audit chains',
    ));
  }
}
