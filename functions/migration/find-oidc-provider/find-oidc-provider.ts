import { providerForIssuer } from '../../core/migration/provider.ts';

export interface FindOidcProviderInput {
  clusterName: string;
  /** DescribeCluster's `identity.oidc.issuer`; null when the cluster reports none. */
  oidcIssuer: string | null;
}

export interface FoundOidcProvider {
  found: boolean;
  providerArn: string | null;
  issuer: string | null;
}

export interface FindOidcProviderDeps {
  listOidcProviders(): Promise<string[]>;
}

/**
 * The IAM OIDC provider of the cluster's issuer. Without one no IRSA role can work, so the
 * workflow ends successfully with nothing to do, as eksctl does.
 */
export async function findOidcProvider(
  input: FindOidcProviderInput,
  deps: FindOidcProviderDeps,
): Promise<FoundOidcProvider> {
  if (input.oidcIssuer === null) return { found: false, providerArn: null, issuer: null };
  const providerArn = providerForIssuer(input.oidcIssuer, await deps.listOidcProviders()) ?? null;
  return { found: providerArn !== null, providerArn, issuer: input.oidcIssuer };
}
