/**
 * The report a drift-check run ends with: for each managed cluster, what planning its last apply
 * again would change (the drift), and, with heal, what the apply then changed.
 */
import type { ResultCounts } from '../associations/report.ts';
import { failureReason } from '../fleet/report.ts';
import { cutToOutputBudget, failedFirst } from '../run-output.ts';

export const DRIFT_WORKFLOW = 'drift-check';

/** The item results of a plan that mean the cluster differs from its desired state. */
const DRIFT_KINDS = ['created', 'updated', 'deleted'] as const;

/** What one Map iteration leaves. */
export interface DriftIteration {
  clusterName: string;
  check?: { counts: ResultCounts; reportLocation: string };
  healed?: { counts: ResultCounts; reportLocation: string };
  failure?: { Error?: string; Cause?: string };
}

export interface DriftClusterOutcome {
  clusterName: string;
  /** `failed`: the check or the heal failed, or an item could not be checked or healed. */
  result: 'in sync' | 'drifted' | 'healed' | 'failed';
  /** Items the apply would change, by what it would do. */
  drift: Record<(typeof DRIFT_KINDS)[number], number> | null;
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
  nextSteps: string[];
}

function driftOf(counts: ResultCounts): DriftClusterOutcome['drift'] & object {
  return { created: counts.created, updated: counts.updated, deleted: counts.deleted };
}

function drifted(drift: Record<string, number>): number {
  return Object.values(drift).reduce((sum, count) => sum + count, 0);
}

function outcomeOf(iteration: DriftIteration): DriftClusterOutcome {
  const { clusterName, check, healed, failure } = iteration;
  const base = {
    clusterName,
    drift: check ? driftOf(check.counts) : null,
    checkReport: check?.reportLocation ?? null,
    healReport: healed?.reportLocation ?? null,
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
  if (drifted(driftOf(check.counts)) === 0) return { ...base, result: 'in sync', reason: null };
  return { ...base, result: healed === undefined ? 'drifted' : 'healed', reason: null };
}

export function buildDriftReport(input: {
  runId: string;
  heal: boolean;
  selector: string;
  iterations: readonly DriftIteration[];
  reportLocation: string;
}): DriftReport {
  const clusters = input.iterations.map(outcomeOf);
  const count = (result: DriftClusterOutcome['result']) =>
    clusters.filter((cluster) => cluster.result === result).length;
  const driftedClusters = clusters.filter((cluster) => cluster.result === 'drifted');
  const nextSteps: string[] = [];
  if (clusters.length === 0) {
    nextSteps.push(
      `no managed cluster matched ${input.selector}: a cluster is managed once an apply (not a dry run) of a config has run on it`,
    );
  }
  if (driftedClusters.length > 0) {
    nextSteps.push(
      `${driftedClusters.map((cluster) => cluster.clusterName).join(', ')} differ from their desired state: see each check report for the items, then run the drift check with heal (eks-pia drift --heal) or apply the configs again`,
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
    driftedItems: clusters.reduce((sum, cluster) => sum + drifted(cluster.drift ?? {}), 0),
    clusters,
    reportLocation: input.reportLocation,
    nextSteps,
  };
}

/** The report as the execution's output: within Step Functions' limit, failed clusters first. */
export function driftReportOutput(report: DriftReport): DriftReport & { omittedClusters?: number } {
  const { report: cut, omitted } = cutToOutputBudget(report, { clusters: failedFirst });
  return omitted === undefined ? cut : { ...cut, omittedClusters: omitted };
}
