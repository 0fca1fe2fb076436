import { ResourceInUseException } from '@aws-sdk/client-eks';
import * as z from 'zod';
import { addonVersions, createAddon, describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import { createAddonTask } from './create-addon.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  addonName: z.string().min(1).default(POD_IDENTITY_AGENT),
  addonVersion: z.string().min(1).optional(),
});

/** What the task returns, checked before the workflow gets it. */
const output = z.object({ created: z.boolean(), version: z.string(), status: z.string() });

export const handler = defineTask('create-addon', { input, output }, (event) =>
  createAddonTask(event, {
    describeCluster,
    addonVersions,
    createAddon,
    describeAddon,
    isAlreadyExists: (error) => error instanceof ResourceInUseException,
  }),
);
