/** The create-migration-associations task's contract: the input it accepts and the output it returns (its handler checks both). */

import { batchCountsOutput, migrationBatchInput } from '../../aws/migration-batch.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('serviceAccounts', 'created', 'unsuccessful');

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 600,
  worstCase: {
    sequentialCalls: 36,
    waitSeconds: 125,
    why: '50 service accounts on 5 lanes: 10 per lane, each one association and at most one GetRole of its role, plus DescribeCluster, the plan and outcomes; one throttled; the role/trust visibility retry (16 attempts, about 125 s).',
  },
  awsCalls: [
    'eks:CreatePodIdentityAssociation',
    'eks:DescribeCluster',
    'eks:DescribePodIdentityAssociation',
    'eks:ListPodIdentityAssociations',
    'iam:GetRole',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: [
    'run-documents:read-write',
    'read-associations',
    'read-trust-of-any-role',
    'create-associations',
    'tag-new-associations',
    'pass-migratable-roles-to-pod-identity',
  ],
};
