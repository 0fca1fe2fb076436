/**
 * Thin IAM operations over the SDK client for the roles the workflows read, create, reconcile
 * and delete. Documents come back decoded (IAM returns them URL-encoded) and go out compact.
 * "Not found" is an answer (undefined / 'absent'), not an exception, because callers branch on
 * it; the steps that remove things tolerate NoSuchEntity so a retried deletion converges.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  paginateListRoles,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { ManagedRole } from '../core/associations/desired.ts';
import type { ExistingRole } from '../core/associations/existing.ts';
import { type RoleChanges, roleChanges } from '../core/associations/plan.ts';
import { NamedError, namedErrorClass, orIfThrown } from '../core/errors.ts';
import { OWNERSHIP_TAG_KEYS } from '../core/naming.ts';
import {
  decodePolicyDocument,
  type PolicyDocument,
  PolicyDocumentError,
  serializePolicyDocument,
} from '../core/policy-document.ts';
import { findIrsaSubjects } from '../core/trust-policy.ts';
import { iamClient } from './clients.ts';

export interface NewRole {
  name: string;
  path: string;
  trust: PolicyDocument;
  description: string;
  permissionsBoundaryArn?: string | undefined;
  tags: Record<string, string>;
}

/**
 * `exists`: a role of that name is already there (IAM names are unique regardless of case), for
 * example one this run created before it was retried. The caller re-reads it with
 * {@link getRoleState} and decides whether it is the role it wanted.
 */
export type CreateRoleResult =
  | { status: 'created'; name: string; arn: string; path: string }
  | { status: 'exists'; name: string };

/** A role with its trust policy, as ListRoles or GetRole return it (no tags, no boundary). */
export interface TrustingRole {
  name: string;
  arn: string;
  path: string;
  trustPolicy: PolicyDocument;
}

/** What GetRole adds to a {@link TrustingRole}: every tag of the role. */
export interface TaggedTrustingRole extends TrustingRole {
  tags: Record<string, string>;
}

/** ListRoles' largest page: a whole account in a handful of calls. */
const LIST_ROLES_PAGE_SIZE = 1000;

