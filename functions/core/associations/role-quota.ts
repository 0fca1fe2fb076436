/**
 * IAM's "Roles per account" quota (1,000 unless AWS raised it, at most 5,000) is account-wide and
 * checked by IAM only at CreateRole, so a run creating more roles than the account has room for
 * would fail part-way, with some associations made. Checked with the request instead, before
 * anything changes.
 */
import { NamedError } from '../errors.ts';
import { type CheckedRequest, pickFromGrantedRoles } from './guardrails.ts';

export class RoleQuotaExceededError extends NamedError {
  override readonly name = 'RoleQuotaExceededError';
}

export interface RoleQuotaReaders {
  /** `Roles` and `RolesQuota` of the account summary, when it has them. */
  accountRoles(): Promise<{ roles: number; quota: number } | undefined>;
  /** The names of the roles under the path where the service creates its roles. */
  createdRoleNames(): Promise<string[]>;
}

/**
 * The roles the request's entries and its add-ons' listed associations would have the service
 * create, by name. The roles of an add-on's recommended associations are known only once EKS
 * names them at plan time; IAM's own refusal covers those.
 */
export function rolesTheRequestMayCreate(request: CheckedRequest): string[] {
  return pickFromGrantedRoles(request, (role) =>
    role.kind === 'managed' ? [role.role.roleName] : [],
  );
}

/**
 * Refuses a run that would create more roles than the account's quota leaves room for. One
 * account summary call when there is room for every role named; only near the quota are the
 * service's roles listed, to count those that exist already (a rerun creates none).
 */
export async function checkRoleQuota(
  roleNames: readonly string[],
  readers: RoleQuotaReaders,
): Promise<void> {
  // IAM role names are unique regardless of case.
  const names = [...new Map(roleNames.map((name) => [name.toLowerCase(), name])).values()];
  if (names.length === 0) return;
  const summary = await readers.accountRoles();
  // Without the counts, IAM's own refusal at CreateRole is all there is.
  if (summary === undefined) return;
  const { roles, quota } = summary;
  if (roles + names.length <= quota) return;
  const existing = new Set((await readers.createdRoleNames()).map((name) => name.toLowerCase()));
  const toCreate = names.filter((name) => !existing.has(name.toLowerCase())).length;
  if (roles + toCreate <= quota) return;
  throw new RoleQuotaExceededError(
    `this run would create ${toCreate} IAM role${toCreate === 1 ? '' : 's'}, but the account already has ${roles} of its quota of ${quota} roles, so IAM would refuse ${roles + toCreate - quota} of them part-way (nothing was changed): ask AWS to raise the IAM quota "Roles per account" (up to 5,000), delete roles no longer used, or give entries an existing role with roleARN`,
  );
}
