/** The check-cluster task's contract: the input it accepts and the output it returns (its handler checks both). */
import * as z from 'zod';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';

export const input = z.looseObject({
  clusterName: z.string().min(1),
  region: z.string().min(1),
  operation: z.string().min(1),
  entryCount: z.number().int().min(0).optional(),
  installsAgent: z.boolean().optional(),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  arn: z.string(),
  status: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
  agentInstalled: z.boolean(),
  authenticationMode: z.string(),
  oidcIssuer: z.string().nullable(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** What infra and the local runner read about the task: its timeout, shared role and VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 2,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'DescribeCluster then DescribeAddon; one of them throttled through its retry chain.',
    },
  },
};
