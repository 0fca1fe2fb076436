import * as z from 'zod';
import { defineTask } from '../../aws/lambda.ts';
import { parseBootstrapInput } from '../../core/bootstrap/event.ts';

const input = z.object({ input: z.unknown() });

/** What the task returns, checked before the workflow gets it. */
const output = z.discriminatedUnion('ignored', [
  z.object({
    ignored: z.literal(false),
    clusterName: z.string(),
    region: z.string(),
    trigger: z.looseObject({}),
  }),
  z.object({
    ignored: z.literal(true),
    reason: z.string(),
    clusterName: z.string().nullable(),
    region: z.string().nullable(),
  }),
]);

export const handler = defineTask('read-cluster-event', { input, output }, async (event) =>
  parseBootstrapInput(event.input, process.env.AWS_REGION ?? ''),
);
