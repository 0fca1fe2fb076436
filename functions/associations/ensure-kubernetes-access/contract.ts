/** The ensure-kubernetes-access task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { ownAccessEntryCalls, ownAccessEntryWorstCase } from '../../core/shared-descriptors.ts';
import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: requiredText(),
  plan: z.looseObject({
    kubernetes: z.object({ namespaces: z.array(z.string()), createsServiceAccounts: z.boolean() }),
  }),
});

/** What the task returns, checked before the workflow gets it. */
export const output = reportAccessSchema;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: ownAccessEntryWorstCase,
  sharedRole: 'AssociationsKubernetes',
  awsCalls: ownAccessEntryCalls,
  grants: ['own-access-entry:edit-or-cluster-admin', 'own-identity'],
};
