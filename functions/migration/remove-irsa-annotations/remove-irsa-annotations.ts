import { KubernetesConflictError, KubernetesNotFoundError } from '../../aws/kubernetes.ts';
import { namesSameRole } from '../../core/arn.ts';
import { runBatchStep } from '../../core/migration/batch-step.ts';
import {
  type AnnotationOutcome,
  type AssociationOutcome,
  associationExists,
  byIndex,
  failedServiceAccount,
} from '../../core/migration/outcomes.ts';
import {
  batchServiceAccounts,
  type MigrationPlan,
  type PlannedServiceAccount,
  pendingSteps,
  ROLE_ARN_ANNOTATION,
} from '../../core/migration/plan.ts';
import type { TaskInput, TaskOutput } from '../../core/task-contract.ts';
import type * as contract from './contract.ts';

/** Patches sent at once: the API server's priority and fairness limits apply per client. */
export const PATCH_CONCURRENCY = 5;

export interface ServiceAccountState {
  annotations: Record<string, string>;
  resourceVersion?: string | undefined;
}

/** The few service account operations this step needs, on the cluster's Kubernetes API. */
export interface ServiceAccountsApi {
  get(namespace: string, name: string): Promise<ServiceAccountState | undefined>;
  /**
   * Removes only the role-arn annotation (a JSON merge patch; other fields stay). With a
   * resourceVersion the patch applies only to that version (KubernetesConflictError otherwise).
   */
  removeRoleArnAnnotation(namespace: string, name: string, resourceVersion?: string): Promise<void>;
}

export interface RemoveAnnotationsDeps {
  /** The plan as this batch sees it (`planOfBatch`): its roles and service accounts only. */
  loadPlan(runId: string, batch: number): Promise<MigrationPlan>;
  /** The association step's outcomes of the same batch; undefined when that batch failed. */
  loadAssociationOutcomes(runId: string, batch: number): Promise<AssociationOutcome[] | undefined>;
  kubernetes(clusterName: string): Promise<ServiceAccountsApi>;
  saveOutcomes(runId: string, batch: number, outcomes: AnnotationOutcome[]): Promise<string>;
}

/** Decides on the service account as it is now: remove the annotation only if it still names the role. */
async function removeIfStillNamed(
  api: ServiceAccountsApi,
  sa: PlannedServiceAccount,
  roleArn: string,
  index: number,
): Promise<AnnotationOutcome> {
  const live = await api.get(sa.namespace, sa.serviceAccount);
  const annotation = live?.annotations[ROLE_ARN_ANNOTATION];
  if (!live || annotation === undefined) return { serviceAccountIndex: index, result: 'absent' };
  if (!namesSameRole(annotation, roleArn)) {
    return {
      serviceAccountIndex: index,
      result: 'changed',
      reason: `its ${ROLE_ARN_ANNOTATION} annotation now names ${annotation}, so it was left as it is and its OIDC trust stays`,
    };
  }
  await api.removeRoleArnAnnotation(sa.namespace, sa.serviceAccount, live.resourceVersion);
  return { serviceAccountIndex: index, result: 'removed' };
}

async function removeAnnotation(
  api: ServiceAccountsApi,
  sa: PlannedServiceAccount,
  roleArn: string,
  index: number,
): Promise<AnnotationOutcome> {
  // The version read at discovery makes the common case one call; anything changed since is re-read.
  const known = sa.annotation?.resourceVersion;
  if (known === undefined) return removeIfStillNamed(api, sa, roleArn, index);
  try {
    await api.removeRoleArnAnnotation(sa.namespace, sa.serviceAccount, known);
    return { serviceAccountIndex: index, result: 'removed' };
  } catch (error) {
    if (error instanceof KubernetesNotFoundError)
      return { serviceAccountIndex: index, result: 'absent' };
    if (error instanceof KubernetesConflictError)
      return removeIfStillNamed(api, sa, roleArn, index);
    throw error;
  }
}

/**
 * Removes the `eks.amazonaws.com/role-arn` annotation of each service account of the batch whose
 * association exists, with a merge patch that leaves every other field as it is (eksctl's full
 * Update may clear secrets and imagePullSecrets). An annotation that names another role by now
 * is left alone.
 *
 * A throttled (429) or failed (500, 502, 503, 504) request is retried by the Kubernetes adapter
 * (functions/aws/kubernetes.ts): a 429 as many times as an AWS call, waiting at least the
 * Retry-After the API server gives, with jitter, as the task's timeout budgets it. A request still
 * refused after that fails its service account, which a rerun picks up: trying it again here
 * would multiply the adapter's tries past that budget.
 */
export async function removeIrsaAnnotations(
  input: TaskInput<typeof contract>,
  deps: RemoveAnnotationsDeps,
): Promise<TaskOutput<typeof contract>> {
  const plan = await deps.loadPlan(input.runId, input.batch);
  const indexes = batchServiceAccounts(plan, input.batch).filter((index) => {
    const steps = pendingSteps(plan, index);
    return steps.annotation && steps.blocked === undefined;
  });
  const associations = byIndex(
    (await deps.loadAssociationOutcomes(input.runId, input.batch)) ?? [],
    (outcome) => outcome.serviceAccountIndex,
  );
  let api: Promise<ServiceAccountsApi> | undefined;
  return runBatchStep(input, deps.saveOutcomes, {
    items: indexes,
    concurrency: PATCH_CONCURRENCY,
    each: async (index): Promise<AnnotationOutcome> => {
      const sa = plan.serviceAccounts[index];
      const role = sa ? plan.roles[sa.roleIndex] : undefined;
      if (!sa || !role)
        return { serviceAccountIndex: index, result: 'failed', reason: 'not in the plan' };
      const association = associations.get(index);
      if (!associationExists(association)) {
        return {
          serviceAccountIndex: index,
          result: 'not-attempted',
          reason: `kept because its pod identity association does not exist (${association?.reason ?? 'the association step did not finish'})`,
        };
      }
      api ??= deps.kubernetes(plan.clusterName);
      return await removeAnnotation(await api, sa, role.arn, index);
    },
    doing: (index) => {
      const sa = plan.serviceAccounts[index];
      return `updating serviceaccount "${sa?.namespace}/${sa?.serviceAccount}"`;
    },
    failed: failedServiceAccount,
    counts: {
      serviceAccounts: () => true,
      removed: (outcome) => outcome.result === 'removed',
      unsuccessful: (outcome) => outcome.result === 'failed' || outcome.result === 'not-attempted',
    },
  });
}
