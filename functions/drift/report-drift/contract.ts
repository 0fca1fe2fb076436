/** The report-drift task's contract: the input it accepts and the output it returns (its handler checks both). */

import { RESULT_KINDS } from '../../core/associations/report.ts';
import { clusterRunReportDescriptor } from '../../core/shared-descriptors.ts';
import { caughtFailure, clusterRunResults, requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

const runSummaryFields = () => ({
  counts: z.record(z.enum(RESULT_KINDS), z.int().check(z.minimum(0))),
  reportLocation: z.string(),
});

/** One cluster's outcome as record-cluster-outcome kept it, which the report reads. */
export const outcome = z.looseObject({
  clusterName: requiredText(),
  check: z.optional(
    z.looseObject({ ...runSummaryFields(), undeclared: z.int().check(z.minimum(0)) }),
  ),
  healed: z.optional(z.looseObject(runSummaryFields())),
  failure: caughtFailure(),
});

export const input = z.object({
  runId: requiredText(),
  run: z.looseObject({
    heal: z.boolean(),
    selector: z.string(),
    warnings: z.array(z.string()),
    results: clusterRunResults(),
  }),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  workflow: z.literal('drift-check'),
  driftedItems: z.int().check(z.minimum(0)),
  reportLocation: z.string(),
  nextSteps: z.array(z.string()),
});

/** Read by infra, the runner and the README: the Map reports' shared descriptor. */
export const descriptor = clusterRunReportDescriptor;
