import * as z from 'zod';
import { describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { checkClusterStatus } from './check-cluster-status.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  region: z.string().min(1),
});

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  progress: z.string(),
  status: z.string(),
  arn: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
});

export const handler = defineTask('check-cluster-status', { input, output }, (event) =>
  checkClusterStatus(event, { describeCluster }),
);
