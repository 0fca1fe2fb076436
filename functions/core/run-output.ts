/**
 * What every workflow's Report task shares: the outcome of one Map iteration over batches or
 * clusters, and the budget that keeps a report inside Step Functions' 256 KiB output limit.
 */
import pMap from 'p-map';
import * as z from './zod.ts';

/**
 * One iteration of a "Map over batches" state: the batch task's own result, or what the ASL's
 * catch-all "Batch Failed" Pass state records when the task failed outright.
 */
export const mapBatchOutcomeSchema = z.union([
  z.looseObject({
    batch: z.number(),
    failed: z.literal(true),
    error: z.object({ Error: z.string(), Cause: z.string() }),
  }),
  z.looseObject({ batch: z.number(), failed: z.optional(z.undefined()) }),
]);
export type MapBatchOutcome = z.infer<typeof mapBatchOutcomeSchema>;

/** Output budget for a report in the execution's output, below Step Functions' 256 KiB. */
export const REPORT_OUTPUT_BYTES = 200 * 1024;

/** A value's size as Step Functions counts it: the bytes of its JSON text. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

/** Failed entries first: when a report must be cut, they are what a person acts on. */
export function failedFirst<T extends { result: string }>(entries: readonly T[]): T[] {
  return [
    ...entries.filter((entry) => entry.result === 'failed'),
    ...entries.filter((entry) => entry.result !== 'failed'),
  ];
}

/**
 * Keeps entries, in order, while their JSON still fits in the report budget; `budget.used`
 * carries the bytes spent across several lists of one report.
 */
export function keepWithinBudget<T>(
  entries: readonly T[],
  budget: { used: number },
): { kept: T[]; omitted: number } {
  const kept: T[] = [];
  let omitted = 0;
  for (const entry of entries) {
    const cost = jsonBytes(entry) + 1;
    if (budget.used + cost > REPORT_OUTPUT_BYTES) {
      omitted += 1;
      continue;
    }
    budget.used += cost;
    kept.push(entry);
  }
  return { kept, omitted };
}

/**
 * `report` whole when its JSON fits the output budget; else with its `lists` cut, in the order
 * given, each first put in the order its function gives (failed entries first, say), and how many
 * entries were left out, in all and by list (undefined when nothing had to be cut).
 */
export function cutToOutputBudget<K extends string, R extends Record<K, readonly unknown[]>>(
  report: R,
  lists: { readonly [P in K]: (entries: R[P]) => R[P] },
): { report: R; omitted?: number; omittedBy?: Record<K, number> } {
  if (jsonBytes(report) <= REPORT_OUTPUT_BYTES) return { report };
  const keys = Object.keys(lists) as K[];
  const budget = {
    used: jsonBytes({ ...report, ...Object.fromEntries(keys.map((key) => [key, []])) }),
  };
  const cut: R = { ...report };
  const omittedBy = {} as Record<K, number>;
  for (const key of keys) {
    const within = keepWithinBudget(lists[key](report[key]), budget);
    cut[key] = within.kept as unknown as R[K];
    omittedBy[key] = within.omitted;
  }
  const omitted = keys.reduce((sum, key) => sum + omittedBy[key], 0);
  return { report: cut, omitted, omittedBy };
}

/** What a cluster's outcome is when none was recorded (its iteration's record step never ran). */
export const MISSING_OUTCOME = {
  Error: 'OutcomeMissing',
  Cause: 'no outcome was recorded for this cluster; see the execution history',
} as const;

/** Outcomes read at once: one per cluster, up to 500. */
const OUTCOME_READS = 8;

/**
 * Each cluster's recorded outcome, in the Map's order; a cluster without one reads as failed with
 * {@link MISSING_OUTCOME}, so the report still covers every cluster.
 */
export async function loadClusterOutcomes<T extends { clusterName: string }>(
  results: readonly { clusterName: string }[],
  load: (clusterName: string) => Promise<T | undefined>,
): Promise<(T | { clusterName: string; failure: typeof MISSING_OUTCOME })[]> {
  return pMap(
    results,
    async ({ clusterName }) =>
      (await load(clusterName)) ?? { clusterName, failure: MISSING_OUTCOME },
    { concurrency: OUTCOME_READS },
  );
}

/** A report over many clusters (fleet, fleet migration, drift check), one outcome per cluster. */
export interface ClusterRunReport {
  workflow: string;
  runId: string;
  reportLocation: string;
  clusters: readonly { result: string }[];
}

/** Where such a report is kept and announced. */
export interface ClusterRunReportDeps<R> {
  /** Stores the whole report in the run store; returns its `s3://` location. */
  saveReport(runId: string, report: R): Promise<string>;
  reportLocation(runId: string): string;
  publish(detail: Record<string, unknown>): Promise<void>;
}

/** The report as the execution's output: within Step Functions' limit, failed clusters first. */
export function clusterRunReportOutput<R extends ClusterRunReport>(
  report: R,
): R & { omittedClusters?: number } {
  const { report: cut, omitted } = cutToOutputBudget(report, {
    clusters: failedFirst as (clusters: R['clusters']) => R['clusters'],
  });
  return omitted === undefined ? cut : { ...cut, omittedClusters: omitted };
}

/**
 * Stores the report whole, announces the run on EventBridge with `summary` (what a subscriber
 * acts on, not every cluster) and returns the report cut to fit the execution's output.
 */
export async function keepAndAnnounce<R extends ClusterRunReport>(
  report: R,
  deps: ClusterRunReportDeps<R>,
  summary: Record<string, unknown>,
): Promise<R & { omittedClusters?: number }> {
  await deps.saveReport(report.runId, report);
  await deps.publish({
    workflow: report.workflow,
    runId: report.runId,
    ...summary,
    reportLocation: report.reportLocation,
  });
  return clusterRunReportOutput(report);
}
