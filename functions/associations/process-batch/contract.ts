/** The process-batch task's contract: the input it accepts and the output it returns (its handler checks both). */

import * as z from 'zod';
import { OPERATIONS } from '../../core/config/index.ts';

export const input = z.looseObject({
  runId: z.string().min(1),
  batch: z.number().int().min(0),
  dryRun: z.boolean(),
  clusterName: z.string().min(1),
  operation: z.enum(OPERATIONS),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  batch: z.number().int(),
  itemCount: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
