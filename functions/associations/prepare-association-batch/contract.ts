/** The prepare-association-batch task's contract: the input it accepts and the output it returns (its handler checks both). */

import { associationBatchFields, requiredText, sealedDocument } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  ...associationBatchFields(),
});

/**
 * What the check hands apply-association-batch through the workflow's state: the run store's seal
 * of the document it checked, eksctl's role stacks of the batch's associations (`failure`: the
 * stack could not be looked up, or, when `stackName` is set, not deleted; for a delete, what
 * decided whether the stack is deleted: `notOwned`, `roleArn`, `roleInUseElsewhere`), and the
 * roles the entries name by roleARN as the guardrail check read them (PreparedRole in
 * functions/core/associations/batch-check.ts), and the associations it described.
 */
export const output = z.object({
  document: sealedDocument(),
  eksctlStacks: z.array(
    z.object({
      namespace: requiredText(),
      serviceAccount: requiredText(),
      stackName: z.optional(requiredText()),
      notOwned: z.optional(requiredText()),
      roleArn: z.optional(requiredText()),
      roleInUseElsewhere: z.optional(z.boolean()),
      deleted: z.optional(z.literal(true)),
      failure: z.optional(requiredText()),
    }),
  ),
  roles: z.array(
    z.object({
      name: requiredText(),
      exists: z.boolean(),
      missingTrustActions: z.array(requiredText()),
    }),
  ),
  associations: z.array(
    z.object({
      associationId: requiredText(),
      associationArn: requiredText(),
      namespace: requiredText(),
      serviceAccount: requiredText(),
      roleArn: requiredText(),
      targetRoleArn: z.optional(z.string()),
      disableSessionTags: z.optional(z.boolean()),
      policy: z.optional(z.string()),
      tags: z.record(z.string(), z.string()),
      ownerArn: z.optional(z.string()),
    }),
  ),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 600,
  worstCase: {
    sequentialCalls: 85,
    why: "A delete batch is the longest: the batch document (and the run's role usage document), then 50 items on 5 lanes, each of a lane's 10 items up to two DescribeStacks, DescribePodIdentityAssociation, GetRole and the stack's deletion (DescribeStacks, UpdateTerminationProtection, DeleteStack, a DescribeStacks poll); one throttled. A create, update or apply batch reads less: the guardrails' GetRole, GetPolicy and GetPolicyVersion on 5 lanes, and, for an update or apply of an association that exists, its DescribePodIdentityAssociation and its role's GetRole, then the two DescribeStacks only when the entry would give the association another role or names none. The wait for DELETE_COMPLETE (functions/aws/polling.ts) ends 30 s before this timeout, so a slower deletion fails its item with 'run again' instead of killing the invocation.",
  },
  awsCalls: [
    'cloudformation:DeleteStack',
    'cloudformation:DescribeStacks',
    'cloudformation:UpdateTerminationProtection',
    'eks:DescribePodIdentityAssociation',
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:GetRole',
    's3:GetObject',
  ],
  grants: [
    'run-documents:read',
    'describe-associations',
    'read-role-tags',
    'read-customer-policies',
    'delete-eksctl-role-stacks',
    'guardrail-settings',
  ],
};
