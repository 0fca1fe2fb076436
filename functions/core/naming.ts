/**
 * Names and ownership marks of what this service creates.
 *
 * - Roles: `eks-pia-<cluster>-<namespace>-<serviceAccount>-<hash>` under the IAM path
 *   `/eks-pia/`. The hash (12 hex digits of SHA-256 over the exact cluster, namespace and
 *   service account) is always present, so `ns=a-b, sa=c` and `ns=a, sa=b-c` (same readable
 *   part, eksctl's suffix collision) differ, as do names that differ only in case (IAM role
 *   names are case-insensitive). The readable part is only for people and is shortened to fit
 *   64 characters.
 * - Tags `eks-pia/managed-by`, `eks-pia/cluster`, `eks-pia/namespace`,
 *   `eks-pia/service-account` on every role created; a role is ours only when all four match.
 * - Kubernetes service accounts created by the service carry
 *   `app.kubernetes.io/managed-by: eks-pia`, and the association created with them the tag
 *   `eks-pia/service-account-created: true`; both must be there before a delete removes one.
 * - Inline policies are named `eks-pia-<name>` (`eks-pia-Policy1` for `permissionPolicy`
 *   without `permissionPolicyName`, `eks-pia-PolicyAutoScaling` for a well-known policy).
 * - `clientRequestToken` of CreatePodIdentityAssociation is derived from the association and
 *   role, so a retried create is recognised by EKS as the same request.
 */
import { createHash } from 'node:crypto';
import { NamedError } from './errors.ts';

/** A name part that is empty, or a name IAM would reject. */
export class NamingError extends NamedError {
  override readonly name = 'NamingError';
}

export const NAME_PREFIX = 'eks-pia-';
export const ROLE_PATH = '/eks-pia/';
export const MAX_ROLE_NAME_LENGTH = 64;
export const MAX_INLINE_POLICY_NAME_LENGTH = 128;
export const MAX_CLIENT_REQUEST_TOKEN_LENGTH = 64;
export const DEFAULT_PERMISSION_POLICY_NAME = 'Policy1';

export const MANAGED_BY = 'eks-pia';
export const OWNERSHIP_TAG_KEYS = {
  managedBy: 'eks-pia/managed-by',
  cluster: 'eks-pia/cluster',
  namespace: 'eks-pia/namespace',
  serviceAccount: 'eks-pia/service-account',
} as const;
/**
 * On an association eks-pia created: the service account was created by eks-pia too (together
 * with the service account's managed-by label, the record that lets a delete remove it).
 */
export const SERVICE_ACCOUNT_CREATED_TAG = 'eks-pia/service-account-created';

/**
 * The tag of an association a migration made (only managed-by, not the ownership tags of
 * {@link ownershipTags}: what eks-pia did not create from a config, no apply prunes or deletes).
 * The drift check tells it from one made by hand or by another tool.
 */
export const MIGRATED_ASSOCIATION_TAGS: Readonly<Record<string, string>> = {
  [OWNERSHIP_TAG_KEYS.managedBy]: MANAGED_BY,
};

/** Whether an association's tags say an eks-pia run made it (from a config, or a migration). */
export function madeByEksPia(tags: TagsInput): boolean {
  return tagMap(tags).get(OWNERSHIP_TAG_KEYS.managedBy) === MANAGED_BY;
}

/** What IAM shows as the Description of a role eks-pia creates, so people see why it exists. */
export function managedRoleDescription(clusterName: string, owner: 'config' | 'add-on'): string {
  const association =
    owner === 'add-on' ? 'an add-on pod identity association' : 'a pod identity association';
  return `Created by eks-pod-identity-automation for ${association} in cluster ${clusterName}`;
}
export const MANAGED_BY_LABEL = { key: 'app.kubernetes.io/managed-by', value: MANAGED_BY } as const;

/** The labels eks-pia puts on a service account it creates. */
export function managedByEksPiaLabels(): Record<string, string> {
  return { [MANAGED_BY_LABEL.key]: MANAGED_BY_LABEL.value };
}

/** Whether a service account's labels say eks-pia created it. */
export function isManagedByEksPia(labels: Readonly<Record<string, string>>): boolean {
  return labels[MANAGED_BY_LABEL.key] === MANAGED_BY_LABEL.value;
}

export interface AssociationKey {
  cluster: string;
  namespace: string;
  serviceAccount: string;
}

/** Tags as EKS and world files give them (a map) or as IAM does (`[{Key, Value}]`). */
export type TagsInput =
  | Readonly<Record<string, string>>
  | readonly { Key?: string | undefined; Value?: string | undefined }[]
  | undefined;

const ROLE_NAME_HASH_LENGTH = 12;
const IAM_NAME_CHARACTERS = /^[\w+=,.@-]+$/;

