import * as z from 'zod';
import { describeAddon, describeCluster } from '../aws/eks.ts';
import { defineTask } from '../aws/lambda.ts';
import { checkCluster } from './check-cluster.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  region: z.string().min(1),
  operation: z.string().min(1),
  entryCount: z.number().int().min(0).optional(),
  installsAgent: z.boolean().optional(),
});

export const handler = defineTask('check-cluster', input, (event) =>
  checkCluster(event, { describeCluster, describeAddon }),
);
