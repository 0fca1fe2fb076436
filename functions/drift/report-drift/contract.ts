/** The report-drift task's contract: the input it accepts and the output it returns (its handler checks both). */

import { RESULT_KINDS } from '../../core/associations/report.ts';
import { mapReportDescriptor } from '../../core/shared-descriptors.ts';
import { requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

const runSummaryFields = () => ({
  counts: z.record(z.enum(RESULT_KINDS), z.int().check(z.minimum(0))),
  reportLocation: z.string(),
});

export const input = z.object({
  runId: requiredText(),
  run: z.looseObject({
    heal: z.boolean(),
    selector: z.string(),
    results: z.array(
      z.looseObject({
        clusterName: requiredText(),
        prune: z.optional(z.boolean()),
        check: z.optional(
          z.looseObject({ ...runSummaryFields(), undeclared: z.int().check(z.minimum(0)) }),
        ),
        healed: z.optional(z.looseObject(runSummaryFields())),
        failure: z.optional(
          z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
        ),
      }),
    ),
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
export const descriptor = mapReportDescriptor;
