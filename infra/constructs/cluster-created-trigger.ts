import * as events from 'aws-cdk-lib/aws-events';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  CLOUDTRAIL_DETAIL_TYPE,
  CREATE_CLUSTER,
  EKS_API_SOURCE,
  EKS_EVENT_SOURCE,
} from '../../functions/core/bootstrap/event.ts';
import {
  WorkflowEventTrigger,
  type WorkflowTriggerDeliveryProps,
} from './workflow-event-trigger.ts';

export interface ClusterCreatedTriggerProps extends WorkflowTriggerDeliveryProps {
  /** Started with the whole CloudTrail event as its input. */
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * Starts a workflow for every `CreateCluster` call to EKS in the stack's region. EKS emits no
 * event of its own for a new cluster, so the rule matches CloudTrail's record of the API call,
 * which EventBridge receives only while a CloudTrail trail logs management events in the region.
 * A failed call (its record has an `errorCode`) created nothing and starts no run; the workflow
 * ignores such records too, for inputs that do not come through this rule.
 */
export class ClusterCreatedTrigger extends WorkflowEventTrigger {
  constructor(scope: Construct, id: string, props: ClusterCreatedTriggerProps) {
    super(scope, id, {
      description: 'Starts a run when an EKS cluster is created (CloudTrail CreateCluster)',
      undeliveredDescription: 'A new cluster could not start its bootstrap workflow',
      eventPattern: {
        source: [EKS_EVENT_SOURCE],
        detailType: [CLOUDTRAIL_DETAIL_TYPE],
        detail: {
          eventSource: [EKS_API_SOURCE],
          eventName: [CREATE_CLUSTER],
          errorCode: events.Match.doesNotExist(),
        },
      },
      stateMachine: props.stateMachine,
      maxEventAge: props.maxEventAge,
      retryAttempts: props.retryAttempts,
    });
  }
}
