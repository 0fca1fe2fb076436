import { describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { checkAddon } from './check-addon.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('check-addon', { input, output }, (event) =>
  checkAddon(event, {
    region: process.env.AWS_REGION ?? 'unknown',
    describeCluster,
    describeAddon,
  }),
);
