import { describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { checkClusterReadiness } from './check-cluster-readiness.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('check-cluster-readiness', { input, output }, (event) =>
  checkClusterReadiness(event, { describeCluster, describeAddon }),
);
