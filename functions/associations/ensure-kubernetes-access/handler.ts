import { ensureAccessEntry } from '../../aws/access-entries.ts';
import { callerIdentity } from '../../aws/identity.ts';
import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { ensureKubernetesAccess } from './ensure-kubernetes-access.ts';

export const handler = defineTask('ensure-kubernetes-access', { input, output }, (event) =>
  ensureKubernetesAccess(
    { clusterName: event.clusterName, ...event.plan.kubernetes },
    {
      principalArn: async () => (await callerIdentity()).principalArn,
      ensureAccessEntry,
    },
  ),
);
