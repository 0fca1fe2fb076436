import { randomBytes } from 'node:crypto';
/**
 * The CloudFormation stacks eksctl made for `iamserviceaccount`s (tagged
 * `alpha.eksctl.io/iamserviceaccount-name`), with the IAM roles they own. A role a stack owns
 * is changed only through the stack; editing it directly is drift the next stack update undoes.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type Capability,
  CloudFormationServiceException,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  paginateDescribeStacks,
  paginateListStackResources,
  type Stack,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { parseRoleArn } from '../core/arn.ts';
import {
  CHANGE_SET_PREFIX,
  CLUSTER_NAME_TAG,
  type EksctlRoleStack,
  eksctlRoleStackNotOwned,
  IAM_SERVICE_ACCOUNT_TAG,
  isEksctlRoleStackName,
  LEGACY_CLUSTER_NAME_TAG,
  POD_IDENTITY_ASSOCIATION_TAG,
  parseTemplateBody,
  podIdentityRoleStackNames,
  templateRoleTrust,
  withRoleTrust,
} from '../core/eksctl-stacks.ts';
import { namedErrorClass } from '../core/errors.ts';
import { type PolicyDocument, parsePolicyDocument } from '../core/policy-document.ts';
import { cloudFormationClient } from './clients.ts';
import { pollPause, waitDeadline } from './polling.ts';

/** The output eksctl gives the role's ARN. */
const ROLE_OUTPUT = 'Role1';

export interface IamServiceAccountStack {
  stackName: string;
  /** `alpha.eksctl.io/cluster-name`, when tagged. */
  clusterName?: string | undefined;
  /** `<namespace>/<service account>` from the tag. */
  serviceAccount: string;
  roleNames: string[];
  /** Named as eksctl names its role stacks, so this service may update it (its IAM allows that). */
  updatable: boolean;
  /** Tagged `alpha.eksctl.io/podidentityassociation-name` (migrated, as eksctl tags it). */
  podIdentityTagged: boolean;
}

function tagOf(stack: Stack, key: string): string | undefined {
  return stack.Tags?.find((tag) => tag.Key === key)?.Value;
}

async function stackRoleNames(stack: Stack): Promise<string[]> {
  const output = stack.Outputs?.find((candidate) => candidate.OutputKey === ROLE_OUTPUT);
  const fromOutput = output?.OutputValue ? parseRoleArn(output.OutputValue)?.name : undefined;
  if (fromOutput) return [fromOutput];
  // A stack without the output (edited by hand, or another tool's) still names its roles.
  const names: string[] = [];
  const pages = paginateListStackResources(
    { client: cloudFormationClient() },
    { StackName: stack.StackId ?? stack.StackName },
  );
  for await (const page of pages) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.ResourceType === 'AWS::IAM::Role' && resource.PhysicalResourceId) {
        names.push(resource.PhysicalResourceId);
      }
    }
  }
  return names;
}

/**
 * Every live eksctl iamserviceaccount stack of the region, whatever cluster it was made for: a
 * role shared between clusters is still owned by the stack that created it.
 */
export async function listIamServiceAccountStacks(): Promise<IamServiceAccountStack[]> {
  const stacks: IamServiceAccountStack[] = [];
  for await (const page of paginateDescribeStacks({ client: cloudFormationClient() }, {})) {
    for (const stack of page.Stacks ?? []) {
      const name = stack.StackName ?? '';
      // A migrated stack may have lost the iamserviceaccount tag (OIDC trust removed) but is
      // still the owner of its role.
      const serviceAccount =
        tagOf(stack, IAM_SERVICE_ACCOUNT_TAG) ??
        (name.includes('-addon-iamserviceaccount-')
          ? tagOf(stack, POD_IDENTITY_ASSOCIATION_TAG)
          : undefined);
      if (serviceAccount === undefined || stack.StackStatus === 'DELETE_COMPLETE') continue;
      stacks.push({
        stackName: name,
        clusterName: tagOf(stack, CLUSTER_NAME_TAG),
        serviceAccount,
        roleNames: await stackRoleNames(stack),
        updatable: isEksctlRoleStackName(name),
        podIdentityTagged: tagOf(stack, POD_IDENTITY_ASSOCIATION_TAG) !== undefined,
      });
    }
  }
  return stacks;
}

// ---------------------------------------------------------------------------------------------
// Changing a role through its stack