function decodeDocument(text: string | undefined, what: string): PolicyDocument {
  try {
    return decodePolicyDocument(text ?? '');
  } catch (error) {
    if (error instanceof PolicyDocumentError) {
      throw new PolicyDocumentError(`${what}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Whether a document, URL-encoded or not, contains `text` anywhere. */
function mentions(document: string, text: string): boolean {
  if (document.includes(text)) return true;
  try {
    return decodeURIComponent(document).includes(text);
  } catch {
    return false;
  }
}

/** IAM's answer, or undefined when IAM has no such role, policy or policy version. */
function unlessNoSuchEntity<T>(answer: Promise<T>): Promise<T | undefined> {
  return orIfThrown(answer, NoSuchEntityException, undefined);
}

/** Runs a removal step whose goal (the thing gone) already holds when IAM answers NoSuchEntity. */
async function tolerateMissing(step: () => Promise<unknown>): Promise<void> {
  await unlessNoSuchEntity(step());
}

async function attachedPolicyArnsOf(roleName: string): Promise<string[]> {
  const arns: string[] = [];
  const pages = paginateListAttachedRolePolicies({ client: iamClient() }, { RoleName: roleName });
  for await (const page of pages) {
    for (const policy of page.AttachedPolicies ?? []) {
      if (policy.PolicyArn) arns.push(policy.PolicyArn);
    }
  }
  return arns;
}

async function inlinePolicyNamesOf(roleName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListRolePolicies(
    { client: iamClient() },
    { RoleName: roleName },
  )) {
    names.push(...(page.PolicyNames ?? []));
  }
  return names;
}

/** Undefined when the policy was deleted between listing and reading it. */
async function inlinePolicyOf(
  roleName: string,
  policyName: string,
): Promise<ExistingRole['inlinePolicies'][number] | undefined> {
  const response = await unlessNoSuchEntity(
    iamClient().send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
  );
  if (response === undefined) return undefined;
  return {
    name: policyName,
    document: decodeDocument(
      response.PolicyDocument,
      `inline policy ${policyName} of role ${roleName}`,
    ),
  };
}

/** A role's tags (GetRole alone), or undefined when the role does not exist. */
export async function getRoleTags(name: string): Promise<Record<string, string> | undefined> {
  const role = (await unlessNoSuchEntity(iamClient().send(new GetRoleCommand({ RoleName: name }))))
    ?.Role;
  return role === undefined ? undefined : tagMapOf(role.Tags);
}

function tagMapOf(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Record<string, string> {
  return Object.fromEntries(
    (tags ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])),
  );
}

/**
 * Everything about a role that reconciling or deleting it depends on, or undefined when there is
 * no such role (also when it disappears while being read).
 */
export async function getRoleState(name: string): Promise<ExistingRole | undefined> {
  const role = await getRoleTrust(name);
  if (!role) return undefined;
  const policies = await getRolePolicies(role.name);
  return policies && { ...role, ...policies };
}

/**
 * A role's managed policies (ARNs) and inline policies (with their documents): what
 * {@link getRoleState} adds to GetRole. Undefined when the role disappears while being read.
 */
export async function getRolePolicies(
  roleName: string,
): Promise<Pick<ExistingRole, 'attachedPolicyArns' | 'inlinePolicies'> | undefined> {
  const listed = await unlessNoSuchEntity(
    Promise.all([attachedPolicyArnsOf(roleName), inlinePolicyNamesOf(roleName)]),
  );
  if (listed === undefined) return undefined;
  const [attachedPolicyArns, inlineNames] = listed;
  const inlinePolicies = await Promise.all(
    inlineNames.map((policyName) => inlinePolicyOf(roleName, policyName)),
  );
  return {
    attachedPolicyArns,
    inlinePolicies: inlinePolicies.filter((policy) => policy !== undefined),
  };
}

/**
 * The document of a managed policy's default version (GetPolicy, then GetPolicyVersion), or
 * undefined when IAM has no such policy: attaching it then fails on its own.
 */
export async function getPolicyDocument(policyArn: string): Promise<PolicyDocument | undefined> {
  const iam = iamClient();
  const policy = (
    await unlessNoSuchEntity(iam.send(new GetPolicyCommand({ PolicyArn: policyArn })))
  )?.Policy;
  if (policy?.DefaultVersionId === undefined) return undefined;
  const answer = await unlessNoSuchEntity(
    iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy.DefaultVersionId }),
    ),
  );
  return answer && decodeDocument(answer.PolicyVersion?.Document, `managed policy ${policyArn}`);
}

/**
 * A role's name, ARN, path, tags, permissions boundary and decoded trust policy from one GetRole
 * call, or undefined when there is no such role: what trust policy edits read right before
 * writing, without the policy listings {@link getRoleState} adds.
 */
export async function getRoleTrust(
  name: string,
): Promise<(TaggedTrustingRole & Pick<ExistingRole, 'permissionsBoundaryArn'>) | undefined> {
  const role = (await unlessNoSuchEntity(iamClient().send(new GetRoleCommand({ RoleName: name }))))
    ?.Role;
  if (!role) return undefined;
  const roleName = role.RoleName ?? name;
  return {
    name: roleName,
    arn: role.Arn ?? '',
    path: role.Path ?? '/',
    // GetRole returns every tag (a role holds at most 50), so ListRoleTags would add nothing.
    tags: tagMapOf(role.Tags),
    trustPolicy: decodeDocument(role.AssumeRolePolicyDocument, `trust policy of role ${roleName}`),
    permissionsBoundaryArn: role.PermissionsBoundary?.PermissionsBoundaryArn,
  };
}

export async function createRole(spec: NewRole): Promise<CreateRoleResult> {
  const tags = Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value }));
  try {
    const { Role: role } = await iamClient().send(
      new CreateRoleCommand({
        RoleName: spec.name,
        Path: spec.path,
        AssumeRolePolicyDocument: serializePolicyDocument(spec.trust),
        Description: spec.description,
        ...(spec.permissionsBoundaryArn
          ? { PermissionsBoundary: spec.permissionsBoundaryArn }
          : {}),
        ...(tags.length > 0 ? { Tags: tags } : {}),
      }),
    );
    return {
      status: 'created',
      name: role?.RoleName ?? spec.name,
      arn: role?.Arn ?? '',
      path: role?.Path ?? spec.path,
    };
  } catch (error) {
    if (error instanceof EntityAlreadyExistsException) return { status: 'exists', name: spec.name };
    throw error;
  }
}

/** A role this service was creating exists, but it did not make it for that association. */
export const RoleNameTakenError = namedErrorClass('RoleNameTakenError');

/** IAM has no managed policy with this ARN (a typo, another account's, or one not created yet). */
export class ManagedPolicyNotFoundError extends NamedError {
  override readonly name = 'ManagedPolicyNotFoundError';
}

/** Attaches each managed policy in turn (attaching one already attached is a no-op in IAM). */
export async function attachPolicies(
  roleName: string,
  policyArns: readonly string[],
): Promise<void> {
  for (const policyArn of policyArns) {
    try {
      await iamClient().send(
        new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
      );
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
      throw new ManagedPolicyNotFoundError(
        `managed policy ${policyArn} does not exist (IAM: ${error.message}); fix permissionPolicyARNs`,
        { cause: error },
      );
    }
  }
}

/** Detaches each managed policy in turn; one that is no longer attached counts as detached. */
export async function detachPolicies(
  roleName: string,
  policyArns: readonly string[],
): Promise<void> {
  for (const policyArn of policyArns) {
    await tolerateMissing(() =>
      iamClient().send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
    );
  }
}

export async function putInlinePolicy(
  roleName: string,
  policyName: string,
  document: PolicyDocument,
): Promise<void> {
  await iamClient().send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: policyName,
      PolicyDocument: serializePolicyDocument(document),
    }),
  );
}

/** Deletes one inline policy; one already gone counts as deleted. */
export async function deleteInlinePolicy(roleName: string, policyName: string): Promise<void> {
  await tolerateMissing(() =>
    iamClient().send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
  );
}

export async function setPermissionsBoundary(roleName: string, boundaryArn: string): Promise<void> {
  await iamClient().send(
    new PutRolePermissionsBoundaryCommand({
      RoleName: roleName,
      PermissionsBoundary: boundaryArn,
    }),
  );
}

export async function removePermissionsBoundary(roleName: string): Promise<void> {
  await tolerateMissing(() =>
    iamClient().send(new DeleteRolePermissionsBoundaryCommand({ RoleName: roleName })),
  );
}

/**
 * Replaces the whole trust policy. IAM keeps no version of it, so concurrent writers lose
 * updates: callers write each role from one place at a time.
 */
export async function updateTrust(roleName: string, trust: PolicyDocument): Promise<void> {
  await iamClient().send(
    new UpdateAssumeRolePolicyCommand({
      RoleName: roleName,
      PolicyDocument: serializePolicyDocument(trust),
    }),
  );
}

/** Adds or overwrites the given tags; tags not named are left as they are. */
export async function tagRole(
  roleName: string,
  tags: Readonly<Record<string, string>>,
): Promise<void> {
  const entries = Object.entries(tags);
  if (entries.length === 0) return;
  await iamClient().send(
    new TagRoleCommand({
      RoleName: roleName,
      Tags: entries.map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/**
 * Deletes a role and what IAM requires gone first: attached and inline policies. Its permissions
 * boundary stays on: DeleteRole takes a role with its boundary, and no task may lift one (no grant
 * allows iam:DeleteRolePermissionsBoundary). Every step tolerates NoSuchEntity, so a deletion
 * interrupted half way finishes when run again. Whether the role may be deleted at all is the
 * caller's decision.
 */
export async function deleteRoleCompletely(roleName: string): Promise<'deleted' | 'absent'> {
  const iam = iamClient();
  // Each step finds the role gone when a previous try (or someone else) finished the deletion.
  const steps = async () => {
    await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const [attached, inline] = await Promise.all([
      attachedPolicyArnsOf(roleName),
      inlinePolicyNamesOf(roleName),
    ]);
    await detachPolicies(roleName, attached);
    for (const policyName of inline) await deleteInlinePolicy(roleName, policyName);
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    return 'deleted' as const;
  };
  return orIfThrown(steps(), NoSuchEntityException, 'absent' as const);
}

/**
 * The account's IAM quotas and usage (`AssumeRolePolicySizeQuota`, `AttachedPoliciesPerRoleQuota`,
 * `RolePolicySizeQuota`, ...): the live limits, which differ between accounts.
 */
export async function getAccountSummary(): Promise<Record<string, number>> {
  const { SummaryMap: summary } = await iamClient().send(new GetAccountSummaryCommand({}));
  return Object.fromEntries(
    Object.entries(summary ?? {}).flatMap(([key, value]) =>
      typeof value === 'number' ? [[key, value]] : [],
    ),
  );
}

/**
 * The account's role count and its roles quota, from the account summary; undefined when the
 * summary lacks either (IAM's reference does not promise these keys).
 */
export async function accountRoleCount(): Promise<{ roles: number; quota: number } | undefined> {
  const { Roles: roles, RolesQuota: quota } = await getAccountSummary();
  return roles === undefined || quota === undefined ? undefined : { roles, quota };
}

/** The names of the roles whose path starts with `pathPrefix`. */
export async function listRoleNamesUnder(pathPrefix: string): Promise<string[]> {
  const names: string[] = [];
  const pages = paginateListRoles(
    { client: iamClient(), pageSize: LIST_ROLES_PAGE_SIZE },
    { PathPrefix: pathPrefix },
  );
  for await (const page of pages) {
    for (const role of page.Roles ?? []) if (role.RoleName) names.push(role.RoleName);
  }
  return names;
}

/**
 * Every role of the account whose trust has an IRSA statement for the OIDC provider (a
 * Federated principal equal to `providerArn` allowing sts:AssumeRoleWithWebIdentity).
 */
export async function listRolesTrusting(providerArn: string): Promise<TrustingRole[]> {
  const trusting: TrustingRole[] = [];
  const pages = paginateListRoles({ client: iamClient(), pageSize: LIST_ROLES_PAGE_SIZE }, {});
  for await (const page of pages) {
    for (const role of page.Roles ?? []) {
      const encoded = role.AssumeRolePolicyDocument ?? '';
      // Only documents that mention the provider are parsed: an odd trust policy of an unrelated
      // role must not stop the discovery.
      if (!mentions(encoded, providerArn)) continue;
      const name = role.RoleName ?? '';
      const trustPolicy = decodeDocument(encoded, `trust policy of role ${name}`);
      if (findIrsaSubjects(trustPolicy, providerArn).statements.length === 0) continue;
      trusting.push({ name, arn: role.Arn ?? '', path: role.Path ?? '/', trustPolicy });
    }
  }
  return trusting;
}

/**
 * Creates a role this service owns, with its policies; `created` is false when a role of that
 * name was there already and was adopted (see adoptManagedRole). Callers need not look for the
 * role first: IAM's EntityAlreadyExists says it is there.
 */
export async function createManagedRole(
  role: ManagedRole,
  description: string,
): Promise<{ arn: string; created: boolean }> {
  const created = await createRole({
    name: role.roleName,
    path: role.path,
    trust: role.trust,
    description,
    permissionsBoundaryArn: role.permissionsBoundaryArn,
    tags: role.tags,
  });
  if (created.status === 'exists') return adoptManagedRole(role);
  try {
    await attachPolicies(role.roleName, role.managedPolicyArns);
    for (const policy of role.inlinePolicies)
      await putInlinePolicy(role.roleName, policy.name, policy.document);
  } catch (error) {
    // A half-made role (a policy that does not exist, an inline policy over the quota) is
    // worth nothing to anyone: take it back, so the item fails with IAM's reason and a rerun
    // starts clean.
    await deleteRoleCompletely(role.roleName).catch(() => undefined);
    throw error;
  }
  return { arn: created.arn, created: true };
}

/**
 * A role of the name CreateRole was given is already there: one an earlier run made for the same
 * association and did not finish (it died after CreateRole, or its CreateRole was retried after
 * the answer was lost), recognised by its ownership tags, is brought to the desired state (trust,
 * policies, boundary, tags) and used; any other role of that name is refused, unchanged.
 */
async function adoptManagedRole(role: ManagedRole): Promise<{ arn: string; created: false }> {
  const existing = await getRoleState(role.roleName);
  const sameOwner = Object.values(OWNERSHIP_TAG_KEYS).every(
    (key) => existing?.tags[key] === role.tags[key],
  );
  if (!existing || !sameOwner || role.tags[OWNERSHIP_TAG_KEYS.managedBy] === undefined)
    throw new RoleNameTakenError(
      `IAM role "${role.roleName}" already exists and was not created by eks-pia for this association (its ownership tags say otherwise); it was left as it is: choose another roleName, or set roleARN to use that role as it is`,
    );
  await reconcileRole(role.roleName, roleChanges(role, existing));
  return { arn: existing.arn, created: false };
}

/** Applies the edits `roleChanges` decided to a role this service owns. */
export async function reconcileRole(roleName: string, changes: RoleChanges): Promise<void> {
  // The boundary first: IAM lets the task role write policies only to roles carrying it.
  if (changes.boundary && 'set' in changes.boundary)
    await setPermissionsBoundary(roleName, changes.boundary.set);
  if (changes.trust) await updateTrust(roleName, changes.trust.document);
  await attachPolicies(roleName, changes.attach);
  await detachPolicies(roleName, changes.detach);
  for (const policy of changes.putInline)
    await putInlinePolicy(roleName, policy.name, policy.document);
  for (const name of changes.deleteInline) await deleteInlinePolicy(roleName, name);
  if (changes.boundary && 'remove' in changes.boundary) await removePermissionsBoundary(roleName);
  await tagRole(roleName, changes.tags);
}
