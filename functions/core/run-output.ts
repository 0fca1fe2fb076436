/**
 * What every workflow's Report task shares: the outcome of one Map iteration over batches or
 * clusters, and the budget that keeps a report inside Step Functions' 256 KiB output limit.
 */
import pMap from 'p-map';
import { asError } from './errors.ts';
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
 * Keeps entries, in order, while their JSON still fits in the report budget (or `limit` bytes);
 * `budget.used` carries the bytes spent across several lists of one report.
 */
export function keepWithinBudget<T>(
  entries: readonly T[],
  budget: { used: number },
  limit = REPORT_OUTPUT_BYTES,
): { kept: T[]; omitted: number } {
  const kept: T[] = [];
  let omitted = 0;
  for (const entry of entries) {
    const cost = jsonBytes(entry) + 1;
    if (budget.used + cost > limit) {
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

/** Run documents read at once (outcomes, nested runs' reports): one per cluster, up to 500. */
const READS_AT_ONCE = 8;

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
    { concurrency: READS_AT_ONCE },
  );
}

/** A report over many clusters (fleet, fleet migration, drift check), one outcome per cluster. */
export interface ClusterRunReport {
  workflow: string;
  runId: string;
  reportLocation: string;
  clusters: readonly ({ result: string } & Partial<ClusterItems<{ result: string }>>)[];
}

/**
 * The items of a cluster's nested associations run that a report over clusters shows (a fleet's
 * plan, a drift check's drifted items), as many as the report has room for.
 */
export interface ClusterItems<I> {
  items: I[];
  /** How many of the cluster's items this report leaves out; the cluster's own report has them. */
  itemsOmitted?: number;
  /** Why the cluster's own report could not be read: its items are there, not here. */
  itemsUnread?: string;
}

/**
 * What the stored report over clusters may spend on their items, shared equally among them: the
 * report task holds the report in memory (512 MB), and every cluster of a large fleet gets its
 * part. 100 clusters of 500 associations fit whole.
 */
export const STORED_ITEM_BYTES = 32 * 1024 * 1024;

const CHANGE_RESULTS: ReadonlySet<string> = new Set(['created', 'updated', 'deleted']);

/** Failed items, then those that change something, then the rest: what a cut keeps first. */
function actionableFirst<I extends { result: string }>(items: readonly I[]): I[] {
  const rank = (item: I) =>
    item.result === 'failed' ? 0 : CHANGE_RESULTS.has(item.result) ? 1 : 2;
  return [0, 1, 2].flatMap((kept) => items.filter((item) => rank(item) === kept));
}

/**
 * The items whole, in their order, when their JSON fits `bytes`; else as many as fit, the most
 * actionable first.
 */
export function keepItems<I extends { result: string }>(
  items: readonly I[],
  bytes: number,
): ClusterItems<I> {
  if (jsonBytes(items) <= bytes) return { items: [...items] };
  const { kept, omitted } = keepWithinBudget(actionableFirst(items), { used: 2 }, bytes);
  return { items: kept, itemsOmitted: omitted };
}

/**
 * The items each cluster's nested run reports, by cluster name, for the clusters `locationOf`
 * gives a report for (those whose run completed): `read` picks them from the report, and each
 * cluster keeps what fits its equal share of {@link STORED_ITEM_BYTES}, so the task holds no
 * more however many items the clusters have. A report that cannot be read leaves its cluster
 * without items, saying why (`itemsUnread`).
 */
export async function loadClusterItems<
  C extends { clusterName: string },
  I extends { result: string },
>(
  clusters: readonly C[],
  locationOf: (cluster: C) => string | undefined,
  read: (location: string) => Promise<readonly I[]>,
): Promise<Map<string, ClusterItems<I>>> {
  const share = Math.floor(STORED_ITEM_BYTES / Math.max(clusters.length, 1));
  const loaded = await pMap(
    clusters,
    async (cluster) => {
      const location = locationOf(cluster);
      if (location === undefined) return undefined;
      // One report that cannot be read (a slow S3, a report an older deployment wrote) costs its
      // cluster's listing, not the report over every cluster.
      const items = await read(location).then(
        (read) => keepItems(read, share),
        (error: unknown): ClusterItems<I> => ({ items: [], itemsUnread: asError(error).message }),
      );
      return [cluster.clusterName, items] as const;
    },
    { concurrency: READS_AT_ONCE },
  );
  return new Map(loaded.filter((entry) => entry !== undefined));
}

/** Where such a report is kept and announced. */
export interface ClusterRunReportDeps<R> {
  /** Stores the whole report in the run store; returns its `s3://` location. */
  saveReport(runId: string, report: R): Promise<string>;
  reportLocation(runId: string): string;
  publish(detail: Record<string, unknown>): Promise<void>;
}

/** Room for a cluster's `itemsOmitted` when its items are cut (the field with the largest count). */
const ITEMS_OMITTED_BYTES = jsonBytes({ itemsOmitted: Number.MAX_SAFE_INTEGER });

/**
 * The report as the execution's output: within Step Functions' limit, failed clusters first.
 * Clusters come before their items (a cluster's outcome says more than any of its items): the
 * clusters are cut without their items, then the room left is shared equally among the clusters
 * kept. `omittedClusters` and `omittedItems` count what the output leaves out of the stored report.
 */
export function clusterRunReportOutput<R extends ClusterRunReport>(
  report: R,
): R & { omittedClusters?: number; omittedItems?: number } {
  if (jsonBytes(report) <= REPORT_OUTPUT_BYTES) return report;
  type Cluster = R['clusters'][number];
  const whole = new Map<Cluster, Cluster>();
  const bare = report.clusters.map((cluster) => {
    const stripped = cluster.items === undefined ? cluster : { ...cluster, items: [] };
    whole.set(stripped, cluster);
    return stripped;
  });
  const { report: cut, omitted } = cutToOutputBudget(
    { ...report, clusters: bare },
    { clusters: failedFirst as (clusters: R['clusters']) => R['clusters'] },
  );
  const share =
    Math.floor((REPORT_OUTPUT_BYTES - jsonBytes(cut)) / Math.max(cut.clusters.length, 1)) -
    ITEMS_OMITTED_BYTES;
  let omittedItems = 0;
  const clusters = cut.clusters.map((cluster) => {
    const items = whole.get(cluster)?.items;
    if (items === undefined) return cluster;
    const kept = keepItems(items, share);
    omittedItems += kept.itemsOmitted ?? 0;
    const left = (cluster.itemsOmitted ?? 0) + (kept.itemsOmitted ?? 0);
    return { ...cluster, items: kept.items, ...(left > 0 ? { itemsOmitted: left } : {}) };
  });
  return {
    ...cut,
    clusters,
    ...(omitted !== undefined && omitted > 0 ? { omittedClusters: omitted } : {}),
    ...(omittedItems > 0 ? { omittedItems } : {}),
  };
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
