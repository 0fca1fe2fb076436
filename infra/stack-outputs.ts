/**
 * The names by which the deployed stack is found: its default name and the keys of its outputs.
 * Kept free of aws-cdk-lib so the CLI's remote engine can read them without loading CDK.
 */
import { pascalCase, workflowOfPlaceholder } from '../functions/core/workflow-files.ts';

/** Name of the stack `npx cdk deploy` creates, unless context `stackName` says otherwise. */
export const STACK_NAME = 'EksPodIdentityAutomation';

/** Output holding the config bucket's name. */
export const CONFIG_BUCKET_OUTPUT = 'ConfigBucketName';

/** Output holding a workflow's state machine ARN: `bootstrap-cluster` → `BootstrapClusterStateMachineArn`. */
export function stateMachineArnOutput(workflow: string): string {
  return `${pascalCase(workflow)}StateMachineArn`;
}

/** The workflow a state machine ARN output is for, or undefined for any other output key. */
export function workflowOfOutput(outputKey: string): string | undefined {
  return workflowOfPlaceholder(outputKey);
}
