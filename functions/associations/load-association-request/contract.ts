/** The load-association-request task's contract: the input it accepts and the output it returns (its handler checks both). */

import { requiredText, sealedDocument } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

/** The execution's input, and what read-association-config handed on for a run it did not end. */
export const input = z.object({
  runId: requiredText(),
  input: z.unknown(),
  config: z.nullable(sealedDocument()),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  runId: z.string(),
  operation: z.string(),
  clusterName: z.string(),
  region: z.string(),
  dryRun: z.boolean(),
  entryCount: z.int(),
  addonCount: z.int(),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 11,
    why: 'S3 GetObject of the validated config, the guardrails’ iam:GetRole of named roles and GetPolicy then GetPolicyVersion of attached customer policies (each in parallel), iam:GetAccountSummary and, near the roles quota, ListRoles of the created roles (at most 5 pages of 1,000), S3 PutObject of the request; one throttled.',
  },
  awsCalls: [
    'iam:GetAccountSummary',
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:GetRole',
    'iam:ListRoles',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: [
    'run-documents:read-write',
    'read-role-tags',
    'read-customer-policies',
    'count-account-roles',
    'guardrail-settings',
  ],
};
