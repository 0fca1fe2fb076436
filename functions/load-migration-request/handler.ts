/** AWS calls: none (the input is validated only). */
import * as z from 'zod';
import { defineTask } from '../aws/lambda.ts';
import { loadMigrationRequest } from './load-migration-request.ts';

const input = z.object({ runId: z.string().min(1), input: z.unknown() });

export const handler = defineTask('load-migration-request', input, async (event) =>
  loadMigrationRequest(event.runId, event.input, {
    deploymentRegion: process.env.AWS_REGION ?? '',
  }),
);
