/** The load-request task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.object({ runId: z.string().min(1), input: z.unknown() });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.discriminatedUnion('ignored', [
  z.object({ runId: z.string(), ignored: z.literal(true), reason: z.string() }),
  z.object({
    runId: z.string(),
    ignored: z.literal(false),
    operation: z.string(),
    clusterName: z.string(),
    region: z.string(),
    dryRun: z.boolean(),
    entryCount: z.number().int(),
    addonCount: z.number().int(),
  }),
]);

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
