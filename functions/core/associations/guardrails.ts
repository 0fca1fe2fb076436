/**
 * Guardrails: deployment settings that bound what a dropped config may grant. A config that
 * breaks any of them is rejected as a whole, before anything changes, with every violation
 * listed, so one run tells its author everything to fix.
 *
 * Settings come from the environment (`guardrailsFromEnv`), either as one JSON document in
 * `GUARDRAILS`:
 *
 * ```json
 * {"deniedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
 *  "deniedActions": ["*", "iam:*", "sts:AssumeRole on *"],
 *  "enforcedPermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary",
 *  "allowedRoleArnPatterns": ["arn:aws:iam::111122223333:role/apps/*"],
 *  "allowedNamespaces": ["team-*", "default"]}
 * ```
 *
 * or as separate variables, each a JSON list or a comma-separated list (the boundary is one
 * ARN): `GUARDRAILS_DENIED_POLICY_ARNS`, `GUARDRAILS_DENIED_ACTIONS`,
 * `GUARDRAILS_PERMISSIONS_BOUNDARY_ARN`, `GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS`,
 * `GUARDRAILS_ALLOWED_NAMESPACES`. A separate variable overrides the same field of `GUARDRAILS`.
 * A denied list that is given replaces the default (so `[]` denies nothing); copy the defaults
 * into it to extend them. Left out, the allow-lists allow everything.
 */
import * as z from 'zod';
import { isPolicyArn, issueLine } from '../config/index.ts';
import { NamedError } from '../errors.ts';
import {
  actionPatternCovers,
  type PolicyDocument,
  type PolicyStatement,
  statementsOf,
  toArray,
} from '../policy-document.ts';
import { PARTITIONS } from '../well-known-policies.ts';
import type { DesiredAssociation, ManagedRole } from './desired.ts';
import { globMatches } from './glob.ts';
import { type AssociationRequest, describeSource } from './request.ts';

/**
 * An action the guardrails deny. `resource: '*'` narrows the denial to statements on every
 * resource: `sts:AssumeRole` on a named target role is how cross-account chaining is granted,
 * while on `*` it lets the pod assume any role that trusts the account.
 */
export interface DeniedAction {
  action: string;
  resource?: '*' | undefined;
}

export interface GuardrailSettings {
  /** Managed policy ARNs that may not be attached (globs: `*` any run, `?` one character). */
  deniedPolicyArns: string[];
  /** Actions no Allow statement of a created role may grant. */
  deniedActions: DeniedAction[];
  /** Put on every role this service creates; a config asking for another boundary is rejected. */
  enforcedPermissionsBoundaryArn?: string | undefined;
  /** When set, `roleARN` and `targetRoleARN` must match one of these globs. */
  allowedRoleArnPatterns?: string[] | undefined;
  /** When set, every association's namespace must match one of these globs. */
  allowedNamespaces?: string[] | undefined;
}

export interface GuardrailViolation {
  /** Where in the input, e.g. `iam.podIdentityAssociations[1].permissionPolicy.Statement[0]`. */
  path: string;
  message: string;
  /** `namespace/serviceAccount` of the entry. */
  association: string;
}

/** The whole config is rejected: it would grant what the guardrails forbid. */
export class PolicyGuardViolation extends NamedError {
  override readonly name = 'PolicyGuardViolation';
  readonly violations: readonly GuardrailViolation[];

  constructor(subject: string, violations: readonly GuardrailViolation[]) {
    const count = `${violations.length} guardrail violation${violations.length === 1 ? '' : 's'}`;
    super(
      [
        `${subject} was rejected as a whole and nothing was changed: ${count}:`,
        ...violations.map(issueLine),
      ].join('\n'),
    );
    this.violations = violations;
  }
}

/** Guardrail settings in the environment that cannot be read. */
export class GuardrailSettingsError extends NamedError {
  override readonly name = 'GuardrailSettingsError';
}

const DENIED_POLICY_NAMES = ['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess'];

