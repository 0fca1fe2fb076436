/** The load-association-request task's contract: the input it accepts and the output it returns (its handler checks both). */

import { runRequestInput } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = runRequestInput();

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.discriminatedUnion('ignored', [
  z.object({ runId: z.string(), ignored: z.literal(true), reason: z.string() }),
  z.object({
    runId: z.string(),
    ignored: z.literal(false),
    operation: z.string(),
    clusterName: z.string(),
    region: z.string(),
    dryRun: z.boolean(),
    entryCount: z.int(),
    addonCount: z.int(),
  }),
]);

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 4,
    why: 'S3 GetObject of the config, the guardrails’ iam:GetRole of named roles and GetPolicy then GetPolicyVersion of attached customer policies (each in parallel), S3 PutObject of the request; one throttled.',
  },
  awsCalls: [
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:GetRole',
    's3:GetObject',
    's3:GetObjectVersion',
    's3:PutObject',
  ],
  grants: [
    'config-objects',
    'bootstrap-config-documents',
    'list-config-bucket',
    'run-documents:write',
    'read-role-tags',
    'read-customer-policies',
    'guardrail-settings',
  ],
};
