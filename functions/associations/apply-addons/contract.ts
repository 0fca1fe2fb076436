/** The apply-addons task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.looseObject({
  runId: z.string().min(1),
  clusterName: z.string().min(1),
  dryRun: z.boolean(),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({ addonCount: z.number().int(), failed: z.number().int() });

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
