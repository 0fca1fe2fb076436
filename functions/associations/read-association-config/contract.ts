/** The read-association-config task's contract: the input it accepts and the output it returns (its handler checks both). */

import { ignoredRun, runRequestInput, sealedDocument } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = runRequestInput();

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.discriminatedUnion('ignored', [
  ignoredRun(),
  z.object({
    runId: z.string(),
    ignored: z.literal(false),
    config: z.nullable(sealedDocument()),
  }),
]);

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 120,
  worstCase: {
    sequentialCalls: 2,
    why: 'S3 GetObject of the config (up to 1 MiB, parsed and validated in memory), S3 PutObject of the validated config; one throttled.',
  },
  awsCalls: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
  grants: [
    'config-objects',
    'bootstrap-config-documents',
    'list-config-bucket',
    'run-documents:write',
  ],
};
