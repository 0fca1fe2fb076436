/** AWS calls: iam:ListOpenIDConnectProviders. */
import * as z from 'zod';
import { defineTask } from '../../aws/lambda.ts';
import { listOidcProviders } from '../../aws/oidc.ts';
import { findOidcProvider } from './find-oidc-provider.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  oidcIssuer: z.string().min(1).nullable(),
});

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  found: z.boolean(),
  providerArn: z.string().nullable(),
  issuer: z.string().nullable(),
});

export const handler = defineTask('find-oidc-provider', { input, output }, (event) =>
  findOidcProvider(event, { listOidcProviders }),
);
