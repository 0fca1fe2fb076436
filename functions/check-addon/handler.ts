import * as z from 'zod';
import { describeAddon, describeCluster } from '../aws/eks.ts';
import { defineTask } from '../aws/lambda.ts';
import { POD_IDENTITY_AGENT } from '../core/addon.ts';
import { checkAddon } from './check-addon.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  addonName: z.string().min(1).default(POD_IDENTITY_AGENT),
});

export const handler = defineTask('check-addon', input, (event) =>
  checkAddon(event, {
    region: process.env.AWS_REGION ?? 'unknown',
    describeCluster,
    describeAddon,
  }),
);
