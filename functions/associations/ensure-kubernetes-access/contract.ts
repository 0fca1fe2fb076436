/** The ensure-kubernetes-access task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { ownAccessEntryDescriptor } from '../../core/shared-descriptors.ts';
import { kubernetesNeeds, requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: requiredText(),
  plan: z.looseObject({ kubernetes: kubernetesNeeds() }),
});

/** What the task returns, checked before the workflow gets it. */
export const output = reportAccessSchema;

/** Read by infra, the runner and the README: the same as the other ensure-*-access task's but for its role and access. */
export const descriptor = /* @__PURE__ */ ownAccessEntryDescriptor(
  'AssociationsKubernetes',
  'own-access-entry:edit-or-cluster-admin',
);
