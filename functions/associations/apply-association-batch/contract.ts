/** The apply-association-batch task's contract: the input it accepts and the output it returns (its handler checks both). */

import { managedRoleCalls } from '../../core/shared-descriptors.ts';
import { associationBatchFields } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';
import { output as prepared } from '../prepare-association-batch/contract.ts';

export const input = z.looseObject({
  ...associationBatchFields(),
  /** prepare-association-batch's output, which the workflow's state carries here. */
  prepared,
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  batch: z.int(),
  itemCount: z.int(),
  counts: z.record(z.string(), z.int()),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 600,
  worstCase: {
    sequentialCalls: 80,
    waitSeconds: 125,
    why: "50 items on 5 lanes: 10 items per lane, each about 7 requests (CreateRole, PutRolePolicy, AttachRolePolicy, TagRole, the association, the service account; GetRole and the policy listings of a role it adopts or reconciles), plus the plan and results; one throttled; the role-visibility retry of a new role (16 attempts, about 125 s). Waits on EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
  },
  sharedRole: 'AssociationsKubernetes',
  kubernetesApi: true,
  awsCalls: [
    'eks:CreatePodIdentityAssociation',
    'eks:DeletePodIdentityAssociation',
    'eks:DescribeCluster',
    'eks:DescribePodIdentityAssociation',
    'eks:ListPodIdentityAssociations',
    'eks:UpdatePodIdentityAssociation',
    managedRoleCalls,
    's3:GetObject',
    's3:PutObject',
  ],
  grants: [
    'run-documents:read-write',
    'read-associations',
    'create-associations',
    'change-associations',
    'read-roles',
    'write-managed-roles',
    'pass-roles-to-pod-identity',
  ],
};
