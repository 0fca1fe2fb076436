import * as z from 'zod';
import { ensureAccessEntry } from '../../aws/access-entries.ts';
import { callerIdentity } from '../../aws/identity.ts';
import { defineTask } from '../../aws/lambda.ts';
import { reportAccessSchema } from '../../core/associations/report.ts';
import { ensureKubernetesAccess } from './ensure-kubernetes-access.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  plan: z.looseObject({
    kubernetes: z.object({ namespaces: z.array(z.string()), createsServiceAccounts: z.boolean() }),
  }),
});

/** What the task returns, checked before the workflow gets it. */
const output = reportAccessSchema;

export const handler = defineTask('ensure-kubernetes-access', { input, output }, (event) =>
  ensureKubernetesAccess(
    { clusterName: event.clusterName, ...event.plan.kubernetes },
    {
      principalArn: async () => (await callerIdentity()).principalArn,
      ensureAccessEntry,
    },
  ),
);
