/**
 * The report a drift-check run ends with: for each managed cluster, what planning its last apply
 * again would change (the drift, item by item, from the check's report), and, with heal, what
 * the apply then changed.
 */
import type { AssociationsReport, ItemResult, ResultCounts } from '../associations/report.ts';
import { failureReason } from '../fleet/report.ts';
import type { ClusterItems } from '../run-output.ts';

export const DRIFT_WORKFLOW = 'drift-check';

/**
 * How a cluster can differ from its desired state: what the apply would create, update or delete
 * (heal brings these back), and associations nobody declared: made by hand or by another tool,
 * which no config of this service declares (no eks-pia run made them). Heal leaves those alone,
 * since eks-pia did not create them. Undeclared associations an eks-pia run made are not counted:
 * another config of the cluster (a fleet config beside its own file, a migration) may declare
 * them, and with prune the ones this config dropped are among `deleted`.
 */
const DRIFT_KINDS = ['created', 'updated', 'deleted', 'undeclared'] as const;
type Drift = Record<(typeof DRIFT_KINDS)[number], number>;

/**
 * How an item of the check differs, in the words `eks-pia drift` uses: what the apply (heal)
 * would create, update or delete; an association no entry declares; an item the check failed on.
 */
export type DriftKind = 'missing' | 'changed' | 'to prune' | 'undeclared' | 'unchecked';

const DRIFT_OF_RESULT: Partial<Record<ItemResult['result'], DriftKind>> = {
  created: 'missing',
  updated: 'changed',
  deleted: 'to prune',
  failed: 'unchecked',
};

/** One item of the check that is not in sync, as its report gave it (its steps bring it back). */
export type DriftedItem = ItemResult & { drift: DriftKind };

/**
 * The check's items that drifted, in its report's order, then the associations nobody declared
 * (no eks-pia run made them; heal leaves them alone, so they have no steps).
 */
export function driftedItems(
  report: Pick<AssociationsReport, 'items' | 'undeclared'>,
): DriftedItem[] {
  const changed = report.items.flatMap((item) => {
    const drift = DRIFT_OF_RESULT[item.result];
    return drift === undefined ? [] : [{ ...item, drift }];
  });
  const undeclared = (report.undeclared ?? [])
    .filter((association) => !association.createdByEksPia)
    .map(
      ({ namespace, serviceAccount, associationId }): DriftedItem => ({
        namespace,
        serviceAccount,
        action: 'unchanged',
        result: 'skipped',
        reason: `pod identity association "${namespace}/${serviceAccount}" (${associationId}) was made by hand or by another tool and is in no entry of the config; heal leaves it alone`,
        drift: 'undeclared',
      }),
    );
  return [...changed, ...undeclared];
}

/** What one Map iteration leaves. */
export interface DriftIteration {
  clusterName: string;
  check?: { counts: ResultCounts; reportLocation: string; undeclared: number };
  healed?: { counts: ResultCounts; reportLocation: string };
  failure?: { Error?: string; Cause?: string };
}

export interface DriftClusterOutcome extends ClusterItems<DriftedItem> {
  clusterName: string;
  /**
   * The cluster as the run leaves it. `drifted`: it still differs (not healed, or undeclared
   * associations heal leaves alone); `failed`: the check or the heal failed, or an item could not
   * be checked or healed.
   */
  result: 'in sync' | 'drifted' | 'healed' | 'failed';
  /** What the check found, by kind. */
  drift: Drift | null;
  /** The dry run's report: each drifted item and what would bring it back. */
  checkReport: string | null;
  healReport: string | null;
  reason: string | null;
}

export interface DriftReport {
  workflow: typeof DRIFT_WORKFLOW;
  runId: string;
  heal: boolean;
  selector: string;
  clusterCounts: {
    checked: number;
    inSync: number;
    drifted: number;
    healed: number;
    failed: number;
  };
  /** Drifted items over every cluster, healed or not. */
  driftedItems: number;
  clusters: DriftClusterOutcome[];
  reportLocation: string;
  /** From the selection: named clusters its other conditions left out, a pattern matching none. */
  warnings: string[];
  nextSteps: string[];
}

function driftOf(check: NonNullable<DriftIteration['check']>): Drift {
  const { counts } = check;
  return {
    created: counts.created,
    updated: counts.updated,
    deleted: counts.deleted,
    undeclared: check.undeclared,
  };
}

