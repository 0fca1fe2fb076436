import { ensureAccessEntry, KubernetesAccessNotPossibleError } from '../../aws/access-entries.ts';
import { callerIdentity } from '../../aws/identity.ts';
import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { ensureMigrationAccess } from './ensure-migration-access.ts';

export const handler = defineTask('ensure-migration-access', { input, output }, (event) =>
  ensureMigrationAccess(event, {
    principalArn: async () => (await callerIdentity()).principalArn,
    ensureAccessEntry,
    isAccessNotPossible: (error) => error instanceof KubernetesAccessNotPossibleError,
  }),
);
