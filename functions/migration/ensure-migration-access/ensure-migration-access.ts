import type { AccessScope } from '../../aws/access-entries.ts';
import type { ReportAccess } from '../../core/associations/report.ts';
import { EDIT_POLICY, VIEW_POLICY } from '../../core/cluster-access-policies.ts';
import { asError } from '../../core/errors.ts';
import type { DiscoveryMode } from '../../core/migration/discovery-modes.ts';

export interface EnsureMigrationAccessInput {
  clusterName: string;
  /** `read`: discover service accounts and pods; `write`: remove their role-arn annotations. */
  purpose: 'read' | 'write';
  discovery: DiscoveryMode;
  /** The namespaces involved; empty means the whole cluster (reading only). */
  namespaces: string[];
}

export interface MigrationAccess {
  granted: boolean;
  /** This run created the entry or associated the policy. */
  changed: boolean;
  access?: ReportAccess | undefined;
  /** Why no access could be set up; the run goes on without it. */
  warning?: string | undefined;
}

export interface EnsureMigrationAccessDeps {
  principalArn(): Promise<string>;
  ensureAccessEntry(request: {
    clusterName: string;
    principalArn: string;
    policyArn: string;
    scope: AccessScope;
  }): Promise<{ created: boolean; associated: boolean; policyArn: string }>;
  /** The cluster cannot hold access entries (CONFIG_MAP authentication mode). */
  isAccessNotPossible(error: unknown): boolean;
}

/**
 * Gives this service's role the least Kubernetes access the approved run needs, through an EKS
 * access entry: view (in the namespaces asked for, or cluster-wide) to discover, edit in the
 * namespaces of the annotations it removes. Only approved runs call this; a plan uses whatever
 * access already works. When the cluster cannot hold access entries, discovery falls back to IAM
 * (unless Kubernetes discovery was required) and annotation removal fails per service account.
 */
export async function ensureMigrationAccess(
  input: EnsureMigrationAccessInput,
  deps: EnsureMigrationAccessDeps,
): Promise<MigrationAccess> {
  const principalArn = await deps.principalArn();
  const policyArn = input.purpose === 'read' ? VIEW_POLICY : EDIT_POLICY;
  const scope: AccessScope =
    input.namespaces.length === 0
      ? { type: 'cluster' }
      : { type: 'namespace', namespaces: input.namespaces };
  try {
    const result = await deps.ensureAccessEntry({
      clusterName: input.clusterName,
      principalArn,
      policyArn,
      scope,
    });
    const changed = result.created || result.associated;
    return {
      granted: true,
      changed,
      access: { principalArn, accessPolicyArns: [result.policyArn], changed },
    };
  } catch (error) {
    const required = input.purpose === 'read' && input.discovery === 'kubernetes';
    if (required || !deps.isAccessNotPossible(error)) throw error;
    return {
      granted: false,
      changed: false,
      warning:
        input.purpose === 'read'
          ? `${asError(error).message}; discovering from IAM alone`
          : `${asError(error).message}; the role-arn annotations cannot be removed, so this cluster's OIDC trust stays for those service accounts`,
    };
  }
}
