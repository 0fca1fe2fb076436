/**
 * The cluster's IAM OIDC provider, which IRSA trust statements name. IAM reports providers by
 * ARN (`arn:<partition>:iam::<account>:oidc-provider/<issuer host and path>`), so the provider of
 * a cluster is the one whose ARN ends with its issuer without `https://`.
 */
import { OidcProviderError } from '../trust-policy.ts';

export interface OidcProviderFact {
  arn: string;
  partition: string;
  /** The account of the provider, which is the account of the cluster's IRSA roles. */
  account: string;
  /** The issuer without `https://`: trust conditions use `<prefix>:sub` and `<prefix>:aud`. */
  conditionKeyPrefix: string;
}

const PROVIDER_ARN = /^arn:([a-z-]+):iam::(\d{12}):oidc-provider\/(.+)$/;

export function providerFromArn(arn: string): OidcProviderFact {
  const match = PROVIDER_ARN.exec(arn);
  const [, partition, account, conditionKeyPrefix] = match ?? [];
  if (partition === undefined || account === undefined || conditionKeyPrefix === undefined) {
    throw new OidcProviderError(
      `"${arn}" is not an OIDC provider ARN (arn:<partition>:iam::<account>:oidc-provider/<issuer>)`,
    );
  }
  return { arn, partition, account, conditionKeyPrefix };
}

/**
 * The provider, among `providerArns`, registered for the issuer DescribeCluster reports
 * (`https://oidc.eks.<region>.amazonaws.com/id/<ID>`), or undefined when IAM has none: then no
 * IRSA role can work for the cluster and there is nothing to migrate.
 */
export function providerForIssuer(
  issuer: string,
  providerArns: readonly string[],
): string | undefined {
  const hostPath = issuer.replace(/^https:\/\//, '').replace(/\/+$/, '');
  return providerArns.find((arn) => PROVIDER_ARN.exec(arn)?.[3] === hostPath);
}
