/** The find-oidc-provider task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';

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

/** What infra and the local runner read about the task: its timeout, shared role and VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 3,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'ListOpenIDConnectProviders (and the provider it matches); one throttled.',
    },
  },
};
