/** The discover-irsa task's contract: the input it accepts and the output it returns (its handler checks both). */

import { migrationRunFields, requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  ...migrationRunFields(),
  namespaces: z.array(requiredText()),
  allowStackDrift: z.boolean(),
  providerArn: requiredText(),
  agentInstalled: z.boolean(),
  readAccess: z.looseObject({
    granted: z.boolean(),
    changed: z.boolean(),
    warning: z.optional(z.string()),
  }),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  planDocument: z.string(),
  discovery: z.enum(['kubernetes', 'iam']),
  serviceAccounts: z.int(),
  roles: z.int(),
  hasWork: z.boolean(),
  createsAssociations: z.boolean(),
  migratesAddons: z.boolean(),
  batches: z.array(z.int()),
  removesAnnotations: z.boolean(),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 900,
  worstCase: {
    sequentialCalls: 600,
    throttledCalls: 2,
    waitSeconds: 25,
    why: 'Kubernetes service-account lists in every namespace (pages of 500), IAM ListRoles and GetRole per role, CloudFormation stacks, associations listed and described; waits up to 5 x 5 s for a new access entry to be honoured; two throttled.',
  },
  sharedRole: 'MigrationKubernetes',
  kubernetesApi: true,
  awsCalls: [
    'cloudformation:DescribeStacks',
    'cloudformation:ListStackResources',
    'eks:DescribeAddon',
    'eks:DescribeAddonConfiguration',
    'eks:DescribeCluster',
    'eks:DescribePodIdentityAssociation',
    'eks:ListAddons',
    'eks:ListPodIdentityAssociations',
    'iam:GetAccountSummary',
    'iam:GetRole',
    'iam:ListRoles',
    's3:PutObject',
  ],
  grants: [
    'run-documents:write',
    'read-associations',
    'discover-irsa-roles',
    'migratable-role-patterns',
  ],
};