export interface LiveStack {
  stackName: string;
  stackId: string;
  status: string;
  statusReason?: string | undefined;
  tags: Record<string, string>;
  capabilities: string[];
  terminationProtection: boolean;
  /** The role ARN of the `Role1` output, eksctl's output for the role of its role stacks. */
  roleArn?: string | undefined;
}

export async function describeStack(nameOrId: string): Promise<LiveStack | undefined> {
  try {
    const { Stacks: stacks } = await cloudFormationClient().send(
      new DescribeStacksCommand({ StackName: nameOrId }),
    );
    const stack = stacks?.[0];
    if (!stack) return undefined;
    return {
      stackName: stack.StackName ?? nameOrId,
      stackId: stack.StackId ?? nameOrId,
      status: stack.StackStatus ?? 'UNKNOWN',
      statusReason: stack.StackStatusReason,
      tags: Object.fromEntries((stack.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      capabilities: stack.Capabilities ?? [],
      terminationProtection: stack.EnableTerminationProtection === true,
      roleArn: stack.Outputs?.find((output) => output.OutputKey === ROLE_OUTPUT)?.OutputValue,
    };
  } catch (error) {
    if (error instanceof CloudFormationServiceException && /does not exist/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
}

/** The stack's template as an object; eksctl writes JSON, hand-written stacks may be YAML. */
export async function getStackTemplate(stackName: string): Promise<Record<string, unknown>> {
  const { TemplateBody: body } = await cloudFormationClient().send(
    new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
  );
  return parseTemplateBody(body ?? '', stackName);
}

/** Logical id of the stack's role named `roleName` (IAM names are unique regardless of case). */
export async function roleLogicalId(
  stackName: string,
  roleName: string,
): Promise<string | undefined> {
  const pages = paginateListStackResources(
    { client: cloudFormationClient() },
    { StackName: stackName },
  );
  for await (const page of pages) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (
        resource.ResourceType === 'AWS::IAM::Role' &&
        resource.PhysicalResourceId?.toLowerCase() === roleName.toLowerCase()
      ) {
        return resource.LogicalResourceId;
      }
    }
  }
  return undefined;
}

export interface StackChange {
  stack: LiveStack;
  template: Record<string, unknown>;
  tags: Record<string, string>;
  /** Names the change set (`eks-pia-<roleName>-update-<attempt>`, made a valid change set name). */
  roleName: string;
  description: string;
}

export type StackChangeResult =
  | { result: 'updated'; status: string }
  | { result: 'unchanged'; status: string }
  | { result: 'failed'; status: string; reason: string };

/**
 * Creates a change set with the new template and tags, waits for it, executes it and waits
 * until the stack settles. A change set CloudFormation finds empty counts as unchanged; a
 * stack that rolls back, or does not settle in time, is a failure with the stack's reason.
 */
export async function changeStack(change: StackChange): Promise<StackChangeResult> {
  const client = cloudFormationClient();
  // Unique per attempt: a rerun right after an interrupted one must not meet the change set
  // that attempt left behind (CloudFormation refuses a second change set of the same name).
  const name = changeSetName(change.roleName, `${Date.now()}-${randomBytes(3).toString('hex')}`);
  const created = await client.send(
    new CreateChangeSetCommand({
      StackName: change.stack.stackId,
      ChangeSetName: name,
      ChangeSetType: 'UPDATE',
      TemplateBody: JSON.stringify(change.template),
      Capabilities: change.stack.capabilities as Capability[],
      Tags: Object.entries(change.tags).map(([Key, Value]) => ({ Key, Value })),
      Description: change.description.slice(0, 1024),
    }),
  );
  const changeSetId = created.Id ?? name;
  const deadline = waitDeadline('own-operation');
  for (;;) {
    const described = await client.send(
      new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: change.stack.stackId }),
    );
    if (described.Status === 'CREATE_COMPLETE') break;
    if (described.Status === 'FAILED') {
      if (NO_CHANGES.test(described.StatusReason ?? '')) {
        // An empty change set is kept by CloudFormation; removing it leaves nothing behind.
        await client.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId }));
        return { result: 'unchanged', status: change.stack.status };
      }
      return {
        result: 'failed',
        status: change.stack.status,
        reason: `change set ${name} of stack "${change.stack.stackName}" failed: ${described.StatusReason ?? 'no reason given'}`,
      };
    }
    if (Date.now() > deadline) {
      return {
        result: 'failed',
        status: change.stack.status,
        reason: `change set ${name} of stack "${change.stack.stackName}" is still ${described.Status}; run again once it is created`,
      };
    }
    await pollPause();
  }
  await client.send(
    new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: change.stack.stackId }),
  );
  for (;;) {
    const stack = await describeStack(change.stack.stackId);
    const status = stack?.status ?? 'UNKNOWN';
    if (status === 'UPDATE_COMPLETE') return { result: 'updated', status };
    if (!status.endsWith('_IN_PROGRESS')) {
      return {
        result: 'failed',
        status,
        reason: `stack "${change.stack.stackName}" did not update (${status}): ${stack?.statusReason ?? 'no reason given'}`,
      };
    }
    if (Date.now() > deadline) {
      return {
        result: 'failed',
        status,
        reason: `stack "${change.stack.stackName}" is still ${status}; run again once it settles`,
      };
    }
    await pollPause();
  }
}

