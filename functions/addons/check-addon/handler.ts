import * as z from 'zod';
import { describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import { checkAddon } from './check-addon.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  addonName: z.string().min(1).default(POD_IDENTITY_AGENT),
});

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  clusterName: z.string(),
  addonName: z.string(),
  state: z.string(),
  reason: z.string(),
  status: z.string().nullable(),
  version: z.string().nullable(),
  autoMode: z.boolean(),
});

export const handler = defineTask('check-addon', { input, output }, (event) =>
  checkAddon(event, {
    region: process.env.AWS_REGION ?? 'unknown',
    describeCluster,
    describeAddon,
  }),
);
