import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { alarmOnAny } from './alarm-notifications.ts';

/** How a trigger delivers: the settings every trigger of the stack shares. */
export interface WorkflowTriggerDeliveryProps {
  /**
   * How long EventBridge keeps retrying a failed StartExecution (throttled during a burst of
   * events, or the state machine being replaced) before the event goes to the dead-letter queue.
   *
   * @default Duration.hours(24), the longest EventBridge allows
   */
  readonly maxEventAge?: Duration;
  /**
   * @default 185, the most EventBridge allows
   */
  readonly retryAttempts?: number;
}

export interface WorkflowEventTriggerProps extends WorkflowTriggerDeliveryProps {
  /** Events that start a run. */
  readonly eventPattern: events.EventPattern;
  /** What the rule starts runs for, e.g. `Starts a run when a config is uploaded under apply/`. */
  readonly description: string;
  /** Started with the whole matching event as its input. */
  readonly stateMachine: sfn.IStateMachine;
  /** Said by the dead-letter alarm, e.g. `An uploaded config could not start its workflow`. */
  readonly undeliveredDescription: string;
}

/**
 * An EventBridge rule on the default bus that starts a workflow for every matching event. An event
 * that cannot start a run is not lost silently: it lands in an encrypted dead-letter queue (kept
 * 14 days), and an alarm fires on the first message there. EventBridge assumes a role that may
 * start executions of this one state machine and do nothing else.
 */
export class WorkflowEventTrigger extends Construct {
  readonly rule: events.Rule;
  /** Role EventBridge assumes; it may only start executions of this one state machine. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkflowEventTriggerProps) {
    super(scope, id);

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
      description: `Lets EventBridge start the workflow: ${props.description}`.slice(0, 1000),
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: props.description.slice(0, 512),
      eventPattern: props.eventPattern,
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(props.stateMachine, {
        role: this.role,
        deadLetterQueue: this.deadLetterQueue,
        maxEventAge: props.maxEventAge ?? Duration.hours(24),
        retryAttempts: props.retryAttempts ?? 185,
      }),
    );

    this.deadLetterAlarm = alarmOnAny(
      this,
      'DeadLetterAlarm',
      `${props.undeliveredDescription}; the event is in the dead-letter queue`,
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
    );
  }
}
