import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { reportBootstrap } from './report-bootstrap.ts';

export const handler = defineTask('report-bootstrap', { input, output }, (event) =>
  reportBootstrap(event, { publish: publishRunCompleted }),
);
