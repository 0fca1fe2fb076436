/** The plan-associations task's contract: the input it accepts and the output it returns (its handler checks both). */

import { kubernetesNeeds, runStepInput } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = runStepInput();

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  itemCount: z.int(),
  batches: z.array(z.int()),
  needsKubernetes: z.boolean(),
  kubernetes: kubernetesNeeds(),
  undeclared: z.optional(z.int()),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 900,
  worstCase: {
    sequentialCalls: 696,
    why: 'As get-associations (50 list pages and 625 describes on the longest lane at 5,000 associations), plus reading the request and writing the plan and the role usage; a dry run that creates roles lists the account’s roles (at most 5 pages of 1,000); one throttled.',
  },
  awsCalls: [
    'cloudformation:DescribeStacks',
    'eks:DescribePodIdentityAssociation',
    'eks:ListPodIdentityAssociations',
    'iam:GetRole',
    'iam:GetRolePolicy',
    'iam:ListAttachedRolePolicies',
    'iam:ListRolePolicies',
    'iam:ListRoles',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: [
    'run-documents:read-write',
    'read-associations',
    'read-roles',
    'list-role-names',
    'describe-eksctl-role-stacks',
  ],
};
