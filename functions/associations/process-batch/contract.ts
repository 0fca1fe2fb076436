/** The process-batch task's contract: the input it accepts and the output it returns (its handler checks both). */

import { OPERATIONS } from '../../core/config/index.ts';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: z.string().check(z.minLength(1)),
  batch: z.int().check(z.minimum(0)),
  dryRun: z.boolean(),
  clusterName: z.string().check(z.minLength(1)),
  operation: z.enum(OPERATIONS),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  batch: z.int(),
  itemCount: z.int(),
  counts: z.record(z.string(), z.int()),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** What infra and the local runner read about the task: its timeout, shared role and VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 600,
    worstCase: {
      sequentialCalls: 80,
      throttledCalls: 1,
      waitSeconds: 125,
      why: "50 items on 5 lanes: 10 items per lane, each about 7 requests (GetRole, CreateRole, PutRolePolicy, AttachRolePolicy, TagRole, the association, the service account), plus the plan and results; one throttled; the role-visibility retry of a new role (16 attempts, about 125 s). Deleting an eksctl role stack waits for DELETE_COMPLETE. Waits on CloudFormation and EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
    },
  },
  sharedRole: 'AssociationsKubernetes',
  kubernetesApi: true,
};
