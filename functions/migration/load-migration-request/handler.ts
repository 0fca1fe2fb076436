import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { loadMigrationRequest } from './load-migration-request.ts';

export const handler = defineTask('load-migration-request', { input, output }, async (event) =>
  loadMigrationRequest(event.runId, event.input, {
    deploymentRegion: process.env.AWS_REGION ?? '',
  }),
);
