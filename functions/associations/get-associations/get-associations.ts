import type { ExistingAssociation } from '../../core/associations/existing.ts';
import {
  type AssociationRow,
  buildGetReport,
  type GetReport,
} from '../../core/associations/report.ts';
import { asError } from '../../core/errors.ts';
import { jsonBytes, keepWithinBudget, REPORT_OUTPUT_BYTES } from '../../core/run-output.ts';

/** Rows per run-store page of a listing too large for the execution's output. */
export const GET_PAGE_ROWS = 1000;

export interface GetAssociationsInput {
  runId: string;
  clusterName: string;
  region: string;
  filter?: { namespace?: string | undefined; serviceAccount?: string | undefined } | undefined;
}

export interface GetAssociationsDeps {
  listAssociations(
    clusterName: string,
    filter: { namespace?: string | undefined; serviceAccount?: string | undefined },
  ): Promise<{ associationId: string }[]>;
  describeAll(clusterName: string, ids: string[]): Promise<ExistingAssociation[]>;
  /** Stores one page of the listing in the run store and says where. */
  savePage(runId: string, page: number, rows: AssociationRow[]): Promise<string>;
}

/**
 * eksctl's `get podidentityassociation`, with every page listed (eksctl reads only the first) and
 * the fields eksctl leaves out (target role, session tags, whether eks-pia manages it).
 */
export async function getAssociations(
  input: GetAssociationsInput,
  deps: GetAssociationsDeps,
): Promise<GetReport> {
  const filter = input.filter ?? {};
  const summaries = await deps
    .listAssociations(input.clusterName, filter)
    .catch((error: unknown) => {
      // eksctl's words (spec §3); the error keeps its name, so a throttled call is still retried.
      const failure = asError(error);
      failure.message = `failed to list pod identity associations: ${failure.message}`;
      throw failure;
    });
  const associations = await deps.describeAll(
    input.clusterName,
    summaries.map((summary) => summary.associationId),
  );
  const report = buildGetReport({
    clusterName: input.clusterName,
    region: input.region,
    ...(input.filter ? { filter: input.filter } : {}),
    associations,
  });
  return fitToOutput(input.runId, report, deps);
}

/**
 * The listing whole when it fits the execution's output; else the rows that fit, and the whole
 * list in run-store pages the CLI (or anyone with the bucket) reads back in order.
 */
async function fitToOutput(
  runId: string,
  report: GetReport,
  deps: GetAssociationsDeps,
): Promise<GetReport> {
  if (jsonBytes(report) <= REPORT_OUTPUT_BYTES) return report;
  const pages: string[] = [];
  for (let start = 0; start < report.associations.length; start += GET_PAGE_ROWS) {
    const rows = report.associations.slice(start, start + GET_PAGE_ROWS);
    pages.push(await deps.savePage(runId, pages.length, rows));
  }
  const budget = { used: jsonBytes({ ...report, associations: [], pages }) + 64 };
  const { kept, omitted } = keepWithinBudget(report.associations, budget);
  return { ...report, associations: kept, associationsOmitted: omitted, pages };
}
