/** The find-oidc-provider task's contract: the input it accepts and the output it returns (its handler checks both). */

import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: requiredText(),
  oidcIssuer: z.nullable(requiredText()),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  found: z.boolean(),
  providerArn: z.nullable(z.string()),
  issuer: z.nullable(z.string()),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 3,
    why: 'ListOpenIDConnectProviders (and the provider it matches); one throttled.',
  },
  awsCalls: ['iam:ListOpenIDConnectProviders'],
  grants: ['list-oidc-providers'],
};
