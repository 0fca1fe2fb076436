import type { changeRoleTrustThroughStack } from '../../aws/stacks.ts';
import { IAM_SERVICE_ACCOUNT_TAG, POD_IDENTITY_ASSOCIATION_TAG } from '../../core/eksctl-stacks.ts';
import { runBatchStep } from '../../core/migration/batch-step.ts';
import { failedRole, type RoleTrustOutcome } from '../../core/migration/outcomes.ts';
import {
  batchRoles,
  describeServiceAccount,
  type MigrationPlan,
  type PlannedRole,
} from '../../core/migration/plan.ts';
import { podIdentityTrustAddition, updatingTrustOf } from '../../core/migration/trust.ts';
import type { PolicyDocument } from '../../core/policy-document.ts';
import type { TaskInput, TaskOutput } from '../../core/task-contract.ts';
import type * as contract from './contract.ts';

/** Roles of one batch handled at once: IAM's account-wide write rate is the bottleneck. */
export const ROLE_CONCURRENCY = 5;

export interface AddTrustDeps {
  /** The plan as this batch sees it (`planOfBatch`): its roles and service accounts only. */
  loadPlan(runId: string, batch: number): Promise<MigrationPlan>;
  getRoleTrust(name: string): Promise<{ trustPolicy: PolicyDocument } | undefined>;
  updateTrust(name: string, trust: PolicyDocument): Promise<void>;
  changeTrustThroughStack: typeof changeRoleTrustThroughStack;
  saveOutcomes(runId: string, batch: number, outcomes: RoleTrustOutcome[]): Promise<string>;
}

/**
 * Adds the pods.eks.amazonaws.com statement to each role of the batch that lacks one, reading
 * the trust policy right before writing it. Each role is in exactly one batch item, so one write
 * per role and no lost update, however many service accounts share it. The size quota is
 * checked before the write; a role too full fails alone, with its reason.
 */
export async function addPodIdentityTrustBatch(
  input: TaskInput<typeof contract>,
  deps: AddTrustDeps,
): Promise<TaskOutput<typeof contract>> {
  const plan = await deps.loadPlan(input.runId, input.batch);
  return runBatchStep(input, deps.saveOutcomes, {
    items: batchRoles(plan, input.batch),
    concurrency: ROLE_CONCURRENCY,
    each: async (roleIndex): Promise<RoleTrustOutcome> => {
      const role = plan.roles[roleIndex];
      if (!role) return { roleIndex, result: 'failed', reason: 'not in the plan' };
      if (role.throughStack && role.stackName !== undefined) {
        return addTrustThroughStack(plan, roleIndex, { ...role, stackName: role.stackName }, deps);
      }
      const live = await deps.getRoleTrust(role.name);
      if (!live)
        return { roleIndex, result: 'failed', reason: `role "${role.name}" no longer exists` };
      const addition = podIdentityTrustAddition(
        role.name,
        live.trustPolicy,
        plan.assumeRolePolicySizeQuota,
      );
      if (addition.action === 'present') return { roleIndex, result: 'present' };
      if (addition.action === 'too-large') {
        return { roleIndex, result: 'failed', reason: addition.reason };
      }
      await deps.updateTrust(role.name, addition.document);
      return { roleIndex, result: 'added' };
    },
    doing: updatingTrustOf(plan),
    failed: failedRole,
    counts: {
      roles: () => true,
      added: (outcome) => outcome.result === 'added',
      unsuccessful: (outcome) => outcome.result === 'failed',
    },
  });
}

/**
 * The same edit for a role an eksctl stack owns, made in the stack's template with a change set
 * (eksctl's owned-role task), which also tags the stack as eksctl tags a migrated one
 * (`alpha.eksctl.io/podidentityassociation-name`), so eksctl's and this service's update and
 * delete recognise it as the role of the association.
 */
async function addTrustThroughStack(
  plan: MigrationPlan,
  roleIndex: number,
  role: PlannedRole & { stackName: string },
  deps: AddTrustDeps,
): Promise<RoleTrustOutcome> {
  const first = plan.serviceAccounts[role.firstServiceAccount];
  const { change } = await deps.changeTrustThroughStack({
    stackName: role.stackName,
    roleName: role.name,
    edit: (trust) => {
      const addition = podIdentityTrustAddition(role.name, trust, plan.assumeRolePolicySizeQuota);
      if (addition.action === 'too-large') return { failure: addition.reason };
      return addition.action === 'add' ? { document: addition.document } : {};
    },
    tags: (current) => {
      const owner =
        current[IAM_SERVICE_ACCOUNT_TAG] ?? (first ? describeServiceAccount(first) : undefined);
      return current[POD_IDENTITY_ASSOCIATION_TAG] !== undefined || owner === undefined
        ? { ...current }
        : { ...current, [POD_IDENTITY_ASSOCIATION_TAG]: owner };
    },
    description: `eks-pia: add the pods.eks.amazonaws.com trust to role "${role.name}" for pod identity (cluster ${plan.clusterName})`,
  });
  const stackStatus = change.status;
  if (change.result === 'failed') {
    return { roleIndex, result: 'failed', reason: change.reason, stackStatus };
  }
  return { roleIndex, result: change.result === 'updated' ? 'added' : 'present', stackStatus };
}