const NO_CHANGES = /didn't contain changes|No updates are to be performed/;

/** `[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters, as CloudFormation requires. */
export function changeSetName(roleName: string, attempt: string): string {
  const suffix = `-update-${attempt}`;
  const safe = roleName.replace(/[^-a-zA-Z0-9]/g, '-');
  return `${CHANGE_SET_PREFIX}${safe}`.slice(0, 128 - suffix.length) + suffix;
}

/** Statuses in which CloudFormation accepts an update (no operation running, not failed). */
const UPDATABLE_STATUSES = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
]);

/** What a trust edit decided: the new document, nothing to write, or why it cannot be done. */
export interface TrustEditResult {
  document?: PolicyDocument | undefined;
  failure?: string | undefined;
}

export interface StackTrustChange<E extends TrustEditResult> {
  stackName: string;
  roleName: string;
  /** Decides on the trust policy the stack's template gives the role. */
  edit(trust: PolicyDocument): E;
  /** The stack's tags after the change. */
  tags(current: Readonly<Record<string, string>>): Record<string, string>;
  description: string;
}

/**
 * The stack once an operation under way when we come has settled (or the settle wait ran out):
 * typically the update of an interrupted run still cleaning up, which a rerun must not fail on.
 */
async function settledStack(stackName: string): Promise<LiveStack | undefined> {
  const deadline = waitDeadline('settle');
  let stack = await describeStack(stackName);
  while (stack?.status.endsWith('_IN_PROGRESS') && Date.now() <= deadline) {
    await pollPause();
    stack = await describeStack(stack.stackId);
  }
  return stack;
}

/**
 * Changes a role's trust policy where its stack keeps it: the template's
 * `AssumeRolePolicyDocument` is edited and applied with a change set, so the role and its
 * template agree afterwards. Nothing is written when the edit and the tags change nothing, so a
 * rerun makes no mutating call. A stack whose operation does not settle in time, or in a failed
 * state, is not touched; the failure says its status and reason.
 */
