/** The prepare-fleet-configs task's contract: the input it accepts and the output it returns (its handler checks both). */

import { requiredText, sealedDocument } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: requiredText(),
  config: sealedDocument(),
  clusterNames: z.array(requiredText()),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  clusters: z.array(
    z.object({
      clusterName: requiredText(),
      config: z.object({ bucket: requiredText(), key: requiredText() }),
    }),
  ),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 300,
  worstCase: {
    sequentialCalls: 64,
    why: 'S3 GetObject of the checked fleet config, then one PutObject per selected cluster eight at a time (500 at most: 63 rounds); one throttled.',
  },
  awsCalls: ['s3:GetObject', 's3:PutObject'],
  grants: ['run-documents:read', 'run-documents:write'],
};
