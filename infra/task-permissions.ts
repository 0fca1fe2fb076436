import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConfigBucket } from './constructs/config-bucket.ts';
import { UnknownGrantError } from './errors.ts';
import type { GuardrailProps } from './guardrails.ts';

/** A cdk-nag finding accepted on purpose, e.g. `AwsSolutions-IAM5[Resource::*]`, and why. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** The IAM a task's function gets beyond writing its own logs and traces. */
export interface TaskPermissions {
  /** Least-privilege statements; empty for a task that calls no AWS API. */
  readonly statements: readonly iam.PolicyStatement[];
  /**
   * cdk-nag findings these statements raise (wildcards the API forces), each with the reason.
   *
   * @default none
   */
  readonly acknowledgements?: readonly Acknowledgement[];
  /**
   * Variables that tell the task what it was granted (`CONFIG_BUCKET`, `EVENT_BUS_NAME`) or the
   * deployment settings that bound what it may do (`GUARDRAILS`), set together with the grant.
   *
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What a permission set may depend on. ARNs are built in the stack's partition/region/account. */
export interface TaskPermissionContext {
  readonly stack: Stack;
  /** The task's own role, for permissions on itself (its identity, its access entries). */
  readonly role: iam.IRole;
  readonly configBucket: ConfigBucket;
  /** The bus the run-completed events go to. */
  readonly eventBusName: string;
  /** The deployment's guardrails; `{}` when none is set. */
  readonly guardrails: GuardrailProps;
  /**
   * Roles whose trust the migration may edit and pass to EKS Pod Identity (ARN patterns).
   *
   * @default the guardrails' allowedRoleArnPatterns, else every role of the account
   */
  readonly migratableRoleArnPatterns?: readonly string[] | undefined;
}

/** A named permission set that task descriptors list in `grants`. */
export interface Grant {
  /** What it allows and why, in one sentence: the README's permission table shows it. */
  readonly summary: string;
  readonly build: (context: TaskPermissionContext) => TaskPermissions;
}

/** Grants by the name task descriptors use. */
export type GrantTable = Readonly<Record<string, Grant>>;

/** Merges parts of a task's permissions; a finding acknowledged twice is kept once. */
export function allOf(...parts: readonly TaskPermissions[]): TaskPermissions {
  const acknowledgements = new Map<string, Acknowledgement>();
  for (const part of parts) {
    for (const acknowledgement of part.acknowledgements ?? []) {
      acknowledgements.set(acknowledgement.id, acknowledgement);
    }
  }
  return {
    statements: parts.flatMap((part) => part.statements),
    acknowledgements: [...acknowledgements.values()],
    environment: Object.assign({}, ...parts.map((part) => part.environment ?? {})),
  };
}

/**
 * The grants of `names`, looked up in `grants`, throwing for a name it does not define.
 *
 * @throws UnknownGrantError naming the task, the unknown grant and the known ones.
 */
export function grantsNamed(
  grants: GrantTable,
  task: string,
  names: readonly string[],
): readonly Grant[] {
  return names.map((name) => {
    const grant = Object.hasOwn(grants, name) ? grants[name] : undefined;
    if (grant === undefined) {
      throw new UnknownGrantError(
        `Task ${task} lists grant "${name}" in its descriptor, but no grant has that name: ` +
          `define it in infra/grants.ts or use one of ${Object.keys(grants).sort().join(', ')}`,
      );
    }
    return grant;
  });
}

/**
 * The IAM of a task whose descriptor lists `names`: its grants built in order and merged, so a
 * finding two grants acknowledge keeps the reason of the later one.
 *
 * @throws UnknownGrantError when `grants` does not define one of the names.
 */
export function taskPermissionsFor(
  grants: GrantTable,
  task: string,
  names: readonly string[],
  context: TaskPermissionContext,
): TaskPermissions {
  return allOf(...grantsNamed(grants, task, names).map((grant) => grant.build(context)));
}

/**
 * What grants are built with outside a deployment: the stack's config bucket, a role of the stack
 * (or `role`), the default bus, and, as the stack always has, an enforced permissions boundary.
 */
export function standaloneGrantContext(
  stack: Stack,
  options: { guardrails?: GuardrailProps; role?: iam.IRole } = {},
): TaskPermissionContext {
  return {
    stack,
    role:
      options.role ??
      new iam.Role(stack, 'ContextRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      }),
    configBucket: new ConfigBucket(stack, 'ConfigBucket'),
    eventBusName: 'default',
    guardrails: {
      enforcedPermissionsBoundaryArn: `arn:aws:iam::${stack.account}:policy/eks-pia/boundary`,
      ...options.guardrails,
    },
  };
}

/**
 * Whether a statement allows only calls another service makes with the task's credentials
 * (`aws:CalledVia`), as CloudFormation does for a stack the task changes: none of the task's own
 * calls can use it.
 */
export function allowsOnlyCallsVia(statement: iam.PolicyStatement): boolean {
  return Object.values(statement.conditions as Record<string, Record<string, unknown>>).some(
    (condition) => Object.hasOwn(condition, 'aws:CalledVia'),
  );
}

/** The actions a task's own calls may use under these permissions. */
export function actionsForOwnCalls(permissions: TaskPermissions): Set<string> {
  return new Set(
    permissions.statements
      .filter((statement) => !allowsOnlyCallsVia(statement))
      .flatMap((statement) => statement.actions),
  );
}
