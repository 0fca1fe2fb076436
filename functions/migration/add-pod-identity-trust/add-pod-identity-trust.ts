import pMap from 'p-map';
import type { changeRoleTrustThroughStack } from '../../aws/stacks.ts';
import { IAM_SERVICE_ACCOUNT_TAG, POD_IDENTITY_ASSOCIATION_TAG } from '../../core/eksctl-stacks.ts';
import { asError } from '../../core/errors.ts';
import type { RoleTrustOutcome } from '../../core/migration/outcomes.ts';
import {
  batchRoles,
  describeServiceAccount,
  type MigrationPlan,
  type PlannedRole,
} from '../../core/migration/plan.ts';
import { podIdentityTrustAddition } from '../../core/migration/trust.ts';
import type { PolicyDocument } from '../../core/policy-document.ts';

/** Roles of one batch handled at once: IAM's account-wide write rate is the bottleneck. */
export const ROLE_CONCURRENCY = 5;

export interface BatchInput {
  runId: string;
  batch: number;
}

export interface AddTrustDeps {
  /** The plan as this batch sees it (`planOfBatch`): its roles and service accounts only. */
  loadPlan(runId: string, batch: number): Promise<MigrationPlan>;
  getRoleTrust(name: string): Promise<{ trustPolicy: PolicyDocument } | undefined>;
  updateTrust(name: string, trust: PolicyDocument): Promise<void>;
  changeTrustThroughStack: typeof changeRoleTrustThroughStack;
  saveOutcomes(runId: string, batch: number, outcomes: RoleTrustOutcome[]): Promise<string>;
}

export interface TrustBatchResult {
  batch: number;
  roles: number;
  added: number;
  /** Items that did not succeed (named so it never reads as the Map's `failed: true` marker). */
  unsuccessful: number;
}

/**
 * Adds the pods.eks.amazonaws.com statement to each role of the batch that lacks one, reading
 * the trust policy right before writing it. Each role is in exactly one batch item, so one write
 * per role and no lost update, however many service accounts share it. The size quota is
 * checked before the write; a role too full fails alone, with its reason.
 */
export async function addPodIdentityTrustBatch(
  input: BatchInput,
  deps: AddTrustDeps,
): Promise<TrustBatchResult> {
  const plan = await deps.loadPlan(input.runId, input.batch);
  const indexes = batchRoles(plan, input.batch);
  const outcomes = await pMap(
    indexes,
    async (roleIndex): Promise<RoleTrustOutcome> => {
      const role = plan.roles[roleIndex];
      if (!role) return { roleIndex, result: 'failed', reason: 'not in the plan' };
      if (role.throughStack && role.stackName !== undefined) {
        return addTrustThroughStack(plan, roleIndex, { ...role, stackName: role.stackName }, deps);
      }
      try {
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
      } catch (error) {
        return {
          roleIndex,
          result: 'failed',
          reason: `updating trust policy for role ${role.name}: ${asError(error).message}`,
        };
      }
    },
    { concurrency: ROLE_CONCURRENCY },
  );
  await deps.saveOutcomes(input.runId, input.batch, outcomes);
  return {
    batch: input.batch,
    roles: outcomes.length,
    added: outcomes.filter((outcome) => outcome.result === 'added').length,
    unsuccessful: outcomes.filter((outcome) => outcome.result === 'failed').length,
  };
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
  try {
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
  } catch (error) {
    return {
      roleIndex,
      result: 'failed',
      reason: `updating trust policy for role ${role.name} through stack "${role.stackName}": ${asError(error).message}`,
    };
  }
}
