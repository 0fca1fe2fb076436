/**
 * Pieces of made-up worlds for benches and scale tests: the roles every world needs and many IRSA
 * workloads whose teams share a role, as migrations meet them.
 */
import { podIdentityTrustStatement } from '../../functions/core/trust-policy.ts';

/** A role only pods of EKS Pod Identity may assume. */
export const POD_IDENTITY_TRUST = {
  Version: '2012-10-17',
  Statement: [podIdentityTrustStatement()],
};

/** The role the tasks run as (the world's caller). */
export const AUTOMATION_ROLE = {
  name: 'automation',
  assumeRolePolicyDocument: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  },
};

export interface IrsaWorkloadOptions {
  account: string;
  /** The cluster's OIDC issuer without its scheme, e.g. `oidc.eks.us-west-2.amazonaws.com/id/X`. */
  issuer: string;
  count: number;
  /** Service accounts that share one role. */
  perRole: number;
  /** Service accounts are spread over this many `team-<n>` namespaces. */
  namespaces: number;
  /** Role names are this prefix and the role's number. */
  rolePrefix: string;
}

/**
 * `count` service accounts annotated for IRSA (`team-<i % namespaces>/app-<i>`) and their roles,
 * each trusting the cluster's OIDC provider for exactly its service accounts.
 */
export function irsaWorkloads(options: IrsaWorkloadOptions) {
  const { account, issuer } = options;
  const provider = `arn:aws:iam::${account}:oidc-provider/${issuer}`;
  const workloads = Array.from({ length: options.count }, (_, index) => ({
    namespace: `team-${index % options.namespaces}`,
    name: `app-${index}`,
    role: `${options.rolePrefix}${Math.floor(index / options.perRole)}`,
  }));
  const subjects = new Map<string, string[]>();
  for (const sa of workloads) {
    subjects.set(sa.role, [
      ...(subjects.get(sa.role) ?? []),
      `system:serviceaccount:${sa.namespace}:${sa.name}`,
    ]);
  }
  return {
    provider,
    serviceAccounts: workloads.map((sa) => ({
      namespace: sa.namespace,
      name: sa.name,
      annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${account}:role/${sa.role}` },
    })),
    roles: [...subjects].map(([name, values]) => ({
      name,
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: provider },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: { [`${issuer}:sub`]: values, [`${issuer}:aud`]: 'sts.amazonaws.com' },
            },
          },
        ],
      },
    })),
  };
}
