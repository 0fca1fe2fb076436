import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TriggerSettingsError } from '../errors.ts';

export interface ConfigUploadTriggerProps {
  /** A bucket with EventBridge notifications on (`eventBridgeEnabled: true`). */
  readonly bucket: s3.IBucket;
  /** Key prefixes whose new objects start a run, e.g. `apply/`. */
  readonly prefixes: readonly string[];
  /** Started with the whole "Object Created" event as its input. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * How long EventBridge keeps retrying a failed StartExecution (throttled during a burst of
   * uploads, or the state machine being replaced) before the event goes to the dead-letter queue.
   *
   * @default Duration.hours(24), the longest EventBridge allows
   */
  readonly maxEventAge?: Duration;
  /**
   * @default 185, the most EventBridge allows
   */
  readonly retryAttempts?: number;
}

/**
 * Starts a workflow for every object created under the given prefixes of the bucket. Only those
 * prefixes match, so the workflows' own writes (under `runs/`) never start a run. An upload that
 * cannot start a run is not lost silently: it lands in an encrypted dead-letter queue (kept 14
 * days), and an alarm fires on the first message there.
 */
export class ConfigUploadTrigger extends Construct {
  readonly rule: events.Rule;
  /** Role EventBridge assumes; it may only start executions of this one state machine. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ConfigUploadTriggerProps) {
    super(scope, id);
    if (props.prefixes.length === 0) {
      throw new TriggerSettingsError(
        'A config upload trigger needs at least one key prefix: without one every object, the ' +
          'workflows’ own run documents included, would start a run',
      );
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the EventBridge target (cdk-nag only recognises ' +
        'queues named in another queue’s redrive policy); it has no consumer to fail.',
    });

    this.role = new iam.Role(this, 'StartExecutionRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Lets EventBridge start the workflow for an uploaded config',
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Starts a run when a config is uploaded under ${props.prefixes.join(', ')}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: props.prefixes.map((prefix) => ({ prefix })) },
        },
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(props.stateMachine, {
        role: this.role,
        deadLetterQueue: this.deadLetterQueue,
        maxEventAge: props.maxEventAge ?? Duration.hours(24),
        retryAttempts: props.retryAttempts ?? 185,
      }),
    );

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'An uploaded config could not start its workflow; the event is in the dead-letter queue',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