/** AdministratorAccess, IAMFullAccess and PowerUserAccess in every partition; `*`, `iam:*`, `sts:AssumeRole` on `*`. */
export const DEFAULT_GUARDRAILS: GuardrailSettings = {
  deniedPolicyArns: PARTITIONS.flatMap((partition) =>
    DENIED_POLICY_NAMES.map((name) => `arn:${partition}:iam::aws:policy/${name}`),
  ),
  deniedActions: [
    { action: '*' },
    { action: 'iam:*' },
    { action: 'sts:AssumeRole', resource: '*' },
  ],
};

// ---------------------------------------------------------------------------------------------
// Reading the settings

const DENIED_ACTION_TEXT = /^(\S+)(?:\s+on\s+(\*))?$/;

function deniedActionFromText(text: string): DeniedAction {
  const match = DENIED_ACTION_TEXT.exec(text.trim());
  const action = match?.[1];
  if (match === null || action === undefined) {
    throw new GuardrailSettingsError(
      `denied action ${JSON.stringify(text)} is not "<action>" or "<action> on *" (e.g. "iam:*", "sts:AssumeRole on *")`,
    );
  }
  return match[2] === undefined ? { action } : { action, resource: '*' };
}

const deniedActionSchema = z.union([
  z.string().min(1),
  z.strictObject({ action: z.string().min(1), resource: z.literal('*').optional() }),
]);

const settingsSchema = z.strictObject({
  deniedPolicyArns: z.array(z.string().min(1)).optional(),
  deniedActions: z.array(deniedActionSchema).optional(),
  enforcedPermissionsBoundaryArn: z.string().min(1).optional(),
  allowedRoleArnPatterns: z.array(z.string().min(1)).optional(),
  allowedNamespaces: z.array(z.string().min(1)).optional(),
});
type SettingsInput = z.infer<typeof settingsSchema>;

function readJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GuardrailSettingsError(`${name} is not valid JSON: ${reason}`);
  }
}

