/**
 * The report a fleet-associations run ends with: every selected cluster's outcome (its nested
 * associations run's counts and items, or why that run failed) and the counts over the whole
 * fleet. A dry run's items, each with its steps, grouped by cluster, are the fleet's one plan.
 */
import { type ItemResult, RESULT_KINDS, type ResultCounts } from '../associations/report.ts';
import type { ClusterItems } from '../run-output.ts';

export const FLEET_WORKFLOW = 'fleet-associations';

/** What one Map iteration leaves: its cluster, and the nested run's summary or its failure. */
export interface FleetIteration {
  clusterName: string;
  associations?: {
    counts: ResultCounts;
    reportLocation: string;
    /** How many warnings the cluster's report holds: the texts stay there, so the state stays small. */
    warningCount: number;
    executionArn: string;
  };
  failure?: { Error?: string; Cause?: string };
}

export interface FleetClusterOutcome extends ClusterItems<ItemResult> {
  clusterName: string;
  /** `failed` when the cluster's run failed or reported a failed item. */
  result: 'succeeded' | 'failed';
  counts: ResultCounts | null;
  reportLocation: string | null;
  /** Why the cluster's run failed, or how many of its items did. */
  reason: string | null;
}

export interface FleetReport {
  workflow: typeof FLEET_WORKFLOW;
  runId: string;
  dryRun: boolean;
  /** Where the fleet config came from. */
  source: string;
  /** The selector the run used, in a line (the config's `fleet:` block, or `clusters`). */
  selector: string;
  clusterCounts: { selected: number; succeeded: number; failed: number };
  /** Associations over every cluster whose run completed. */
  counts: ResultCounts;
  clusters: FleetClusterOutcome[];
  reportLocation: string;
  warnings: string[];
  nextSteps: string[];
}

function zeroCounts(): ResultCounts {
  return Object.fromEntries(RESULT_KINDS.map((kind) => [kind, 0])) as ResultCounts;
}

/** How much of a failed run's cause a cluster's outcome keeps: enough to act on, never a payload. */
export const KEPT_CAUSE_CHARACTERS = 2000;

/**
 * A failed nested run's own error and cause. Step Functions gives `startExecution.sync` failures
 * as States.TaskFailed whose cause is the child's description (its input too), holding the
 * child's error: that is what the cluster's outcome keeps, the cause cut to
 * {@link KEPT_CAUSE_CHARACTERS}.
 */
export function childFailure(failure: { Error?: string; Cause?: string }): {
  Error: string;
  Cause: string;
} {
  const cause = failure.Cause ?? '';
  let found = { Error: failure.Error ?? 'States.TaskFailed', Cause: cause };
  try {
    const child = JSON.parse(cause) as { Error?: unknown; Cause?: unknown };
    if (typeof child.Error === 'string') {
      found = { Error: child.Error, Cause: typeof child.Cause === 'string' ? child.Cause : '' };
    }
  } catch {
    // Not a child's description: the cause as given says it.
  }
  return {
    Error: found.Error,
    Cause:
      found.Cause.length > KEPT_CAUSE_CHARACTERS
        ? `${found.Cause.slice(0, KEPT_CAUSE_CHARACTERS)}… (cut)`
        : found.Cause,
  };
}

/**
 * What the run store keeps of a Map iteration over clusters: its state as it ended, the failure
 * (when its Catch caught one) reduced to the child's own error and a bounded cause.
 */
export function clusterOutcome(
  clusterName: string,
  state: { failure?: { Error?: string; Cause?: string } | undefined } & Record<string, unknown>,
): { clusterName: string } & Record<string, unknown> {
  const { failure, ...rest } = state;
  return {
    ...rest,
    clusterName,
    ...(failure !== undefined ? { failure: childFailure(failure) } : {}),
  };
}

/** A failed nested run in a line: its own error and cause. */
export function failureReason(failure: { Error?: string; Cause?: string }): string {
  const child = childFailure(failure);
  return `${child.Error}: ${child.Cause}`.trim();
}

function outcomeOf(
  iteration: FleetIteration,
  items: ClusterItems<ItemResult> | undefined,
): FleetClusterOutcome {
  const run = iteration.associations;
  if (run === undefined) {
    return {
      clusterName: iteration.clusterName,
      result: 'failed',
      counts: null,
      reportLocation: null,
      reason: failureReason(iteration.failure ?? {}),
      items: [],
    };
  }
  const failedItems = run.counts.failed;
  return {
    clusterName: iteration.clusterName,
    result: failedItems > 0 ? 'failed' : 'succeeded',
    counts: run.counts,
    reportLocation: run.reportLocation,
    reason:
      failedItems > 0
        ? `${failedItems} association${failedItems === 1 ? '' : 's'} failed; see ${run.reportLocation}`
        : null,
    ...(items ?? { items: [] }),
  };
}

export function buildFleetReport(input: {
  runId: string;
  dryRun: boolean;
  source: string;
  selector: string;
  iterations: readonly FleetIteration[];
  /** Each completed cluster's items, by cluster name (`loadClusterItems`). */
  items: ReadonlyMap<string, ClusterItems<ItemResult>>;
  warnings: readonly string[];
  reportLocation: string;
}): FleetReport {
  const clusters = input.iterations.map((iteration) =>
    outcomeOf(iteration, input.items.get(iteration.clusterName)),
  );
  const counts = zeroCounts();
  for (const cluster of clusters) {
    for (const kind of RESULT_KINDS) counts[kind] += cluster.counts?.[kind] ?? 0;
  }
  const failed = clusters.filter((cluster) => cluster.result === 'failed');
  const nextSteps: string[] = [];
  if (clusters.length === 0) {
    nextSteps.push(
      `no cluster matched ${input.selector}; check the fleet: block (or clusters) against the region's clusters and their tags`,
    );
  } else if (failed.length > 0) {
    nextSteps.push(
      `fix what failed on ${failed.map((cluster) => cluster.clusterName).join(', ')} and start the run again: the clusters already done report their associations unchanged`,
    );
  } else if (input.dryRun) {
    nextSteps.push('nothing was changed (dry run); start the run again without dryRun to apply it');
  }
  return {
    workflow: FLEET_WORKFLOW,
    runId: input.runId,
    dryRun: input.dryRun,
    source: input.source,
    selector: input.selector,
    clusterCounts: {
      selected: clusters.length,
      succeeded: clusters.length - failed.length,
      failed: failed.length,
    },
    counts,
    clusters,
    reportLocation: input.reportLocation,
    warnings: [
      ...input.warnings,
      ...input.iterations.flatMap(({ clusterName, associations }) =>
        associations !== undefined && associations.warningCount > 0
          ? [
              `${clusterName}: ${associations.warningCount} warning${associations.warningCount === 1 ? '' : 's'}; see ${associations.reportLocation}`,
            ]
          : [],
      ),
    ],
    nextSteps,
  };
}

/** The clusters a report over many clusters counts as failed, for the run's event. */
export function failedClusters(report: {
  clusters: readonly { clusterName: string; result: string }[];
}): string[] {
  return report.clusters
    .filter((cluster) => cluster.result === 'failed')
    .map((cluster) => cluster.clusterName);
}
