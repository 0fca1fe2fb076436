import type { ReportAccess } from '../../core/associations/report.ts';
import { CLUSTER_ADMIN_POLICY, EDIT_POLICY } from '../../core/cluster-access-policies.ts';

export interface EnsureAccessInput {
  clusterName: string;
  namespaces: string[];
  createsServiceAccounts: boolean;
}

export interface EnsureAccessDeps {
  principalArn(): Promise<string>;
  ensureAccessEntry(request: {
    clusterName: string;
    principalArn: string;
    policyArn: string;
    scope: { type: 'cluster' } | { type: 'namespace'; namespaces: string[] };
  }): Promise<{ created: boolean; associated: boolean; policyArn: string }>;
}

/**
 * Gives this service's own role the least Kubernetes access the run needs, through an EKS access
 * entry: editing service accounts in the namespaces involved, or cluster admin when it may have to
 * create namespaces (eksctl's createServiceAccount creates a missing namespace, which only a
 * cluster-scoped policy allows). The report names what was granted.
 */
export async function ensureKubernetesAccess(
  input: EnsureAccessInput,
  deps: EnsureAccessDeps,
): Promise<ReportAccess> {
  const principalArn = await deps.principalArn();
  const result = await deps.ensureAccessEntry(
    input.createsServiceAccounts
      ? {
          clusterName: input.clusterName,
          principalArn,
          policyArn: CLUSTER_ADMIN_POLICY,
          scope: { type: 'cluster' },
        }
      : {
          clusterName: input.clusterName,
          principalArn,
          policyArn: EDIT_POLICY,
          scope: { type: 'namespace', namespaces: input.namespaces },
        },
  );
  return {
    principalArn,
    accessPolicyArns: [result.policyArn],
    changed: result.created || result.associated,
  };
}
