import * as z from 'zod';
import { describeCluster } from '../aws/eks.ts';
import { defineTask } from '../aws/lambda.ts';
import { checkClusterStatus } from './check-cluster-status.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  region: z.string().min(1),
});

export const handler = defineTask('check-cluster-status', input, (event) =>
  checkClusterStatus(event, { describeCluster }),
);
