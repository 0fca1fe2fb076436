/** The load-migration-request task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.object({ runId: z.string().min(1), input: z.unknown() });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  runId: z.string(),
  operation: z.string(),
  clusterName: z.string(),
  region: z.string(),
  approve: z.boolean(),
  removeOidcProviderTrustRelationship: z.boolean(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
