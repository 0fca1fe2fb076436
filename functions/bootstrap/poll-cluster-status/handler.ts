import { describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { pollClusterStatus } from './poll-cluster-status.ts';

export const handler = defineTask('poll-cluster-status', { input, output }, (event) =>
  pollClusterStatus(event, { describeCluster }),
);
