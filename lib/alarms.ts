/**
 * What pages the operator: one SNS topic (encrypted with a key of the stack, which CloudWatch may
 * use) and an alarm for each thing that means mail, expiry, events or the API is failing:
 * - a dead-letter queue holds a message (mail or a scheduled run was given up on);
 * - a function reports errors or throttles;
 * - the notifier falls behind the stream (mail is late);
 * - an email was given up on after every try, and events failed to publish for 15 minutes: both read
 *   from the metrics the functions write (EMF, `lambdas/contract/metrics.ts`: the same constants);
 * - the API answers 5xx.
 * `alarmEmail` in CDK context subscribes an address; any other subscriber can be added to `topic`.
 */
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRICS, METRICS_NAMESPACE, type MetricName } from '../lambdas/contract/metrics.ts';
import { stackKey } from './keys.ts';

/** A metric the functions write (EMF), summed over `period`: namespace, name and dimensions as emitted. */
export function emfMetric(name: MetricName, period: Duration): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { ...METRIC_DIMENSIONS }, statistic: 'Sum', period });
}

export interface AlarmsProps {
  /** Every function of the stack (errors and throttles of each). */
  functions: NodejsFunction[];
  /** Dead-letter queues, by a name that says what landed there. */
  deadLetterQueues: Record<string, IQueue>;
  /** The stream consumer, whose iterator age says how late mail is. */
  notifier: NodejsFunction;
  httpApi: IHttpApi;
  /** Subscribed by email when given. */
  alarmEmail?: string;
}

export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    // CloudWatch cannot publish to a topic encrypted with the AWS managed key (alias/aws/sns), so
    // the topic has a key of its own that CloudWatch may use.
    const key = stackKey(this, 'TopicKey', 'support-access: encrypts the alarm topic');
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', { displayName: 'support-access alarms', masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.add(`${name}NotEmpty`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }), {
        description: `${name}: a message failed after every retry; see docs/deploy.md "When an alarm fires"`,
        threshold: 1,
      });
    }
    for (const fn of props.functions) {
      const name = fn.node.id;
      this.add(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
        description: `${name} failed (an unhandled error or a timeout)`,
        threshold: 1,
      });
      this.add(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), {
        description: `${name} was throttled (account concurrency, or the job's reserved concurrency)`,
        threshold: 1,
      });
    }
    this.add(
      'NotifierIteratorAge',
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        dimensionsMap: { FunctionName: props.notifier.functionName },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      { description: 'Mail is more than 5 minutes behind the changes that owe it', threshold: 5 * 60_000 },
    );
    this.add('EmailsFailed', emfMetric(METRICS.emailsFailed, Duration.minutes(5)), {
      description: 'An email failed every try (SES refused it 5 times) and is kept as FAILED; see docs/deploy.md "When an alarm fires"',
      threshold: 1,
    });
    // One refusal is retried (by the publisher, then the stream); 15 minutes of them is an outage,
    // a day before the dead-letter queue would say so.
    this.add('EventPublishFailing', emfMetric(METRICS.eventPublishFailures, Duration.minutes(5)), {
      description: 'EventBridge refused events in each of the last three 5-minute periods; consumers are not told of changes',
      threshold: 1,
      evaluationPeriods: 3,
    });
    this.add('AuditTrailProblems', emfMetric(METRICS.auditTrailProblems, Duration.minutes(5)), {
      description:
        "The job's verification found a tenant's audit trail altered, forged, cut or unlike its grants (or could not read it); the job's log line 'expiry run' names the tenant; run GET /v1/tenants/{t}/audit-events/verify?full=true",
      threshold: 1,
    });
    this.add('ApiServerErrors', props.httpApi.metricServerError({ period: Duration.minutes(5) }), {
      description: 'The API answered 5xx',
      threshold: 1,
    });
  }

  private add(id: string, metric: IMetric, opts: { description: string; threshold: number; evaluationPeriods?: number }): void {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: `support-access: ${opts.description}`,
      threshold: opts.threshold,
      evaluationPeriods: opts.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
