/** The report-fleet task's contract: the input it accepts and the output it returns (its handler checks both). */

import { RESULT_KINDS } from '../../core/associations/report.ts';
import { clusterRunReportDescriptor } from '../../core/shared-descriptors.ts';
import {
  caughtFailure,
  clusterRunResults,
  reportAdviceFields,
  requiredText,
} from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

const counts = () => z.record(z.enum(RESULT_KINDS), z.int().check(z.minimum(0)));

/** One cluster's outcome as record-cluster-outcome kept it, which the report reads. */
export const outcome = z.looseObject({
  clusterName: requiredText(),
  associations: z.optional(
    z.looseObject({
      counts: counts(),
      reportLocation: z.string(),
      warningCount: z.int().check(z.minimum(0)),
      executionArn: z.string(),
    }),
  ),
  failure: caughtFailure(),
});

export const input = z.object({
  runId: requiredText(),
  run: z.looseObject({
    selected: z.looseObject({
      dryRun: z.boolean(),
      source: z.string(),
      selector: z.string(),
      warnings: z.array(z.string()),
    }),
    results: clusterRunResults(),
  }),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  workflow: z.literal('fleet-associations'),
  clusterCounts: z.object({
    selected: z.int().check(z.minimum(0)),
    succeeded: z.int().check(z.minimum(0)),
    failed: z.int().check(z.minimum(0)),
  }),
  counts: counts(),
  reportLocation: z.string(),
  ...reportAdviceFields(),
});

/** Read by infra, the runner and the README: the Map reports' shared descriptor. */
export const descriptor = clusterRunReportDescriptor;
