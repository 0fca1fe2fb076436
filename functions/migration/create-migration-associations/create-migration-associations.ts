import { namesSameRole } from '../../core/arn.ts';
import { NamedError } from '../../core/errors.ts';
import { runBatchStep } from '../../core/migration/batch-step.ts';
import { coverageOf } from '../../core/migration/coverage.ts';
import {
  type AssociationOutcome,
  byIndex,
  failedServiceAccount,
  type RoleTrustOutcome,
} from '../../core/migration/outcomes.ts';
import {
  batchServiceAccounts,
  describeServiceAccount,
  type MigrationPlan,
  pendingSteps,
} from '../../core/migration/plan.ts';
import { MIGRATED_ASSOCIATION_TAGS } from '../../core/naming.ts';
import type { PolicyDocument } from '../../core/policy-document.ts';
import { readOncePerKey } from '../../core/read-once.ts';
import type { TaskInput, TaskOutput } from '../../core/task-contract.ts';
import { findIrsaSubjects } from '../../core/trust-policy.ts';
import type * as contract from './contract.ts';

/** Service accounts of one batch handled at once, within EKS's request rate. */
export const ASSOCIATION_CONCURRENCY = 5;

export type CreateResult =
  | { status: 'created' }
  | { status: 'exists'; existing: { roleArn: string; ownerArn?: string | undefined } };

export interface CreateAssociationsDeps {
  /** The plan as this batch sees it (`planOfBatch`): its roles and service accounts only. */
  loadPlan(runId: string, batch: number): Promise<MigrationPlan>;
  /** The cluster's OIDC issuer as EKS reports it now, not as the plan document says. */
  clusterOidcIssuer(clusterName: string): Promise<string | undefined>;
  getRoleTrust(name: string): Promise<{ trustPolicy: PolicyDocument } | undefined>;
  /** The trust step's outcomes of one batch; undefined when that step failed. */
  loadTrustOutcomes(runId: string, batch: number): Promise<RoleTrustOutcome[] | undefined>;
  createAssociation(association: {
    clusterName: string;
    namespace: string;
    serviceAccount: string;
    roleArn: string;
    tags: Readonly<Record<string, string>>;
    trustJustChanged: boolean;
  }): Promise<CreateResult>;
  saveOutcomes(runId: string, batch: number, outcomes: AssociationOutcome[]): Promise<string>;
}

/**
 * The plan asks to associate a service account with a role that does not trust this cluster's
 * OIDC provider for it. Discovery never plans that; a plan document changed after discovery does.
 */
export class MigrationPlanTamperedError extends NamedError {
  override readonly name = 'MigrationPlanTamperedError';
  constructor(serviceAccount: string, roleName: string, runId: string) {
    super(
      `refused to associate "${serviceAccount}" with role "${roleName}": the role does not trust this ` +
        `cluster's OIDC provider for that service account, and the migration only moves a service account ` +
        `to the role it can already assume. The plan document of run ${runId} was changed after discovery; ` +
        'check who can write under runs/ in the config bucket and run the migration again',
    );
  }
}

/**
 * Creates the association of each service account of the batch whose role now trusts Pod
 * Identity. One that already exists for the same role counts as done; one for another role is a
 * conflict and is left as it is.
 */
export async function createMigrationAssociations(
  input: TaskInput<typeof contract>,
  deps: CreateAssociationsDeps,
): Promise<TaskOutput<typeof contract>> {
  const plan = await deps.loadPlan(input.runId, input.batch);
  // A batch holds its service accounts' roles, so their trust outcomes are this batch's document.
  const trust = byIndex(
    (await deps.loadTrustOutcomes(input.runId, input.batch)) ?? [],
    (outcome) => outcome.roleIndex,
  );
  // Defence in depth: a run document may have been changed since discovery, so each association
  // is checked against what IAM and EKS say now before it grants anything.
  const issuer = deps.clusterOidcIssuer(plan.clusterName);
  const liveTrust = readOncePerKey(deps.getRoleTrust);
  return runBatchStep(input, deps.saveOutcomes, {
    items: batchServiceAccounts(plan, input.batch),
    concurrency: ASSOCIATION_CONCURRENCY,
    each: async (index): Promise<AssociationOutcome> => {
      const sa = plan.serviceAccounts[index];
      const role = sa ? plan.roles[sa.roleIndex] : undefined;
      if (!sa || !role) {
        return { serviceAccountIndex: index, result: 'failed', reason: 'not in the plan' };
      }
      const roleTrust = trust.get(sa.roleIndex);
      if (roleTrust?.result !== 'added' && roleTrust?.result !== 'present') {
        return {
          serviceAccountIndex: index,
          result: 'not-attempted',
          reason: `not migrated: role "${role.name}" does not trust pods.eks.amazonaws.com (${roleTrust?.reason ?? 'its trust step did not finish'})`,
        };
      }
      if (!pendingSteps(plan, index).association) {
        return { serviceAccountIndex: index, result: 'exists' };
      }
      const live = await liveTrust(role.name);
      const currentIssuer = await issuer;
      const stillTrusted =
        live !== undefined &&
        currentIssuer !== undefined &&
        coverageOf(findIrsaSubjects(live.trustPolicy, currentIssuer), sa) !== undefined;
      if (!stillTrusted) {
        throw new MigrationPlanTamperedError(describeServiceAccount(sa), role.name, input.runId);
      }
      const created = await deps.createAssociation({
        clusterName: plan.clusterName,
        namespace: sa.namespace,
        serviceAccount: sa.serviceAccount,
        roleArn: role.arn,
        // So that the drift check does not take it for one made by hand.
        tags: MIGRATED_ASSOCIATION_TAGS,
        // The trust step of this run just wrote it; EKS may not see it yet.
        trustJustChanged: roleTrust.result === 'added',
      });
      if (created.status === 'created') return { serviceAccountIndex: index, result: 'created' };
      if (namesSameRole(created.existing.roleArn, role.arn)) {
        return { serviceAccountIndex: index, result: 'exists' };
      }
      return {
        serviceAccountIndex: index,
        result: 'conflict',
        reason: `service account "${describeServiceAccount(sa)}" already has a pod identity association with role ${created.existing.roleArn}, not with "${role.name}"; not migrated (conflict)`,
      };
    },
    doing: (index) => {
      const sa = plan.serviceAccounts[index];
      return `creating pod identity association for service account "${sa?.serviceAccount}" in namespace "${sa?.namespace}"`;
    },
    failed: failedServiceAccount,
    counts: {
      serviceAccounts: () => true,
      created: (outcome) => outcome.result === 'created',
      unsuccessful: (outcome) => outcome.result !== 'created' && outcome.result !== 'exists',
    },
  });
}
