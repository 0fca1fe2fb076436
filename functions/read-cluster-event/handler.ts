import * as z from 'zod';
import { defineTask } from '../aws/lambda.ts';
import { parseBootstrapInput } from '../core/bootstrap/event.ts';

const input = z.object({ input: z.unknown() });

export const handler = defineTask('read-cluster-event', input, async (event) =>
  parseBootstrapInput(event.input, process.env.AWS_REGION ?? ''),
);
