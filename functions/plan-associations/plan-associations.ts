import type { ExistingAssociation } from '../core/associations/existing.ts';
import { needsKubernetes, pruneCandidates } from '../core/associations/plan.ts';
import type { AssociationRequest } from '../core/associations/request.ts';

/**
 * Items per Map iteration. At 50, 5,000 associations make 100 iterations: a few hundred history
 * events (the hard limit is 25,000) and well under one state transition per association, while a
 * batch still finishes far inside the Lambda timeout when IAM or EKS throttle.
 */
export const BATCH_SIZE = 50;

/** An item of the run: a config entry (by index into the request), or an association to prune. */
export type PlanItem =
  | {
      kind: 'entry';
      entryIndex: number;
      namespace: string;
      serviceAccount: string;
      associationId?: string | undefined;
    }
  | { kind: 'prune'; namespace: string; serviceAccount: string; existing: ExistingAssociation };

export interface PlanDocument {
  batchSize: number;
  items: PlanItem[];
  /** Which role each association of the cluster uses; present when roles may be deleted. */
  roleUsage?: Pick<ExistingAssociation, 'namespace' | 'serviceAccount' | 'roleArn'>[] | undefined;
}

export interface PlanSummary {
  itemCount: number;
  batches: number[];
  needsKubernetes: boolean;
  kubernetes: { namespaces: string[]; createsServiceAccounts: boolean };
}

export interface PlanDeps {
  loadRequest(runId: string): Promise<AssociationRequest>;
  listAssociations(
    clusterName: string,
  ): Promise<{ associationId: string; namespace: string; serviceAccount: string }[]>;
  describeAll(clusterName: string, ids: string[]): Promise<ExistingAssociation[]>;
  savePlan(runId: string, plan: PlanDocument): Promise<string>;
}

/**
 * Lists the cluster's associations once (every page) and lays out the run's items in batches.
 * Describing every association (N+1 calls) happens only when roles may be deleted or associations
 * pruned: those are the only decisions that need to know who else uses a role.
 */
export async function planAssociations(runId: string, deps: PlanDeps): Promise<PlanSummary> {
  const request = await deps.loadRequest(runId);
  const summaries = await deps.listAssociations(request.clusterName);
  const idByKey = new Map(
    summaries.map((summary) => [
      `${summary.namespace}/${summary.serviceAccount}`,
      summary.associationId,
    ]),
  );
  const items: PlanItem[] = request.entries.map((entry, entryIndex) => ({
    kind: 'entry',
    entryIndex,
    namespace: entry.namespace,
    serviceAccount: entry.serviceAccount,
    associationId: idByKey.get(`${entry.namespace}/${entry.serviceAccount}`),
  }));

  const rolesMayBeDeleted = request.operation === 'delete' || request.prune;
  let roleUsage: PlanDocument['roleUsage'];
  if (rolesMayBeDeleted) {
    const described = await deps.describeAll(
      request.clusterName,
      summaries.map((summary) => summary.associationId),
    );
    roleUsage = described.map(({ namespace, serviceAccount, roleArn }) => ({
      namespace,
      serviceAccount,
      roleArn,
    }));
    if (request.operation === 'apply' && request.prune) {
      for (const existing of pruneCandidates(described, request.entries, request.clusterName)) {
        items.push({
          kind: 'prune',
          namespace: existing.namespace,
          serviceAccount: existing.serviceAccount,
          existing,
        });
      }
    }
  }

  const kubernetesItems = items.filter((item) =>
    item.kind === 'prune'
      ? needsKubernetes('prune')
      : needsKubernetes(
          request.operation as 'create' | 'update' | 'delete' | 'apply',
          request.entries[item.entryIndex],
        ),
  );
  await deps.savePlan(runId, { batchSize: BATCH_SIZE, items, roleUsage });
  return {
    itemCount: items.length,
    batches: Array.from({ length: Math.ceil(items.length / BATCH_SIZE) }, (_, index) => index),
    needsKubernetes: kubernetesItems.length > 0,
    kubernetes: {
      namespaces: [...new Set(kubernetesItems.map((item) => item.namespace))].sort(),
      createsServiceAccounts: items.some(
        (item) =>
          item.kind === 'entry' && request.entries[item.entryIndex]?.createServiceAccount === true,
      ),
    },
  };
}
