/** The apply-addons task's contract: the input it accepts and the output it returns (its handler checks both). */

import { managedRoleCalls } from '../../core/shared-descriptors.ts';
import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: requiredText(),
  clusterName: requiredText(),
  dryRun: z.boolean(),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({ addonCount: z.int(), failed: z.int() });

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 600,
  worstCase: {
    sequentialCalls: 60,
    waitSeconds: 305,
    why: "Per add-on of the config (a handful): DescribeAddon, DescribeAddonVersions, DescribeAddonConfiguration, GetRole and, for each role it creates, CreateRole, AttachRolePolicy, PutRolePolicy, TagRole; then CreateAddon or UpdateAddon; the request document; one throttled; the role-visibility retry of a new role (16 attempts, about 125 s). Up to 180 s more for an add-on still creating or updating to settle before it is updated. Waits on CloudFormation and EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
  },
  awsCalls: [
    'eks:CreateAddon',
    'eks:DescribeAddon',
    'eks:DescribeAddonConfiguration',
    'eks:DescribeAddonVersions',
    'eks:DescribeCluster',
    'eks:DescribePodIdentityAssociation',
    'eks:ListPodIdentityAssociations',
    'eks:UpdateAddon',
    managedRoleCalls,
    's3:GetObject',
    's3:PutObject',
  ],
  grants: [
    'run-documents:read-write',
    'read-associations',
    'write-addons',
    'read-roles',
    'write-managed-roles',
    'pass-roles-to-pod-identity',
    'guardrail-settings',
  ],
};
