/** The migrate-addons task's contract: the input it accepts and the output it returns (its handler checks both). */

import { runStepInput } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = runStepInput();

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({ migrated: z.int(), failed: z.int() });

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 600,
  worstCase: {
    sequentialCalls: 40,
    waitSeconds: 305,
    why: "Per add-on that uses IRSA (a handful): DescribeAddon, DescribeAddonConfiguration, GetRole, UpdateAssumeRolePolicy, UpdateAddon, and on request a second GetRole and UpdateAssumeRolePolicy for the OIDC trust; the plan and outcome documents; one throttled; EKS not yet seeing the new trust (the role-visibility retry, about 125 s). Up to 180 s more for an add-on still updating to settle before it is read. Waits on CloudFormation and EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
  },
  awsCalls: [
    'eks:DescribeAddon',
    'eks:DescribePodIdentityAssociation',
    'eks:ListPodIdentityAssociations',
    'eks:UpdateAddon',
    'iam:GetRole',
    'iam:UpdateAssumeRolePolicy',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: [
    'run-documents:read-write',
    'read-associations',
    'edit-migratable-trust',
    'update-addons',
    'pass-migratable-roles-to-pod-identity',
  ],
};