export async function changeRoleTrustThroughStack<E extends TrustEditResult>(
  change: StackTrustChange<E>,
): Promise<{ edit?: E | undefined; change: StackChangeResult }> {
  const stack = await settledStack(change.stackName);
  const failed = (status: string, reason: string) => ({
    change: { result: 'failed' as const, status, reason },
  });
  if (!stack) return failed('DELETE_COMPLETE', `stack "${change.stackName}" no longer exists`);
  if (!UPDATABLE_STATUSES.has(stack.status)) {
    return failed(
      stack.status,
      `stack "${stack.stackName}" is ${stack.status}${stack.statusReason ? ` (${stack.statusReason})` : ''}; CloudFormation updates a stack only when it is stable: run again once it is`,
    );
  }
  const logicalId = await roleLogicalId(stack.stackId, change.roleName);
  if (!logicalId) {
    return failed(
      stack.status,
      `stack "${stack.stackName}" no longer owns role "${change.roleName}"`,
    );
  }
  const template = await getStackTemplate(stack.stackId);
  const trust = templateRoleTrust(template, logicalId);
  if (!trust) {
    return failed(
      stack.status,
      `the trust policy of role "${change.roleName}" in the template of stack "${stack.stackName}" is not a plain policy document; change it with eksctl or CloudFormation`,
    );
  }
  const edit = change.edit(parsePolicyDocument(trust));
  if (edit.failure !== undefined) {
    return { edit, change: { result: 'failed', status: stack.status, reason: edit.failure } };
  }
  const tags = change.tags(stack.tags);
  if (edit.document === undefined && isDeepStrictEqual(tags, stack.tags)) {
    return { edit, change: { result: 'unchanged', status: stack.status } };
  }
  const next = edit.document ? withRoleTrust(template, logicalId, edit.document) : template;
  return {
    edit,
    change: await changeStack({
      stack,
      template: next,
      tags,
      roleName: change.roleName,
      description: change.description,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// eksctl's pod identity role stacks

/**
 * eksctl's stack for the role of `<namespace>/<serviceAccount>`'s association, when one is live:
 * the pod identity role stack, or an iamserviceaccount stack tagged for pod identity by a
 * migration (eksctl's `update`/`delete podidentityassociation` recognise the same two). Found by
 * name, as eksctl finds it, so it may be another association's: its tags tell
 * (`eksctlRoleStackNotOwned`).
 */
export async function findEksctlRoleStack(
  clusterName: string,
  namespace: string,
  serviceAccount: string,
): Promise<EksctlRoleStack | undefined> {
  for (const name of podIdentityRoleStackNames(clusterName, namespace, serviceAccount)) {
    const stack = await describeStack(name);
    if (!stack || stack.status === 'DELETE_COMPLETE') continue;
    if (
      name.includes('-podidentityrole-') ||
      stack.tags[POD_IDENTITY_ASSOCIATION_TAG] !== undefined
    ) {
      return { stackName: stack.stackName, tags: stack.tags, roleArn: stack.roleArn };
    }
  }
  return undefined;
}

/**
 * The stack does not bear this cluster's eksctl name tag, or its tags do not show it is the stack
 * of the association it is deleted for, so it is not this deletion's to delete.
 */
export const ForeignStackError = namedErrorClass('ForeignStackError');

/** CloudFormation did not finish deleting a stack: it failed, or is still at it. */
export const StackDeletionError = namedErrorClass('StackDeletionError');

/**
 * Deletes an eksctl role stack as eksctl does: only when it bears this cluster's name tag,
 * termination protection turned off first, then DeleteStack and a wait for DELETE_COMPLETE. The
 * stack must also show by its tags, as read here, that it is the stack of `owner`'s association
 * (`eksctlRoleStackNotOwned`): its name is shared with other associations'.
 */
export async function deleteEksctlRoleStack(
  stackName: string,
  clusterName: string,
  owner: { namespace: string; serviceAccount: string },
): Promise<void> {
  const stack = await describeStack(stackName);
  if (!stack || stack.status === 'DELETE_COMPLETE') return;
  if (
    stack.tags[CLUSTER_NAME_TAG] !== clusterName &&
    stack.tags[LEGACY_CLUSTER_NAME_TAG] !== clusterName
  ) {
    throw new ForeignStackError(
      `cannot delete stack "${stackName}" as it doesn't bear our "${CLUSTER_NAME_TAG}:${clusterName}", "${LEGACY_CLUSTER_NAME_TAG}:${clusterName}" tags`,
    );
  }
  const notOwned = eksctlRoleStackNotOwned(stack, owner.namespace, owner.serviceAccount);
  if (notOwned !== undefined) {
    throw new ForeignStackError(`cannot delete stack "${stackName}": ${notOwned}`);
  }
  const client = cloudFormationClient();
  if (stack.terminationProtection) {
    await client.send(
      new UpdateTerminationProtectionCommand({
        StackName: stack.stackId,
        EnableTerminationProtection: false,
      }),
    );
  }
  if (stack.status !== 'DELETE_IN_PROGRESS') {
    await client.send(new DeleteStackCommand({ StackName: stack.stackId }));
  }
  const deadline = waitDeadline('own-operation');
  for (;;) {
    const now = await describeStack(stack.stackId);
    if (!now || now.status === 'DELETE_COMPLETE') return;
    if (now.status !== 'DELETE_IN_PROGRESS') {
      throw new StackDeletionError(
        `stack "${stackName}" was not deleted (${now.status}): ${now.statusReason ?? 'no reason given'}`,
      );
    }
    if (Date.now() > deadline) {
      throw new StackDeletionError(
        `stack "${stackName}" is still DELETE_IN_PROGRESS; run again once it is gone`,
      );
    }
    await pollPause();
  }
}
