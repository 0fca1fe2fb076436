/** The get-associations task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.looseObject({ runId: z.string().min(1) });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  workflow: z.literal('associations'),
  operation: z.literal('get'),
  clusterName: z.string(),
  region: z.string(),
  count: z.number().int(),
  associations: z.array(
    z.object({ AssociationARN: z.string(), Namespace: z.string(), ServiceAccountName: z.string() }),
  ),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