function names(clusters: readonly DriftClusterOutcome[]): string {
  return clusters.map((cluster) => cluster.clusterName).join(', ');
}

/** Drift an apply brings back: everything but undeclared associations. */
function healable(drift: Drift | null): boolean {
  return drift !== null && drift.created + drift.updated + drift.deleted > 0;
}

function drifted({ drift }: Pick<DriftClusterOutcome, 'drift'>): number {
  if (drift === null) return 0;
  return drift.created + drift.updated + drift.deleted + drift.undeclared;
}

function outcomeOf(
  iteration: DriftIteration,
  items: ClusterItems<DriftedItem> | undefined,
): DriftClusterOutcome {
  const { clusterName, check, healed, failure } = iteration;
  const base = {
    clusterName,
    drift: check ? driftOf(check) : null,
    checkReport: check?.reportLocation ?? null,
    healReport: healed?.reportLocation ?? null,
    ...(items ?? { items: [] }),
  };
  if (failure !== undefined) {
    return {
      ...base,
      result: 'failed',
      reason: `${check ? 'the heal' : 'the check'} failed: ${failureReason(failure)}`,
    };
  }
  if (check === undefined) return { ...base, result: 'failed', reason: 'the check did not run' };
  const unchecked = check.counts.failed;
  if (healed !== undefined && healed.counts.failed > 0) {
    return {
      ...base,
      result: 'failed',
      reason: `${healed.counts.failed} item(s) could not be healed; see ${healed.reportLocation}`,
    };
  }
  if (unchecked > 0) {
    return {
      ...base,
      result: 'failed',
      reason: `${unchecked} item(s) could not be checked; see ${check.reportLocation}`,
    };
  }
  if (drifted(base) === 0) return { ...base, result: 'in sync', reason: null };
  const healedAll = healed !== undefined && check.undeclared === 0;
  return { ...base, result: healedAll ? 'healed' : 'drifted', reason: null };
}

export function buildDriftReport(input: {
  runId: string;
  heal: boolean;
  selector: string;
  iterations: readonly DriftIteration[];
  /** Each checked cluster's drifted items, by cluster name (`loadClusterItems`). */
  items: ReadonlyMap<string, ClusterItems<DriftedItem>>;
  reportLocation: string;
  warnings?: readonly string[];
}): DriftReport {
  const clusters = input.iterations.map((iteration) =>
    outcomeOf(iteration, input.items.get(iteration.clusterName)),
  );
  const count = (result: DriftClusterOutcome['result']) =>
    clusters.filter((cluster) => cluster.result === result).length;
  const driftedClusters = clusters.filter((cluster) => cluster.result === 'drifted');
  const nextSteps: string[] = [];
  if (clusters.length === 0) {
    nextSteps.push(
      `no managed cluster matched ${input.selector}: a cluster is managed once an apply (not a dry run) of a config has run on it`,
    );
  }
  const unhealed = driftedClusters.filter(
    (cluster) => healable(cluster.drift) && !cluster.healReport,
  );
  if (unhealed.length > 0) {
    nextSteps.push(
      `${names(unhealed)} differ from their desired state (the items are listed under each cluster): run the drift check with heal (eks-pia drift --heal) or apply the configs again`,
    );
  }
  const withUndeclared = clusters.filter((cluster) => (cluster.drift?.undeclared ?? 0) > 0);
  if (withUndeclared.length > 0) {
    nextSteps.push(
      `${names(withUndeclared)} have associations nobody declared: made by hand or by another tool, in no entry of their config (listed as undeclared under each cluster); heal leaves them alone, since eks-pia did not create them: declare them in a config and apply it, or delete them (eks-pia delete podidentityassociation)`,
    );
  }
  return {
    workflow: DRIFT_WORKFLOW,
    runId: input.runId,
    heal: input.heal,
    selector: input.selector,
    clusterCounts: {
      checked: clusters.length,
      inSync: count('in sync'),
      drifted: driftedClusters.length,
      healed: count('healed'),
      failed: count('failed'),
    },
    driftedItems: clusters.reduce((sum, cluster) => sum + drifted(cluster), 0),
    clusters,
    reportLocation: input.reportLocation,
    warnings: [...(input.warnings ?? [])],
    nextSteps,
  };
}
