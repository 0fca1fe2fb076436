/**
 * Which roles a migration may touch. A deployment that sets `migratableRoleArnPatterns` lets the
 * migration tasks' IAM edit the trust of, and pass to EKS Pod Identity, only the roles matching
 * those patterns (infra/grants.ts); the plan leaves every other role out with a finding
 * that says so, instead of planning steps IAM would refuse halfway through a run.
 *
 * The setting reaches the plan step as `MIGRATABLE_ROLES`, a JSON list of role ARN globs (`*` any
 * run, `?` one character), e.g. `["arn:aws:iam::111122223333:role/irsa/*"]`. Unset, every role
 * is planned and IAM alone decides (by default: roles eksctl created for IRSA and opted-in roles).
 */

import { NamedError } from '../errors.ts';
import { globMatches } from '../glob.ts';
import * as z from '../zod.ts';

/** Role ARN patterns the migration may touch; `undefined`: no such setting, every role. */
export type MigratableRoles = readonly string[] | undefined;

/** The environment variable the plan step reads the setting from. */
export const MIGRATABLE_ROLES_ENV = 'MIGRATABLE_ROLES';

/** `MIGRATABLE_ROLES` cannot be read; the run stops rather than plan roles IAM may refuse. */
export class MigratableRolesSettingError extends NamedError {
  override readonly name = 'MigratableRolesSettingError';
}

const patternsSchema = z.array(z.string().check(z.minLength(1)));

/** The deployment's migratable role patterns, read once at cold start. */
export function migratableRolesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): MigratableRoles {
  const text = env[MIGRATABLE_ROLES_ENV]?.trim();
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigratableRolesSettingError(`${MIGRATABLE_ROLES_ENV} is not valid JSON: ${reason}`);
  }
  const parsed = patternsSchema.safeParse(value);
  if (!parsed.success) {
    throw new MigratableRolesSettingError(
      `${MIGRATABLE_ROLES_ENV} must be a JSON list of role ARN patterns, e.g. ["arn:aws:iam::111122223333:role/irsa/*"]`,
    );
  }
  return parsed.data;
}

/** Whether the migration may edit the trust of, and pass, the role with this ARN (as IAM has it). */
export function isMigratable(roleArn: string, patterns: MigratableRoles): boolean {
  return patterns === undefined || patterns.some((pattern) => globMatches(pattern, roleArn));
}

/** Why a role is left out of the migration, and what would let it in. */
export function notMigratableReason(roleArn: string, patterns: readonly string[]): string {
  return (
    `role ${roleArn} is outside this deployment's migratableRoleArnPatterns (${patterns.join(', ')}), ` +
    "so the migration may neither edit its trust policy nor pass it to EKS Pod Identity; not migrated. Ask the deployment's owner to add it to migratableRoleArnPatterns, or migrate it with eksctl"
  );
}