function readList(name: string, text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const parsed = z.array(z.string().min(1)).safeParse(readJson(name, trimmed));
    if (!parsed.success) throw new GuardrailSettingsError(`${name} must be a JSON list of strings`);
    return parsed.data;
  }
  return trimmed
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readDocument(text: string): SettingsInput {
  const parsed = settingsSchema.safeParse(readJson('GUARDRAILS', text));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
    );
    throw new GuardrailSettingsError(`GUARDRAILS is not valid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function present(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The guardrails of this deployment, read once at cold start. Anything unreadable throws
 * GuardrailSettingsError, so a typo in the settings stops every run instead of silently
 * allowing what it meant to deny.
 */
export function guardrailsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): GuardrailSettings {
  const documentText = present(env, 'GUARDRAILS');
  const document = documentText === undefined ? {} : readDocument(documentText);
  const list = (name: string): string[] | undefined => {
    const text = present(env, name);
    return text === undefined ? undefined : readList(name, text);
  };

  const deniedActionInputs = list('GUARDRAILS_DENIED_ACTIONS') ?? document.deniedActions;
  const boundary =
    present(env, 'GUARDRAILS_PERMISSIONS_BOUNDARY_ARN')?.trim() ??
    document.enforcedPermissionsBoundaryArn;
  if (boundary !== undefined && !isPolicyArn(boundary)) {
    throw new GuardrailSettingsError(
      `the enforced permissions boundary ${JSON.stringify(boundary)} is not an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)`,
    );
  }
  return {
    deniedPolicyArns:
      list('GUARDRAILS_DENIED_POLICY_ARNS') ??
      document.deniedPolicyArns ??
      DEFAULT_GUARDRAILS.deniedPolicyArns,
    deniedActions:
      deniedActionInputs === undefined
        ? DEFAULT_GUARDRAILS.deniedActions
        : deniedActionInputs.map((item) =>
            typeof item === 'string' ? deniedActionFromText(item) : item,
          ),
    enforcedPermissionsBoundaryArn: boundary,
    allowedRoleArnPatterns:
      list('GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS') ?? document.allowedRoleArnPatterns,
    allowedNamespaces: list('GUARDRAILS_ALLOWED_NAMESPACES') ?? document.allowedNamespaces,
  };
}

// ---------------------------------------------------------------------------------------------
// Checking a request

function deniedLabel(denied: DeniedAction): string {
  return denied.resource === '*'
    ? `${JSON.stringify(denied.action)} on Resource "*"`
    : JSON.stringify(denied.action);
}

function listLabels(labels: readonly string[]): string {
  return labels.length <= 1
    ? labels.join('')
    : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/** A statement that names no resource at all, or excludes some with NotResource, reaches `*`. */
function reachesEveryResource(statement: PolicyStatement): boolean {
  return (
    statement.NotResource !== undefined ||
    statement.Resource === undefined ||
    toArray(statement.Resource).includes('*')
  );
}

/**
 * What a statement grants that the guardrails deny. A denied action counts as granted when one
 * of the statement's action patterns covers it as a whole (`*` and `iam:*` cover `iam:*`;
 * `iam:PassRole` does not), so narrow grants such as the load balancer controller's
 * `iam:CreateServiceLinkedRole` pass. An Allow with NotAction grants everything it does not
 * list and counts as `Action: "*"`.
 */
function statementViolation(
  statement: PolicyStatement,
  denied: readonly DeniedAction[],
): string | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  const notAction = statement.NotAction !== undefined;
  const patterns = notAction ? ['*'] : toArray(statement.Action);
  const hits: { label: string; pattern: string; resource: boolean }[] = [];
  for (const entry of denied) {
    if (entry.resource === '*' && !reachesEveryResource(statement)) continue;
    const pattern = patterns.find((candidate) => actionPatternCovers(candidate, entry.action));
    if (pattern !== undefined)
      hits.push({ label: deniedLabel(entry), pattern, resource: entry.resource === '*' });
  }
  const [first] = hits;
  if (first === undefined) return undefined;
  const labels = listLabels(hits.map((hit) => hit.label));
  const resourceHint = hits.some((hit) => hit.resource)
    ? ', and name the resources (roles) in Resource'
    : '';
  if (notAction) {
    return `allows every action not listed in NotAction, which counts as Action "*" and so grants ${labels}, which the guardrails deny; list the allowed actions under Action instead${resourceHint}`;
  }
  return `allows ${labels} (through Action ${JSON.stringify(first.pattern)}), which the guardrails deny; list only the actions the workload needs${resourceHint}`;
}

function documentViolations(
  document: PolicyDocument,
  policyName: string,
  origin: string,
  denied: readonly DeniedAction[],
): { path: string; message: string }[] {
  const single = !Array.isArray(document.Statement);
  const fromPermissionPolicy = origin.endsWith('.permissionPolicy');
  return statementsOf(document).flatMap((statement, index) => {
    const message = statementViolation(statement, denied);
    if (message === undefined) return [];
    const statementPath = single ? 'Statement' : `Statement[${index}]`;
    return fromPermissionPolicy
      ? [{ path: `${origin}.${statementPath}`, message }]
      : [{ path: origin, message: `inline policy ${policyName}, ${statementPath}: ${message}` }];
  });
}

function managedRoleViolations(
  role: ManagedRole,
  path: string,
  settings: GuardrailSettings,
): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  for (const arn of role.managedPolicyArns) {
    const pattern = settings.deniedPolicyArns.find((candidate) => globMatches(candidate, arn));
    if (pattern === undefined) continue;
    const origin = role.origins[arn] ?? `${path}.permissionPolicyARNs`;
    const via = origin.includes('.wellKnownPolicies.') ? `${origin.split('.').at(-1)} adds ` : '';
    found.push({
      path: origin,
      message: `${via}${arn}, which the guardrails deny (${pattern === arn ? 'deniedPolicyArns' : `deniedPolicyArns pattern ${pattern}`}); attach a narrower policy`,
    });
  }
  for (const policy of role.inlinePolicies) {
    const origin = role.origins[policy.name] ?? `${path}.permissionPolicy`;
    found.push(...documentViolations(policy.document, policy.name, origin, settings.deniedActions));
  }
  const enforced = settings.enforcedPermissionsBoundaryArn;
  if (enforced !== undefined) {
    const requested = role.requestedPermissionsBoundaryArn;
    if (requested !== undefined && requested !== enforced) {
      found.push({
        path: `${path}.permissionsBoundaryARN`,
        message: `${requested} conflicts with the permissions boundary the guardrails enforce (${enforced}); remove permissionsBoundaryARN or set it to ${enforced}`,
      });
    }
    if (role.permissionsBoundaryArn !== enforced) {
      found.push({
        path,
        message: `role ${role.roleName} would be created without the enforced permissions boundary ${enforced}; build the request with the guardrails' enforcedPermissionsBoundaryArn`,
      });
    }
  }
  return found;
}