function sha256Hex(parts: readonly string[]): string {
  // JSON keeps the boundaries between parts, so ("a-b", "c") and ("a", "b-c") hash apart.
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function requireParts(parts: Record<string, string>): void {
  for (const [label, value] of Object.entries(parts)) {
    if (value === '') throw new NamingError(`${label} must not be empty`);
  }
}

/** Lengths that fit `budget` while giving short parts their whole length first. */
function fairLengths(lengths: readonly number[], budget: number): number[] {
  const fitted = lengths.map(() => 0);
  const shortestFirst = lengths
    .map((length, index) => ({ length, index }))
    .sort((a, b) => a.length - b.length);
  let remaining = budget;
  shortestFirst.forEach(({ length, index }, position) => {
    const share = Math.min(length, Math.floor(remaining / (shortestFirst.length - position)));
    fitted[index] = share;
    remaining -= share;
  });
  return fitted;
}

/**
 * The name of the role created for one association: deterministic, at most 64 characters of
 * `[\w+=,.@-]`, and distinct for distinct (cluster, namespace, serviceAccount).
 *
 * @example
 * roleNameFor('demo', 'default', 's3-reader') // 'eks-pia-demo-default-s3-reader-<12 hex>'
 */
export function roleNameFor(cluster: string, namespace: string, serviceAccount: string): string {
  requireParts({ cluster, namespace, serviceAccount });
  const hash = sha256Hex([cluster, namespace, serviceAccount]).slice(0, ROLE_NAME_HASH_LENGTH);
  const parts = [cluster, namespace, serviceAccount].map((part) =>
    part.replace(/[^\w+=,.@-]/g, '-'),
  );
  const separators = parts.length;
  const budget = MAX_ROLE_NAME_LENGTH - NAME_PREFIX.length - hash.length - separators;
  const lengths = fairLengths(
    parts.map((part) => part.length),
    budget,
  );
  const readable = parts
    .map((part, index) => {
      const length = lengths[index] ?? 0;
      return length < part.length ? part.slice(0, length).replace(/[-.]+$/, '') : part;
    })
    .filter((part) => part !== '');
  return `${NAME_PREFIX}${[...readable, hash].join('-')}`;
}

/** The tags that mark a role as created by this service for one association. */
export function ownershipTags(
  cluster: string,
  namespace: string,
  serviceAccount: string,
): Record<string, string> {
  requireParts({ cluster, namespace, serviceAccount });
  return {
    [OWNERSHIP_TAG_KEYS.managedBy]: MANAGED_BY,
    [OWNERSHIP_TAG_KEYS.cluster]: cluster,
    [OWNERSHIP_TAG_KEYS.namespace]: namespace,
    [OWNERSHIP_TAG_KEYS.serviceAccount]: serviceAccount,
  };
}

function tagMap(tags: TagsInput): Map<string, string> {
  if (tags === undefined) return new Map();
  if (Array.isArray(tags)) {
    const pairs = tags as readonly { Key?: string | undefined; Value?: string | undefined }[];
    return new Map(
      pairs.flatMap(({ Key, Value }) => (Key === undefined ? [] : ([[Key, Value ?? '']] as const))),
    );
  }
  return new Map(Object.entries(tags));
}

/** The association a role was created for, or undefined when the role is not ours. */
export function ownedAssociationOf(tags: TagsInput): AssociationKey | undefined {
  const map = tagMap(tags);
  const cluster = map.get(OWNERSHIP_TAG_KEYS.cluster);
  const namespace = map.get(OWNERSHIP_TAG_KEYS.namespace);
  const serviceAccount = map.get(OWNERSHIP_TAG_KEYS.serviceAccount);
  if (
    map.get(OWNERSHIP_TAG_KEYS.managedBy) !== MANAGED_BY ||
    !cluster ||
    !namespace ||
    !serviceAccount
  ) {
    return undefined;
  }
  return { cluster, namespace, serviceAccount };
}

/** Whether the tags say this service created the role for exactly this association. */
export function isOwnedBy(
  tags: TagsInput,
  cluster: string,
  namespace: string,
  serviceAccount: string,
): boolean {
  const owner = ownedAssociationOf(tags);
  return (
    owner !== undefined &&
    owner.cluster === cluster &&
    owner.namespace === namespace &&
    owner.serviceAccount === serviceAccount
  );
}

/** `eks-pia-<name>`, checked against IAM's inline policy name rules. */
export function inlinePolicyName(name: string): string {
  const full = `${NAME_PREFIX}${name}`;
  if (!IAM_NAME_CHARACTERS.test(name)) {
    throw new NamingError(
      `inline policy name "${name}" may only contain letters, digits and + = , . @ _ -`,
    );
  }
  if (full.length > MAX_INLINE_POLICY_NAME_LENGTH) {
    throw new NamingError(
      `inline policy name "${full}" is longer than ${MAX_INLINE_POLICY_NAME_LENGTH} characters`,
    );
  }
  return full;
}

/**
 * The inline policy that holds an association's `permissionPolicy`: named after
 * `permissionPolicyName`, or `Policy1` as eksctl does when it is unset or empty.
 */
export function permissionPolicyInlineName(permissionPolicyName?: string): string {
  return inlinePolicyName(
    permissionPolicyName === undefined || permissionPolicyName === ''
      ? DEFAULT_PERMISSION_POLICY_NAME
      : permissionPolicyName,
  );
}

/**
 * The idempotency token for CreatePodIdentityAssociation: `eks-pia-` and 56 hex digits of a
 * SHA-256 over the association and role, 64 characters in all (EKS's maximum). A changed role
 * gives a new token, so EKS does not treat a create for another role as a replay.
 */
export function clientRequestToken(
  cluster: string,
  namespace: string,
  serviceAccount: string,
  roleArn: string,
): string {
  requireParts({ cluster, namespace, serviceAccount, roleArn });
  const digits = MAX_CLIENT_REQUEST_TOKEN_LENGTH - NAME_PREFIX.length;
  return `${NAME_PREFIX}${sha256Hex(['association', cluster, namespace, serviceAccount, roleArn]).slice(0, digits)}`;
}
