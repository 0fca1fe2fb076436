/** The find-oidc-provider task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';

export const input = z.looseObject({
  clusterName: z.string().min(1),
  oidcIssuer: z.string().min(1).nullable(),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  found: z.boolean(),
  providerArn: z.string().nullable(),
  issuer: z.string().nullable(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
