/** AWS calls: none (the input is validated only). */
import * as z from 'zod';
import { defineTask } from '../../aws/lambda.ts';
import { loadMigrationRequest } from './load-migration-request.ts';

const input = z.object({ runId: z.string().min(1), input: z.unknown() });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
const output = z.object({
  runId: z.string(),
  operation: z.string(),
  clusterName: z.string(),
  region: z.string(),
  approve: z.boolean(),
  removeOidcProviderTrustRelationship: z.boolean(),
});

export const handler = defineTask('load-migration-request', { input, output }, async (event) =>
  loadMigrationRequest(event.runId, event.input, {
    deploymentRegion: process.env.AWS_REGION ?? '',
  }),
);
