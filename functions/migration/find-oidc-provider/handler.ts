import { defineTask } from '../../aws/lambda.ts';
import { listOidcProviders } from '../../aws/oidc.ts';
import { input, output } from './contract.ts';
import { findOidcProvider } from './find-oidc-provider.ts';

export const handler = defineTask('find-oidc-provider', { input, output }, (event) =>
  findOidcProvider(event, { listOidcProviders }),
);
