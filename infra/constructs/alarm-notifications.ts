import { Aspects, Duration, type IAspect, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

/**
 * An alarm that fires once `metric` reaches 1 in a five-minute period and stays quiet while
 * nothing is reported: a single failed run, dead-lettered event or failed item is worth a look.
 */
export function alarmOnAny(
  scope: Construct,
  id: string,
  description: string,
  metric: cloudwatch.Metric,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric: metric.with({ period: Duration.minutes(5) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

export interface AlarmNotificationsProps {
  /**
   * An address subscribed to the topic (AWS mails it a confirmation link first).
   *
   * @default no subscription: subscribe to the topic (output `AlarmTopicArn`) yourself
   */
  readonly email?: string;
}

/**
 * One SNS topic every alarm of the scope notifies when it fires, so a failed run, a dead-lettered
 * event or a failed item reaches someone. Alarms created later in the scope are covered too (an
 * aspect adds the action at synth).
 */
export class AlarmNotifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'EKS Pod Identity automation alarms',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and ' +
        'alarm notifications carry only alarm names and states: no key of our own is worth its cost',
    });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);
    // Aspects run on every synth of the app; each alarm gets the action once.
    const notified = new WeakSet<cloudwatch.Alarm>();
    const notifyEveryAlarm: IAspect = {
      visit(node: IConstruct) {
        if (node instanceof cloudwatch.Alarm && !notified.has(node)) {
          notified.add(node);
          node.addAlarmAction(action);
        }
      },
    };
    Aspects.of(scope).add(notifyEveryAlarm);
  }
}
