import type { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { MissingTaskPermissionsError } from './errors.ts';
import { wildcardResourceFinding } from './nag.ts';

/** A cdk-nag finding accepted on purpose, e.g. `AwsSolutions-IAM5[Resource::*]`, and why. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** The IAM a task's function gets beyond writing its own logs and traces. */
export interface TaskPermissions {
  /** Least-privilege statements; empty for a task that calls no AWS API. */
  readonly statements: readonly PolicyStatement[];
  /**
   * cdk-nag findings these statements raise (wildcards the API forces), each with the reason.
   *
   * @default none
   */
  readonly acknowledgements?: readonly Acknowledgement[];
}

/** What a permission set may depend on: ARNs are built in the stack's partition/region/account. */
export interface TaskPermissionContext {
  readonly stack: Stack;
}

export type TaskPermissionsProvider = (context: TaskPermissionContext) => TaskPermissions;

/** Permission sets keyed by task (kebab-case folder name under `functions/`). */
export type TaskPermissionsMap = Readonly<Record<string, TaskPermissionsProvider>>;

/** Any cluster in the stack's account and region: the cluster comes from each execution's input. */
function anyCluster(stack: Stack): string {
  return stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: '*' });
}

/** Any add-on: its ARN is `addon/<cluster>/<add-on>/<id EKS generates>`. */
function anyAddon(stack: Stack): string {
  return stack.formatArn({ service: 'eks', resource: 'addon', resourceName: '*/*/*' });
}

const CLUSTER_FROM_INPUT =
  'The cluster (and add-on) is named by each execution’s input; the service manages every ' +
  'cluster in its account and region, so the ARN cannot be narrowed at deploy time.';

/**
 * functions/check-addon and functions/check-cluster: DescribeCluster (status, version, Auto Mode)
 * and DescribeAddon (the pod identity agent).
 */
const describeClusterAndAddon: TaskPermissionsProvider = ({ stack }) => ({
  statements: [
    new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [anyCluster(stack)] }),
    new PolicyStatement({ actions: ['eks:DescribeAddon'], resources: [anyAddon(stack)] }),
  ],
  acknowledgements: [
    { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
    { id: wildcardResourceFinding(stack, anyAddon(stack)), reason: CLUSTER_FROM_INPUT },
  ],
});

/**
 * Every task's permissions, so that no function runs with IAM nobody decided on: a workflow that
 * references a task missing here fails the synth (see {@link taskPermissionsFor}).
 */
export const TASK_PERMISSIONS: TaskPermissionsMap = {
  'check-addon': describeClusterAndAddon,
  'check-cluster': describeClusterAndAddon,
  // functions/create-addon: DescribeCluster, DescribeAddonVersions (default version), CreateAddon
  // (authorised on the cluster; no role is passed, so no iam:PassRole), DescribeAddon when another
  // actor created it first.
  'create-addon': ({ stack }) => ({
    statements: [
      new PolicyStatement({
        actions: ['eks:DescribeCluster', 'eks:CreateAddon'],
        resources: [anyCluster(stack)],
      }),
      new PolicyStatement({ actions: ['eks:DescribeAddon'], resources: [anyAddon(stack)] }),
      new PolicyStatement({ actions: ['eks:DescribeAddonVersions'], resources: ['*'] }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
      { id: wildcardResourceFinding(stack, anyAddon(stack)), reason: CLUSTER_FROM_INPUT },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'eks:DescribeAddonVersions supports no resource-level permissions.',
      },
    ],
  }),
};

/**
 * The permission set of one task.
 *
 * @throws MissingTaskPermissionsError when the map has no entry for the task.
 */
export function taskPermissionsFor(
  permissions: TaskPermissionsMap,
  task: string,
  context: TaskPermissionContext,
): TaskPermissions {
  const provider = Object.hasOwn(permissions, task) ? permissions[task] : undefined;
  if (provider === undefined) {
    throw new MissingTaskPermissionsError(
      `Task ${task} has no entry in infra/task-permissions.ts: add its least-privilege IAM ` +
        'statements (an empty list if it calls no AWS API) before it can be deployed',
    );
  }
  return provider(context);
}
