/**
 * The access entry that lets this service's own role call a cluster's Kubernetes API
 * (namespaces and service accounts), made idempotent: everything is read first, and an entry or
 * policy association is created only when missing, so a rerun makes no mutating call.
 */
import {
  AssociateAccessPolicyCommand,
  type AssociatedAccessPolicy,
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  paginateListAssociatedAccessPolicies,
  ResourceInUseException,
} from '@aws-sdk/client-eks';
import { NamedError, orIfThrown } from '../core/errors.ts';
import { eksClient } from './clients.ts';
import { describeCluster, unlessNotFound } from './eks.ts';

export type AccessScope = { type: 'cluster' } | { type: 'namespace'; namespaces: string[] };

export interface AccessEntryRequest {
  clusterName: string;
  /** An IAM role or user ARN (a role's own ARN, not an STS assumed-role session ARN). */
  principalArn: string;
  /** A cluster access policy, e.g. `arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy`. */
  policyArn: string;
  scope: AccessScope;
}

/**
 * What the principal holds afterwards and what this call changed. `policyArn` and `scope` name
 * the grant that gives the access: the requested policy (with its scope widened to keep
 * namespaces it already had), or an existing cluster-admin association that already covers it.
 */
export interface AccessEntryGrant {
  created: boolean;
  associated: boolean;
  policyArn: string;
  scope: AccessScope;
}

/** The cluster cannot hold access entries (or does not exist); says how to fix it. */
export class KubernetesAccessNotPossibleError extends NamedError {
  override readonly name = 'KubernetesAccessNotPossibleError';
}

/** Grants every Kubernetes permission, so its cluster-wide association covers any request. */
const CLUSTER_ADMIN_POLICY_SUFFIX = ':cluster-access-policy/AmazonEKSClusterAdminPolicy';

function scopeOf(policy: AssociatedAccessPolicy): AccessScope {
  return policy.accessScope?.type === 'namespace'
    ? { type: 'namespace', namespaces: policy.accessScope.namespaces ?? [] }
    : { type: 'cluster' };
}

function scopeCovers(held: AccessScope, wanted: AccessScope): boolean {
  if (held.type === 'cluster') return true;
  if (wanted.type === 'cluster') return false;
  return wanted.namespaces.every((namespace) => held.namespaces.includes(namespace));
}

/**
 * AssociateAccessPolicy replaces the scope of a policy already associated, so namespaces the
 * principal already has for that policy are kept.
 */
function scopeToAssociate(held: AccessScope | undefined, wanted: AccessScope): AccessScope {
  if (held?.type !== 'namespace' || wanted.type !== 'namespace') return wanted;
  return {
    type: 'namespace',
    namespaces: [...new Set([...held.namespaces, ...wanted.namespaces])],
  };
}

async function assertAccessEntriesPossible(clusterName: string): Promise<void> {
  const cluster = await describeCluster(clusterName);
  if (!cluster) {
    throw new KubernetesAccessNotPossibleError(
      `cannot give this service access to the Kubernetes API of cluster "${clusterName}": the cluster does not exist`,
    );
  }
  if (cluster.authenticationMode === 'CONFIG_MAP') {
    throw new KubernetesAccessNotPossibleError(
      `cannot give this service access to the Kubernetes API of cluster "${clusterName}": its authentication mode ` +
        'is CONFIG_MAP, which has no access entries. Switch the cluster to API_AND_CONFIG_MAP ' +
        `(aws eks update-cluster-config --name ${clusterName} --access-config authenticationMode=API_AND_CONFIG_MAP; ` +
        'existing aws-auth ConfigMap mappings keep working), then run again',
    );
  }
}

/** Whether the entry exists; creates it when it does not (409 = created meanwhile = exists). */
async function ensureEntry(clusterName: string, principalArn: string): Promise<boolean> {
  const eks = eksClient();
  const entry = await unlessNotFound(
    eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn })),
  );
  if (entry !== undefined) return false;
  return orIfThrown(
    eks.send(new CreateAccessEntryCommand({ clusterName, principalArn })).then(() => true),
    ResourceInUseException,
    false,
  );
}

async function associatedPolicies(
  clusterName: string,
  principalArn: string,
): Promise<AssociatedAccessPolicy[]> {
  const policies: AssociatedAccessPolicy[] = [];
  const pages = paginateListAssociatedAccessPolicies(
    { client: eksClient() },
    { clusterName, principalArn },
  );
  for await (const page of pages) policies.push(...(page.associatedAccessPolicies ?? []));
  return policies;
}

export async function ensureAccessEntry(request: AccessEntryRequest): Promise<AccessEntryGrant> {
  const { clusterName, principalArn, policyArn, scope } = request;
  await assertAccessEntriesPossible(clusterName);
  const created = await ensureEntry(clusterName, principalArn);
  const held = created ? [] : await associatedPolicies(clusterName, principalArn);

  const covering =
    held.find((policy) => policy.policyArn === policyArn && scopeCovers(scopeOf(policy), scope)) ??
    held.find(
      (policy) =>
        policy.policyArn?.endsWith(CLUSTER_ADMIN_POLICY_SUFFIX) === true &&
        scopeOf(policy).type === 'cluster',
    );
  if (covering) {
    return {
      created,
      associated: false,
      policyArn: covering.policyArn ?? policyArn,
      scope: scopeOf(covering),
    };
  }

  const sameHeld = held.find((policy) => policy.policyArn === policyArn);
  const granted = scopeToAssociate(sameHeld ? scopeOf(sameHeld) : undefined, scope);
  await eksClient().send(
    new AssociateAccessPolicyCommand({
      clusterName,
      principalArn,
      policyArn,
      accessScope:
        granted.type === 'cluster'
          ? { type: 'cluster' }
          : { type: 'namespace', namespaces: granted.namespaces },
    }),
  );
  return { created, associated: true, policyArn, scope: granted };
}
