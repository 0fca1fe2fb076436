import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { TriggerSettingsError } from '../errors.ts';
import {
  WorkflowEventTrigger,
  type WorkflowTriggerDeliveryProps,
} from './workflow-event-trigger.ts';

export interface ConfigUploadTriggerProps extends WorkflowTriggerDeliveryProps {
  /** A bucket with EventBridge notifications on (`eventBridgeEnabled: true`). */
  readonly bucket: s3.IBucket;
  /** Key prefixes whose new objects start a run, e.g. `apply/`. */
  readonly prefixes: readonly string[];
  /** Started with the whole "Object Created" event as its input. */
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * Starts a workflow for every object created under the given prefixes of the bucket. Only those
 * prefixes match, so the workflows' own writes (under `runs/`) never start a run.
 */
export class ConfigUploadTrigger extends WorkflowEventTrigger {
  constructor(scope: Construct, id: string, props: ConfigUploadTriggerProps) {
    if (props.prefixes.length === 0) {
      throw new TriggerSettingsError(
        'A config upload trigger needs at least one key prefix: without one every object, the ' +
          'workflows’ own run documents included, would start a run',
      );
    }
    super(scope, id, {
      description: `Starts a run when a config is uploaded under ${props.prefixes.join(', ')}`,
      undeliveredDescription: 'An uploaded config could not start its workflow',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: props.prefixes.map((prefix) => ({ prefix })) },
        },
      },
      stateMachine: props.stateMachine,
      maxEventAge: props.maxEventAge,
      retryAttempts: props.retryAttempts,
    });
  }
}