function roleArnViolation(
  arn: string | undefined,
  path: string,
  patterns: readonly string[] | undefined,
): { path: string; message: string }[] {
  if (arn === undefined || arn === '' || patterns === undefined) return [];
  if (patterns.some((pattern) => globMatches(pattern, arn))) return [];
  return [
    {
      path,
      message: `role ${arn} is not allowed by the guardrails; allowed role ARN patterns: ${patterns.join(', ')}`,
    },
  ];
}

function entryViolations(
  entry: DesiredAssociation,
  operation: AssociationRequest['operation'],
  settings: GuardrailSettings,
): GuardrailViolation[] {
  const found: { path: string; message: string }[] = [];
  const namespaces = settings.allowedNamespaces;
  if (
    namespaces !== undefined &&
    !namespaces.some((pattern) => globMatches(pattern, entry.namespace))
  ) {
    found.push({
      path: `${entry.path}.namespace`,
      message: `namespace ${JSON.stringify(entry.namespace)} is not allowed by the guardrails; allowed namespaces: ${namespaces.join(', ')}`,
    });
  }
  if (operation !== 'delete') {
    const patterns = settings.allowedRoleArnPatterns;
    const role = entry.role;
    if (role.kind === 'existing') {
      found.push(...roleArnViolation(role.roleArn, `${entry.path}.roleARN`, patterns));
    } else if (role.kind === 'managed') {
      found.push(...roleArnViolation(role.requestedRoleArn, `${entry.path}.roleARN`, patterns));
      found.push(...managedRoleViolations(role.role, entry.path, settings));
    }
    found.push(...roleArnViolation(entry.targetRoleArn, `${entry.path}.targetRoleARN`, patterns));
  }
  const association = `${entry.namespace}/${entry.serviceAccount}`;
  return found.map((violation) => ({ ...violation, association }));
}

type CheckedRequest = Pick<AssociationRequest, 'operation' | 'entries'> &
  Partial<Pick<AssociationRequest, 'source' | 'addons'>>;

/**
 * Every guardrail violation of a request, in entry order: denied managed policies (given or
 * added by well-known policies), denied actions in inline policies (the entry's
 * `permissionPolicy` and the well-known ones, as they will be created), a boundary other than
 * the enforced one, role ARNs and namespaces outside the allow-lists. Deletes are checked for
 * namespaces only, since they grant nothing; get is not checked.
 */
export function findGuardrailViolations(
  request: CheckedRequest,
  settings: GuardrailSettings,
): GuardrailViolation[] {
  if (request.operation === 'get') return [];
  // An add-on's explicit associations grant what standalone ones do, so they answer to the same rules.
  const addonEntries = (request.addons?.addons ?? []).flatMap((addon) =>
    addon.associations.kind === 'list' ? addon.associations.entries : [],
  );
  return [...request.entries, ...addonEntries].flatMap((entry) =>
    entryViolations(entry, request.operation, settings),
  );
}

/** Throws PolicyGuardViolation listing every violation; returns when there is none. */
export function checkGuardrails(request: CheckedRequest, settings: GuardrailSettings): void {
  const violations = findGuardrailViolations(request, settings);
  if (violations.length === 0) return;
  const subject = request.source === undefined ? 'the request' : describeSource(request.source);
  throw new PolicyGuardViolation(subject, violations);
}
