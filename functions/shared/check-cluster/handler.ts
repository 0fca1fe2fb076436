import { describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { checkCluster } from './check-cluster.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('check-cluster', { input, output }, (event) =>
  checkCluster(event, { describeCluster, describeAddon }),
);
