/** The check-cluster-status task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.looseObject({
  clusterName: z.string().min(1),
  region: z.string().min(1),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  progress: z.string(),
  status: z.string(),
  arn: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
