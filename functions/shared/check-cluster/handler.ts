import * as z from 'zod';
import { describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { checkCluster } from './check-cluster.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  region: z.string().min(1),
  operation: z.string().min(1),
  entryCount: z.number().int().min(0).optional(),
  installsAgent: z.boolean().optional(),
});

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  arn: z.string(),
  status: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
  agentInstalled: z.boolean(),
  authenticationMode: z.string(),
  oidcIssuer: z.string().nullable(),
});

export const handler = defineTask('check-cluster', { input, output }, (event) =>
  checkCluster(event, { describeCluster, describeAddon }),
);
