import pMap from 'p-map';
import type { AddonResult } from '../../core/addon-plan.ts';
import {
  type AssociationsReport,
  buildReport,
  type ItemResult,
  type ReportAccess,
} from '../../core/associations/report.ts';
import type { PlanItem, UndeclaredAssociation } from '../../core/associations/run-plan.ts';
import type { Operation } from '../../core/config/index.ts';
import { cutToOutputBudget, failedFirst, type MapBatchOutcome } from '../../core/run-output.ts';

export interface ReportInput {
  runId: string;
  clusterName: string;
  region: string;
  operation: Operation;
  dryRun: boolean;
  prune: boolean;
  source: string;
  warnings: string[];
  access?: ReportAccess | undefined;
  /** The plan step's summary: how many undeclared associations its document lists. */
  plan?: { undeclared?: number | undefined } | undefined;
  batchResults: MapBatchOutcome[];
}

/** The report as the execution outputs it: complete, or its items cut to fit with a pointer to all. */
export type RunReport = AssociationsReport & {
  reportLocation: string;
  itemsOmitted?: number | undefined;
  /** How many undeclared associations `undeclared` leaves out; the stored report has them all. */
  undeclaredOmitted?: number | undefined;
};

export interface ReportDeps {
  /** The items of one batch (its batch document): read only for a batch whose task failed. */
  loadBatchItems(runId: string, batch: number): Promise<PlanItem[]>;
  loadResults(runId: string, batch: number): Promise<ItemResult[]>;
  /** The associations the plan found undeclared; undefined when the run is not an apply of a config. */
  loadUndeclared(runId: string): Promise<UndeclaredAssociation[] | undefined>;
  /** The add-on results of the run; undefined when it had no add-ons. */
  loadAddonResults?(runId: string): Promise<AddonResult[] | undefined>;
  saveReport(runId: string, report: AssociationsReport): Promise<string>;
  publish(detail: Record<string, unknown>): Promise<void>;
}

/** Run documents read at once: one per batch, so a large run would otherwise wait on each in turn. */
const READ_CONCURRENCY = 8;

/**
 * Gathers every batch's results into the run's report, stores it whole in the run store,
 * announces the run on EventBridge and returns it, trimmed to fit the state payload limit.
 * A batch whose task failed outright reports each of its items as failed with that error.
 */
export async function reportAssociations(input: ReportInput, deps: ReportDeps): Promise<RunReport> {
  const batches = [...input.batchResults].sort((a, b) => a.batch - b.batch);
  const perBatch = await pMap(
    batches,
    async (batch): Promise<ItemResult[]> => {
      if (!batch.failed) return deps.loadResults(input.runId, batch.batch);
      const planned = await deps.loadBatchItems(input.runId, batch.batch);
      return planned.map((item) => ({
        namespace: item.namespace,
        serviceAccount: item.serviceAccount,
        action: 'missing',
        result: 'failed',
        reason: `the batch holding this item failed: ${batch.error.Error}: ${batch.error.Cause}`,
      }));
    },
    { concurrency: READ_CONCURRENCY },
  );
  const items = perBatch.flat();
  const report = buildReport({
    clusterName: input.clusterName,
    region: input.region,
    operation: input.operation,
    dryRun: input.dryRun,
    source: input.source,
    items,
    warnings: input.warnings,
    access: input.access,
    addons: await deps.loadAddonResults?.(input.runId),
    // The plan document is read only when it lists some: a run of thousands then costs no extra read.
    undeclared: await undeclaredOf(input, deps),
    prune: input.prune,
  });
  const reportLocation = await deps.saveReport(input.runId, report);
  await deps.publish({
    workflow: 'associations',
    runId: input.runId,
    clusterName: report.clusterName,
    region: report.region,
    operation: report.operation,
    dryRun: report.dryRun,
    source: report.source,
    counts: report.counts,
    ...(report.addons
      ? { addons: report.addons.map(({ name, result }) => ({ name, result })) }
      : {}),
    reportLocation,
  });
  return fitToOutput({ ...report, reportLocation });
}

function keepOrder<T>(entries: T): T {
  return entries;
}

/**
 * The plan document is read only when it lists undeclared associations, so most runs cost no
 * extra read; undefined when the run is not an apply.
 */
async function undeclaredOf(
  input: ReportInput,
  deps: ReportDeps,
): Promise<UndeclaredAssociation[] | undefined> {
  const count = input.plan?.undeclared;
  if (count === undefined) return undefined;
  return count > 0 ? ((await deps.loadUndeclared(input.runId)) ?? []) : [];
}

/** The report whole when it fits the output budget, else with items cut (failed ones kept first). */
function fitToOutput(report: RunReport): RunReport {
  const { undeclared } = report;
  if (undeclared === undefined) {
    const { report: fitted, omitted } = cutToOutputBudget(report, { items: failedFirst });
    return omitted === undefined ? fitted : { ...fitted, itemsOmitted: omitted };
  }
  const { report: fitted, omittedBy } = cutToOutputBudget(
    { ...report, undeclared },
    { items: failedFirst, undeclared: keepOrder },
  );
  if (omittedBy === undefined) return fitted;
  return {
    ...fitted,
    ...(omittedBy.items > 0 ? { itemsOmitted: omittedBy.items } : {}),
    ...(omittedBy.undeclared > 0 ? { undeclaredOmitted: omittedBy.undeclared } : {}),
  };
}
