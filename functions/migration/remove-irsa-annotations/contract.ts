/** The remove-irsa-annotations task's contract: the input it accepts and the output it returns (its handler checks both). */

import { batchCountsOutput, migrationBatchInput } from '../../aws/migration-batch.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('serviceAccounts', 'removed', 'unsuccessful');

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 300,
  worstCase: {
    sequentialCalls: 25,
    why: '50 service accounts on 5 lanes: 10 per lane, a read and a patch each, plus the plan and outcomes; one throttled.',
  },
  sharedRole: 'MigrationKubernetes',
  kubernetesApi: true,
  awsCalls: ['eks:DescribeCluster', 's3:GetObject', 's3:PutObject'],
  grants: ['run-documents:read-write', 'describe-clusters'],
};
