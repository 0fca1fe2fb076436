import pMap from 'p-map';
import { asError } from '../core/errors.ts';
import type { RoleTrustOutcome } from '../core/migration/outcomes.ts';
import { batchRange, type MigrationPlan } from '../core/migration/plan.ts';
import { podIdentityTrustAddition } from '../core/migration/trust.ts';
import type { PolicyDocument } from '../core/policy-document.ts';

/** Roles of one batch handled at once: IAM's account-wide write rate is the bottleneck. */
export const ROLE_CONCURRENCY = 5;

export interface BatchInput {
  runId: string;
  batch: number;
}

export interface AddTrustDeps {
  loadPlan(runId: string): Promise<MigrationPlan>;
  getRoleTrust(name: string): Promise<{ trustPolicy: PolicyDocument } | undefined>;
  updateTrust(name: string, trust: PolicyDocument): Promise<void>;
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
  const plan = await deps.loadPlan(input.runId);
  const indexes = batchRange(plan.roles.length, input.batch, plan.batchSize);
  const outcomes = await pMap(
    indexes,
    async (roleIndex): Promise<RoleTrustOutcome> => {
      const role = plan.roles[roleIndex];
      if (!role) return { roleIndex, result: 'failed', reason: 'not in the plan' };
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
