/**
 * Small builders for migration facts: roles trusting a cluster's OIDC provider, annotated
 * service accounts, and a facts object whose fields each test overrides.
 */
import type { MigrationFacts, ServiceAccountFact } from '../../../functions/core/migration/plan.ts';
import { providerFromArn } from '../../../functions/core/migration/provider.ts';
import type { RoleFact } from '../../../functions/core/migration/role-fact.ts';
import type { PolicyDocument, PolicyStatement } from '../../../functions/core/policy-document.ts';

export const ACCOUNT = '111122223333';
export const ISSUER_HOST = 'oidc.eks.us-west-2.amazonaws.com/id';
export const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}/DEMO1`;
export const OTHER_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}/OTHER1`;
export const PROVIDER = providerFromArn(PROVIDER_ARN);

export const roleArn = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
export const subject = (namespace: string, name: string) =>
  `system:serviceaccount:${namespace}:${name}`;

export function irsaStatement(
  providerArn: string,
  sub: string | string[] | undefined,
  operator = 'StringEquals',
): PolicyStatement {
  const prefix = providerArn.slice(providerArn.indexOf('oidc-provider/') + 'oidc-provider/'.length);
  const audience = { [`${prefix}:aud`]: 'sts.amazonaws.com' };
  return {
    Effect: 'Allow',
    Principal: { Federated: providerArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition:
      sub === undefined
        ? { StringEquals: audience }
        : operator === 'StringEquals'
          ? { StringEquals: { [`${prefix}:sub`]: sub, ...audience } }
          : { StringEquals: audience, [operator]: { [`${prefix}:sub`]: sub } },
  };
}

export const POD_IDENTITY_STATEMENT: PolicyStatement = {
  Effect: 'Allow',
  Principal: { Service: 'pods.eks.amazonaws.com' },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
};

export function trust(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

export function role(name: string, document: PolicyDocument, path = '/'): RoleFact {
  return { name, arn: roleArn(name, path), path, trustPolicy: document };
}

export function annotated(namespace: string, name: string, arn: string): ServiceAccountFact {
  return { namespace, name, roleArnAnnotation: arn, resourceVersion: '7' };
}

export function facts(
  overrides: Omit<Partial<MigrationFacts>, 'request'> & {
    request?: Partial<MigrationFacts['request']>;
  } = {},
): MigrationFacts {
  const { request, ...rest } = overrides;
  return {
    request: {
      clusterName: 'demo',
      region: 'us-west-2',
      approve: false,
      removeOidcProviderTrustRelationship: false,
      allowStackDrift: false,
      namespaces: [],
      discovery: 'auto',
      ...request,
    },
    provider: PROVIDER,
    agentInstalled: true,
    assumeRolePolicySizeQuota: 2048,
    kubernetes: { serviceAccounts: [], pods: [] },
    roles: [],
    addonRoles: [],
    stacks: [],
    associations: [],
    warnings: [],
    ...rest,
  };
}
