/** The report-associations task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { OPERATIONS } from '../../core/config/operations.ts';
import { mapBatchOutcomeSchema } from '../../core/run-output.ts';
import { runReportDescriptor } from '../../core/shared-descriptors.ts';
import {
  clusterFields,
  reportAdviceFields,
  requiredText,
  runSummaryFields,
} from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: requiredText(),
  ...clusterFields(),
  operation: z.enum(OPERATIONS),
  dryRun: z.boolean(),
  prune: z._default(z.boolean(), false),
  source: z.string(),
  warnings: z._default(z.array(z.string()), []),
  access: z.optional(reportAccessSchema),
  plan: z.optional(z.looseObject({ undeclared: z.optional(z.int()) })),
  batchResults: z.array(mapBatchOutcomeSchema),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  ...runSummaryFields('associations'),
  counts: z.record(z.string(), z.int()),
  reportLocation: z.string(),
  ...reportAdviceFields(),
});

/** Read by infra, the runner and the README: a run report's, with its own worst case. */
export const descriptor = /* @__PURE__ */ runReportDescriptor({
  sequentialCalls: 110,
  why: 'Reads the plan, the request and one results object per batch (100 batches at 5,000 associations), writes the report and puts the event; one throttled.',
});
