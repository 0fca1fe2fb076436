/** The report-migration task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { MIGRATION_STEPS } from '../../core/migration/outcomes.ts';
import { mapBatchOutcomeSchema } from '../../core/run-output.ts';
import { runReportDescriptor } from '../../core/shared-descriptors.ts';
import { migrationRunFields, runSummaryFields } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

const access = z.optional(
  z.looseObject({
    access: z.optional(reportAccessSchema),
    warning: z.optional(z.string()),
  }),
);

const batchResult = z.intersection(
  mapBatchOutcomeSchema,
  z.looseObject({ step: z.optional(z.enum(MIGRATION_STEPS)) }),
);

export const input = z.looseObject({
  ...migrationRunFields(),
  oidc: z.looseObject({ found: z.boolean() }),
  readAccess: access,
  writeAccess: access,
  plan: z.optional(z.looseObject({ planDocument: z.string() })),
  batchResults: z.optional(z.array(batchResult)),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  ...runSummaryFields('migrate-to-pod-identity'),
  reportLocation: z.string(),
});

/** Read by infra, the runner and the README: a run report's, with its own worst case. */
export const descriptor = /* @__PURE__ */ runReportDescriptor({
  sequentialCalls: 110,
  why: 'Reads the plan and the outcomes of every batch of each stage, writes the report and puts the event; one throttled.',
});
