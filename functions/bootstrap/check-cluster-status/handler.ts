import { describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { checkClusterStatus } from './check-cluster-status.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('check-cluster-status', { input, output }, (event) =>
  checkClusterStatus(event, { describeCluster }),
);
