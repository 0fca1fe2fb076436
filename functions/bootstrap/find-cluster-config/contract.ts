/** The find-cluster-config task's contract: the input it accepts and the output it returns (its handler checks both). */

import { clusterFields, requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: requiredText(),
  ...clusterFields(),
  /** The cluster's EKS tags, for fleet configs that select by them. */
  tags: z.record(z.string(), z.string()),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  found: z.boolean(),
  applied: z.nullable(z.object({ bucket: z.string(), key: z.string() })),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 12,
    why: 'S3 listing of clusters/, defaults/ and fleet/ (a few pages), reading their config files at once and storing the one applied; one throttled.',
  },
  awsCalls: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'],
  grants: ['run-documents:write', 'cluster-config-files'],
};
