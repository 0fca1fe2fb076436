import { type Stack, Token } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import {
  DEFAULT_ASSIGNABLE_ROLE_TAG,
  GuardrailSettingsError,
  guardrailsFromEnv,
  type RoleTag,
  roleTagFromText,
} from '../functions/core/associations/guardrails.ts';
import { structuredContext } from './context.ts';

/** An action the guardrails deny; `resource: '*'` denies it only in statements on every resource. */
export interface DeniedActionProps {
  readonly action: string;
  readonly resource?: '*';
}

/**
 * What a dropped config may grant: the deployment's guardrails, in the shape the tasks read from
 * the `GUARDRAILS` variable (functions/core/associations/guardrails.ts). A field left out keeps
 * the tasks' default: the denied lists default to AdministratorAccess/IAMFullAccess/
 * PowerUserAccess and `*`, `iam:*`, `sts:AssumeRole on *`; a denied list that is given replaces
 * its default; the allow-lists allow everything when left out.
 */
export interface GuardrailProps {
  /** Managed policy ARNs no created role may have attached (globs: `*`, `?`). */
  readonly deniedPolicyArns?: readonly string[];
  /** `"iam:*"`, `"sts:AssumeRole on *"`, or `{ action, resource: '*' }`. */
  readonly deniedActions?: readonly (string | DeniedActionProps)[];
  /**
   * Put on every role the service creates. The task role may then create roles only with this
   * boundary, so IAM itself enforces what the tasks check.
   */
  readonly enforcedPermissionsBoundaryArn?: string;
  /**
   * Existing roles (globs) a config may name as `roleARN` or `targetRoleARN` besides the roles the
   * service creates and those carrying the opt-in tag; the only way to allow a `targetRoleARN` of
   * another account, whose tags the service cannot read. The task role may then pass only these
   * roles (and the roles the service creates, and opted-in ones) to EKS.
   */
  readonly allowedRoleArnPatterns?: readonly string[];
  /**
   * `key=value`: existing roles carrying this tag may be associated (IAM checks it too, by an
   * `iam:ResourceTag` condition on iam:PassRole).
   *
   * @default 'eks-pia/assignable=true'
   */
  readonly assignableRoleTag?: string;
  /** Globs every association's namespace must match. */
  readonly allowedNamespaces?: readonly string[];
}

/** `cdk synth -c guardrails='{"allowedNamespaces":["team-*"]}'`, or an object in cdk.json. */
export const GUARDRAILS_CONTEXT_KEY = 'guardrails';

/** The environment variable the validating tasks read the guardrails from. */
export const GUARDRAILS_ENV = 'GUARDRAILS';

function hasSettings(guardrails: GuardrailProps): boolean {
  return Object.values(guardrails).some((value) => value !== undefined);
}

/**
 * Checks the settings exactly as the tasks will read them, so a typo fails the synth instead of
 * every run. Settings holding tokens (a boundary policy created in the same app) are checked by
 * the tasks only, since their values exist only at deploy time.
 *
 * @throws GuardrailSettingsError naming the setting that is wrong.
 */
export function checkGuardrails(guardrails: GuardrailProps): void {
  const text = JSON.stringify(guardrails);
  if (Token.isUnresolved(text)) return;
  guardrailsFromEnv({ [GUARDRAILS_ENV]: text });
}

/** The tag that opts an existing role in: the guardrails' setting, else the tasks' default. */
export function assignableRoleTagOf(guardrails: GuardrailProps): RoleTag {
  return guardrails.assignableRoleTag === undefined
    ? DEFAULT_ASSIGNABLE_ROLE_TAG
    : roleTagFromText(guardrails.assignableRoleTag);
}

/** The guardrails given as CDK context (JSON text, or an object in cdk.json), checked. */
export function guardrailsFromContext(node: Node): GuardrailProps | undefined {
  const settings = structuredContext(
    node,
    GUARDRAILS_CONTEXT_KEY,
    (reason) => new GuardrailSettingsError(reason),
  );
  if (settings === undefined) return undefined;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new GuardrailSettingsError(
      `context "${GUARDRAILS_CONTEXT_KEY}" must be a JSON object such as {"allowedNamespaces": ["team-*"]}`,
    );
  }
  // The same reader as the tasks', so the context accepts exactly what they accept.
  try {
    guardrailsFromEnv({ [GUARDRAILS_ENV]: JSON.stringify(settings) });
  } catch (error) {
    if (!(error instanceof GuardrailSettingsError)) throw error;
    throw new GuardrailSettingsError(
      `context "${GUARDRAILS_CONTEXT_KEY}": ${error.message.replace(/^GUARDRAILS is not valid: /, '')}`,
      { cause: error },
    );
  }
  return settings as GuardrailProps;
}

/** `{ GUARDRAILS: <json> }`, or nothing when no setting is given (the tasks' defaults apply). */
export function guardrailsEnvironment(
  stack: Stack,
  guardrails: GuardrailProps,
): Record<string, string> {
  if (!hasSettings(guardrails)) return {};
  const text = JSON.stringify(guardrails);
  return { [GUARDRAILS_ENV]: Token.isUnresolved(text) ? stack.toJsonString(guardrails) : text };
}

/**
 * `cdk deploy -c migratableRoleArnPatterns='["arn:aws:iam::111122223333:role/irsa/*"]'`: the roles
 * the migration may edit the trust of and pass to EKS Pod Identity (see the stack prop).
 */
export const MIGRATABLE_ROLES_CONTEXT_KEY = 'migratableRoleArnPatterns';

const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/.+$/;

/** The migratable role patterns given as CDK context (JSON text or a list), checked. */
export function migratableRolesFromContext(node: Node): string[] | undefined {
  const notAList = () =>
    new GuardrailSettingsError(
      `context "${MIGRATABLE_ROLES_CONTEXT_KEY}" must be a JSON list of role ARN patterns such as ` +
        '["arn:aws:iam::111122223333:role/irsa/*"]',
    );
  const patterns = structuredContext(node, MIGRATABLE_ROLES_CONTEXT_KEY, notAList);
  if (patterns === undefined) return undefined;
  if (
    !Array.isArray(patterns) ||
    patterns.length === 0 ||
    !patterns.every((pattern) => typeof pattern === 'string' && ROLE_ARN_PATTERN.test(pattern))
  ) {
    throw notAList();
  }
  return patterns as string[];
}
