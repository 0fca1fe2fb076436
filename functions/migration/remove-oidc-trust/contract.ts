/** The remove-oidc-trust task's contract: the input it accepts and the output it returns (its handler checks both). */

import { batchCountsOutput, migrationBatchInput } from '../../aws/migration-batch.ts';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import type * as z from '../../core/zod.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('roles', 'removed', 'unsuccessful');

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 600,
    worstCase: {
      sequentialCalls: 25,
      throttledCalls: 1,
      waitSeconds: 300,
      why: "50 roles on 5 lanes: 10 per lane, GetRole then UpdateAssumeRolePolicy, plus the plan and outcomes; one throttled. A role an eksctl stack owns goes through its stack: up to 180 s for an operation already under way to settle, then the change set and the update (about 2 minutes for one role). Waits on CloudFormation and EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
    },
  },
  awsCalls: [
    'cloudformation:CreateChangeSet',
    'cloudformation:DeleteChangeSet',
    'cloudformation:DescribeChangeSet',
    'cloudformation:DescribeStacks',
    'cloudformation:ExecuteChangeSet',
    'cloudformation:GetTemplate',
    'cloudformation:ListStackResources',
    'iam:GetRole',
    'iam:UpdateAssumeRolePolicy',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: ['run-documents:read-write', 'edit-migratable-trust', 'edit-trust-through-eksctl-stacks'],
};
