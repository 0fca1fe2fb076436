/** The find-cluster-config task's contract: the input it accepts and the output it returns (its handler checks both). */

import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: z.string().check(z.minLength(1)),
  clusterName: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  found: z.boolean(),
  applied: z.nullable(z.object({ bucket: z.string(), key: z.string() })),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 12,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'S3 listing of clusters/ and defaults/ (a few pages), reading up to a few config files and storing the one applied; one throttled.',
    },
  },
  awsCalls: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'],
  grants: ['run-documents:write', 'cluster-config-files'],
};
