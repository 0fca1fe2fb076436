/** The read-cluster-event task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.object({ input: z.unknown() });

/** What the task returns, checked before the workflow gets it. */
export const output = z.discriminatedUnion('ignored', [
  z.object({
    ignored: z.literal(false),
    clusterName: z.string(),
    region: z.string(),
    trigger: z.looseObject({}),
  }),
  z.object({
    ignored: z.literal(true),
    reason: z.string(),
    clusterName: z.string().nullable(),
    region: z.string().nullable(),
  }),
]);

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
