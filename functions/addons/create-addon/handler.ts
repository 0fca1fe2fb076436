import { ResourceInUseException } from '@aws-sdk/client-eks';
import { addonVersions, createAddon, describeAddon, describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { createAddonTask } from './create-addon.ts';

export const handler = defineTask('create-addon', { input, output }, (event) =>
  createAddonTask(event, {
    region: process.env.AWS_REGION ?? 'unknown',
    describeCluster,
    addonVersions,
    createAddon,
    describeAddon,
    isAlreadyExists: (error) => error instanceof ResourceInUseException,
  }),
);
