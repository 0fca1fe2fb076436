import { defineTask } from '../../aws/lambda.ts';
import { parseBootstrapInput } from '../../core/bootstrap/event.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('read-cluster-event', { input, output }, async (event) =>
  parseBootstrapInput(event.input, process.env.AWS_REGION ?? ''),
);
