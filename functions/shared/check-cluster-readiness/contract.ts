/** The check-cluster-readiness task's contract: the input it accepts and the output it returns (its handler checks both). */

import { addonCheckDescriptor } from '../../core/shared-descriptors.ts';
import { clusterFields, requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  ...clusterFields(),
  operation: requiredText(),
  entryCount: z.optional(z.int().check(z.minimum(0))),
  installsAgent: z.optional(z.boolean()),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  arn: z.string(),
  status: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
  agentInstalled: z.boolean(),
  authenticationMode: z.string(),
  oidcIssuer: z.nullable(z.string()),
});

/** Read by infra, the runner and the README: the same as check-addon's. */
export const descriptor = addonCheckDescriptor;
