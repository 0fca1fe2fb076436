/**
 * The account's IAM OIDC providers. IRSA needs the cluster's issuer registered as one; a
 * cluster without it has no working IRSA role and nothing to migrate.
 */
import { ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { iamClient } from './clients.ts';

/** ARNs of every OIDC provider of the account (IAM returns them all in one answer). */
export async function listOidcProviders(): Promise<string[]> {
  const { OpenIDConnectProviderList: providers } = await iamClient().send(
    new ListOpenIDConnectProvidersCommand({}),
  );
  return (providers ?? []).flatMap((provider) => (provider.Arn ? [provider.Arn] : []));
}
