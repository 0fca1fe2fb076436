/** The remove-irsa-annotations task's contract: the input it accepts and the output it returns (its handler checks both). */

import { batchCountsOutput, migrationBatchInput } from '../../aws/migration-batch.ts';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import type * as z from '../../core/zod.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('serviceAccounts', 'removed', 'unsuccessful');

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 300,
    worstCase: {
      sequentialCalls: 25,
      throttledCalls: 1,
      waitSeconds: 0,
      why: '50 service accounts on 5 lanes: 10 per lane, a read and a patch each, plus the plan and outcomes; one throttled.',
    },
  },
  sharedRole: 'MigrationKubernetes',
  kubernetesApi: true,
  awsCalls: ['eks:DescribeCluster', 's3:GetObject', 's3:PutObject'],
  grants: ['run-documents:read-write', 'describe-clusters'],
};
