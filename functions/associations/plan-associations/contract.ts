/** The plan-associations task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.looseObject({ runId: z.string().min(1) });

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  itemCount: z.number().int(),
  batches: z.array(z.number().int()),
  needsKubernetes: z.boolean(),
  kubernetes: z.object({ namespaces: z.array(z.string()), createsServiceAccounts: z.boolean() }),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
