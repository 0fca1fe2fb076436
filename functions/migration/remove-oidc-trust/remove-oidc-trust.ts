import type { changeRoleTrustThroughStack } from '../../aws/stacks.ts';
import { IAM_SERVICE_ACCOUNT_TAG } from '../../core/eksctl-stacks.ts';
import { runBatchStep } from '../../core/migration/batch-step.ts';
import {
  type AnnotationOutcome,
  type AssociationOutcome,
  annotationGone,
  associationExists,
  byIndex,
  failedRole,
  type OidcTrustOutcome,
} from '../../core/migration/outcomes.ts';
import {
  batchRoles,
  type MigrationPlan,
  pendingSteps,
  serviceAccountsOf,
} from '../../core/migration/plan.ts';
import {
  type OidcTrustRemoval,
  oidcTrustRemoval,
  type RoleMember,
  updatingTrustOf,
} from '../../core/migration/trust.ts';
import type { PolicyDocument } from '../../core/policy-document.ts';
import type { TaskInput, TaskOutput } from '../../core/task-contract.ts';
import type * as contract from './contract.ts';

/** Roles of one batch handled at once: IAM's account-wide write rate is the bottleneck. */
export const ROLE_CONCURRENCY = 5;

export interface RemoveOidcTrustDeps {
  /** The plan as this batch sees it (`planOfBatch`): its roles and service accounts only. */
  loadPlan(runId: string, batch: number): Promise<MigrationPlan>;
  /** Outcomes of one service account batch; undefined when that batch failed or did not run. */
  loadAssociationOutcomes(runId: string, batch: number): Promise<AssociationOutcome[] | undefined>;
  loadAnnotationOutcomes(runId: string, batch: number): Promise<AnnotationOutcome[] | undefined>;
  getRoleTrust(name: string): Promise<{ trustPolicy: PolicyDocument } | undefined>;
  updateTrust(name: string, trust: PolicyDocument): Promise<void>;
  changeTrustThroughStack: typeof changeRoleTrustThroughStack;
  saveOutcomes(runId: string, batch: number, outcomes: OidcTrustOutcome[]): Promise<string>;
}

/**
 * Removes, from each role of the batch, this cluster's OIDC subjects of the service accounts
 * migrated through it — once every one of those associations exists and each annotation is
 * gone. The trust policy is read right before it is written, once per role.
 */
export async function removeOidcTrust(
  input: TaskInput<typeof contract>,
  deps: RemoveOidcTrustDeps,
): Promise<TaskOutput<typeof contract>> {
  const plan = await deps.loadPlan(input.runId, input.batch);
  // A batch holds its roles' service accounts, so their outcomes are all in this batch's documents.
  const [associationOutcomes, annotationOutcomes] = await Promise.all([
    deps.loadAssociationOutcomes(input.runId, input.batch),
    deps.loadAnnotationOutcomes(input.runId, input.batch),
  ]);
  const associations = byIndex(associationOutcomes ?? [], (outcome) => outcome.serviceAccountIndex);
  const annotations = byIndex(annotationOutcomes ?? [], (outcome) => outcome.serviceAccountIndex);

  return runBatchStep(input, deps.saveOutcomes, {
    items: batchRoles(plan, input.batch),
    concurrency: ROLE_CONCURRENCY,
    each: async (roleIndex): Promise<OidcTrustOutcome> => {
      const role = plan.roles[roleIndex];
      const none = { roleIndex, removed: [], kept: [] };
      if (!role) return { ...none, result: 'failed', reason: 'not in the plan' };
      const members = serviceAccountsOf(role).flatMap((index): RoleMember[] => {
        const sa = plan.serviceAccounts[index];
        if (!sa) return [];
        const association = associations.get(index);
        const annotation = annotations.get(index);
        const annotationStep = pendingSteps(plan, index).annotation;
        return [
          {
            ref: { namespace: sa.namespace, serviceAccount: sa.serviceAccount },
            coverage: sa.coverage,
            associationExists: associationExists(association),
            associationProblem: association?.reason,
            annotationGone: !annotationStep || annotationGone(annotation),
            annotationProblem: annotation?.reason ?? 'the annotation step did not finish',
          },
        ];
      });
      if (role.throughStack && role.stackName !== undefined) {
        return removeThroughStack(plan, roleIndex, role.name, role.stackName, members, deps);
      }
      const live = await deps.getRoleTrust(role.name);
      if (!live)
        return { ...none, result: 'failed', reason: `role "${role.name}" no longer exists` };
      const removal = oidcTrustRemoval(live.trustPolicy, plan.providerArn, members);
      if (removal.action === 'keep') return { ...none, result: 'kept', reason: removal.reason };
      if (removal.action === 'unchanged')
        return { ...none, result: 'unchanged', kept: removal.kept };
      await deps.updateTrust(role.name, removal.document);
      return { roleIndex, result: 'removed', removed: removal.removed, kept: removal.kept };
    },
    doing: updatingTrustOf(plan),
    failed: (roleIndex, reason): OidcTrustOutcome => ({
      ...failedRole(roleIndex, reason),
      removed: [],
      kept: [],
    }),
    counts: {
      roles: () => true,
      removed: (outcome) => outcome.result === 'removed',
      unsuccessful: (outcome) => outcome.result === 'failed',
    },
  });
}

/**
 * The same removal for a role an eksctl stack owns, made in the stack's template with a change
 * set. The stack stops being an iamserviceaccount for eksctl (its
 * `alpha.eksctl.io/iamserviceaccount-name` tag goes, as eksctl removes it) only together with the
 * OIDC trust it existed for.
 */
async function removeThroughStack(
  plan: MigrationPlan,
  roleIndex: number,
  roleName: string,
  stackName: string,
  members: readonly RoleMember[],
  deps: RemoveOidcTrustDeps,
): Promise<OidcTrustOutcome> {
  const none = { roleIndex, removed: [], kept: [] };
  // Decided on the template's trust by `edit`, which runs before `tags`.
  let removal: OidcTrustRemoval | undefined;
  const { change } = await deps.changeTrustThroughStack({
    stackName,
    roleName,
    edit: (trust) => {
      removal = oidcTrustRemoval(trust, plan.providerArn, members);
      return removal.action === 'remove' ? { document: removal.document } : {};
    },
    tags: (current) => {
      if (removal?.action !== 'remove') return { ...current };
      const { [IAM_SERVICE_ACCOUNT_TAG]: _dropped, ...rest } = current;
      return rest;
    },
    description: `eks-pia: remove cluster ${plan.clusterName}'s OIDC trust of migrated service accounts from role "${roleName}"`,
  });
  const stackStatus = change.status;
  if (change.result === 'failed') {
    return { ...none, result: 'failed', reason: change.reason, stackStatus };
  }
  const decided = removal as OidcTrustRemoval | undefined;
  if (decided?.action === 'keep') {
    return { ...none, result: 'kept', reason: decided.reason, stackStatus };
  }
  if (decided?.action === 'remove' && change.result === 'updated') {
    return {
      roleIndex,
      result: 'removed',
      removed: decided.removed,
      kept: decided.kept,
      stackStatus,
    };
  }
  return { ...none, result: 'unchanged', kept: decided?.kept ?? [], stackStatus };
}
