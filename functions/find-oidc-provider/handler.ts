/** AWS calls: iam:ListOpenIDConnectProviders. */
import * as z from 'zod';
import { defineTask } from '../aws/lambda.ts';
import { listOidcProviders } from '../aws/oidc.ts';
import { findOidcProvider } from './find-oidc-provider.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  oidcIssuer: z.string().min(1).nullable(),
});

export const handler = defineTask('find-oidc-provider', input, (event) =>
  findOidcProvider(event, { listOidcProviders }),
);
