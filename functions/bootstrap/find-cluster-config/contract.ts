/** The find-cluster-config task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.looseObject({
  runId: z.string().min(1),
  clusterName: z.string().min(1),
  region: z.string().min(1),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  found: z.boolean(),
  applied: z.object({ bucket: z.string(), key: z.string() }).nullable(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
