/**
 * The associations workflow's inputs, and their normalised form.
 *
 * Three shapes start a run:
 * 1. a console input naming a config: `{operation, config: {s3: {bucket, key}} | {inline: {...}},
 *    dryRun?, prune?, region?}`;
 * 2. one association from flags: `{operation: create|update|delete, clusterName, region?,
 *    association: {...}, dryRun?}`, or `{operation: 'get', clusterName, region?, namespace?,
 *    serviceAccountName?}`;
 * 3. the EventBridge "Object Created" event of the config bucket, where the key's first folder
 *    chooses the operation (`create/`, `update/`, `delete/`, `apply/`).
 *
 * Reading happens in steps because an S3 config must be fetched in between:
 * `parseWorkflowInput` checks the shape (and tells which S3 keys to ignore), `validatedConfig`
 * (request-config.ts) reads the config with the config core, then `associationRequestFrom`
 * builds every entry from the validated config. The workflow runs the middle step in a task of
 * its own, so that the YAML parser and the config rules stay out of the task that holds the
 * guardrails' IAM reads (each Lambda bundle within its size budget).
 */

import { type AddonRequest, desiredAddonsFromConfig } from '../addon-plan.ts';
import {
  type ClusterConfig,
  type ConfigIssue,
  ConfigValidationError,
  isClusterName,
  isNamespaceName,
  isRegionName,
  isServiceAccountName,
  issueLine,
  OPERATIONS,
  type Operation,
  type PodIdentityAssociationConfig,
  SCOPES,
  type Scope,
  validateAssociationInput,
  WELL_KNOWN_POLICY_NAMES,
} from '../config/index.ts';
import { NamedError } from '../errors.ts';
import { withoutStartedBy } from '../nested-runs.ts';
import {
  type Partition,
  partitionForRegion,
  UnsupportedRegionError,
} from '../well-known-policies.ts';
import * as z from '../zod.ts';
import { type DesiredAssociation, desiredFromConfig } from './desired.ts';
import type { GuardrailViolation } from './guardrail-violations.ts';
import { describeSource, type RequestSource } from './request-source.ts';

export { describeSource, type RequestSource } from './request-source.ts';

/**
 * A workflow input that is not one of the accepted shapes, or asks for something the shape does
 * not allow. Problems in a config's content are ConfigValidationError instead.
 */
export class InvalidRequestError extends NamedError {
  override readonly name = 'InvalidRequestError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super([`the associations workflow input has ${count}:`, ...issues.map(issueLine)].join('\n'));
    this.issues = issues;
  }
}

/** Key prefixes of the config bucket and the operation each one starts. */
export const TRIGGER_PREFIXES = {
  'create/': 'create',
  'update/': 'update',
  'delete/': 'delete',
  'apply/': 'apply',
} as const satisfies Record<string, Operation>;
export type TriggerOperation = (typeof TRIGGER_PREFIXES)[keyof typeof TRIGGER_PREFIXES];

export const CONFIG_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** Operations that one association given by flags can ask for (eksctl's commands). */
export const FLAG_OPERATIONS = ['create', 'update', 'delete'] as const;
export type FlagOperation = (typeof FLAG_OPERATIONS)[number];

/**
 * The association fields each flag command takes, as eksctl's flags map onto config fields.
 * `permissionPolicy` has no flag in eksctl; an update from flags never reconciles permissions,
 * which is what stops it from stripping an owned role's policies.
 */
export const FLAG_FIELDS: Record<FlagOperation, readonly string[]> = {
  create: [
    'namespace',
    'serviceAccountName',
    'roleARN',
    'roleName',
    'permissionsBoundaryARN',
    'permissionPolicyARNs',
    'wellKnownPolicies',
    'createServiceAccount',
    'tags',
    'targetRoleARN',
    'disableSessionTags',
    'policy',
  ],
  update: [
    'namespace',
    'serviceAccountName',
    'roleARN',
    'targetRoleARN',
    'disableSessionTags',
    'policy',
  ],
  delete: ['namespace', 'serviceAccountName'],
};

export interface S3Location {
  bucket: string;
  key: string;
  versionId?: string | undefined;
}

export type ConfigLocation = { s3: S3Location } | { inline: unknown };

/** A workflow input whose shape is valid, before any config is fetched or validated. */
export type WorkflowInput =
  | {
      kind: 'config';
      operation: Operation;
      config: ConfigLocation;
      trigger: 'event' | 'input';
      dryRun: boolean;
      prune: boolean;
      region?: string | undefined;
      /** The config sections to act on; `all` (associations and add-ons) unless the input narrows it. */
      scope: Scope;
      /** With scope `addons`: only this add-on of the file (eksctl's `create addon -f --name`). */
      addonName?: string | undefined;
    }
  | {
      kind: 'flags';
      operation: FlagOperation;
      clusterName: string;
      region?: string | undefined;
      association: PodIdentityAssociationConfig;
      dryRun: boolean;
    }
  | {
      kind: 'get';
      clusterName: string;
      region?: string | undefined;
      namespace?: string | undefined;
      serviceAccountName?: string | undefined;
    }
  | { kind: 'ignored'; reason: string; bucket: string; key: string };

export type RunnableInput = Exclude<WorkflowInput, { kind: 'ignored' }>;

/** A workflow input that names a ClusterConfig (in S3 or inline). */
export type ConfigInput = Extract<WorkflowInput, { kind: 'config' }>;

/** What one run acts on: every entry normalised, with the cluster and where it is. */
export interface AssociationRequest {
  operation: Operation;
  clusterName: string;
  region: string;
  partition: Partition;
  account: string;
  dryRun: boolean;
  prune: boolean;
  source: RequestSource;
  entries: DesiredAssociation[];
  /** The config's `addons:` section, when the run acts on it (create, update, apply). */
  addons?: AddonRequest | undefined;
  /**
   * The config's associations are every association the cluster should have (an apply of a config
   * whose scope covers them), so the plan lists the cluster's others as undeclared.
   */
  declaresEveryAssociation?: boolean | undefined;
  /** get only: narrow the listing, as eksctl's --namespace/--service-account-name do. */
  filter?: { namespace?: string | undefined; serviceAccount?: string | undefined } | undefined;
  /** Things the user should know that do not stop the run (ignored fields, overridden region). */
  warnings: string[];
  /**
   * The guardrail violations load-association-request accepted the request with because they
   * stand only unless the association already has the role (guardrails.ts,
   * `CurrentRoleCondition`): plan-associations refuses the run, before any change, unless EKS says
   * each of those associations has it.
   */
  currentRoleConditions?: GuardrailViolation[] | undefined;
}

export interface RequestContext {
  /** The region the workflow is deployed in: used when neither config nor input names one. */
  deploymentRegion: string;
  /** The account roles are created in. */
  account: string;
  /** The config the input names, read and validated (`validatedConfig`), when it names one. */
  config?: ClusterConfig | undefined;
  enforcedPermissionsBoundaryArn?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Shape checks

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
};

function zodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'must be set';
    return `must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, got ${describe(issue.input)}`;
  }
  return undefined;
}

function joinPath(base: string, segments: readonly PropertyKey[]): string {
  return segments.reduce<string>(
    (path, segment) =>
      typeof segment === 'number'
        ? `${path}[${segment}]`
        : path === ''
          ? String(segment)
          : `${path}.${String(segment)}`,
    base,
  );
}

/** The value as `schema` reads it, or InvalidRequestError with every issue at its path under `base`. */
export function parseShape<T>(schema: z.ZodMiniType<T>, value: unknown, base = ''): T {
  const result = schema.safeParse(value, { error: zodMessage });
  if (result.success) return result.data;
  throw new InvalidRequestError(
    result.error.issues.map((issue) => ({
      path: joinPath(base, issue.path),
      message: issue.message,
    })),
  );
}

const operationSchema = z.enum(OPERATIONS);

const consoleConfigSchema = z.strictObject({
  operation: operationSchema,
  config: z.unknown(),
  dryRun: z.optional(z.boolean()),
  prune: z.optional(z.boolean()),
  region: z.optional(z.string()),
  scope: z.optional(z.enum(SCOPES)),
  addonName: z.optional(z.string().check(z.minLength(1))),
});

const s3LocationSchema = z.strictObject({
  bucket: z.string().check(z.minLength(1, 'must name the bucket')),
  key: z.string().check(z.minLength(1, 'must name the object')),
  versionId: z.optional(z.string().check(z.minLength(1))),
});

const flagsSchema = z.strictObject({
  operation: z.enum(FLAG_OPERATIONS),
  clusterName: z.string(),
  region: z.optional(z.string()),
  association: z.record(z.string(), z.unknown()),
  dryRun: z.optional(z.boolean()),
  prune: z.optional(z.boolean()),
});

const getSchema = z.strictObject({
  operation: z.literal('get'),
  clusterName: z.string(),
  region: z.optional(z.string()),
  namespace: z.optional(z.string()),
  serviceAccountName: z.optional(z.string()),
});

/** EventBridge's S3 Object Created event, as far as a run reads it. */
export const s3EventSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.string(),
  detail: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({
      key: z.string().check(z.minLength(1)),
      'version-id': z.optional(z.string()),
    }),
  }),
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pruneIssues(prune: boolean | undefined, operation: string): ConfigIssue[] {
  return prune === true && operation !== 'apply'
    ? [
        {
          path: 'prune',
          message: `prune is only valid with operation apply (got ${operation}): it deletes associations this service created that the config no longer lists; remove prune or use operation apply`,
        },
      ]
    : [];
}

/** A `config` field: `{s3: {bucket, key, versionId?}}` or `{inline: ...}`, else InvalidRequestError. */
export function configLocation(value: unknown): ConfigLocation {
  if (!isObject(value) || 's3' in value === 'inline' in value) {
    throw new InvalidRequestError([
      {
        path: 'config',
        message:
          'must be {"s3": {"bucket": ..., "key": ...}} to read a ClusterConfig from S3, or {"inline": {apiVersion: eksctl.io/v1alpha5, kind: ClusterConfig, ...}} to pass it directly',
      },
    ]);
  }
  const extra = Object.keys(value).filter((key) => key !== 's3' && key !== 'inline');
  if (extra.length > 0) {
    throw new InvalidRequestError([
      {
        path: 'config',
        message: `unknown field${extra.length === 1 ? '' : 's'} ${extra.join(', ')}; use s3 or inline`,
      },
    ]);
  }
  if ('s3' in value) return { s3: parseShape(s3LocationSchema, value.s3, 'config.s3') };
  return { inline: value.inline };
}

function parseConsoleConfig(input: Record<string, unknown>): WorkflowInput {
  const parsed = parseShape(consoleConfigSchema, input);
  const issues = pruneIssues(parsed.prune, parsed.operation);
  if (parsed.addonName !== undefined && parsed.scope !== 'addons') {
    issues.push({ path: 'addonName', message: 'addonName only applies with scope "addons"' });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return {
    kind: 'config',
    scope: parsed.scope ?? 'all',
    addonName: parsed.addonName,
    operation: parsed.operation,
    config: configLocation(parsed.config),
    trigger: 'input',
    dryRun: parsed.dryRun ?? false,
    prune: parsed.prune ?? false,
    region: parsed.region,
  };
}

function clusterNameIssues(clusterName: string): ConfigIssue[] {
  if (clusterName === '') {
    return [
      {
        path: 'clusterName',
        message: 'clusterName must be set (the EKS cluster, eksctl --cluster)',
      },
    ];
  }
  return isClusterName(clusterName)
    ? []
    : [
        {
          path: 'clusterName',
          message: `${JSON.stringify(clusterName)} is not a valid EKS cluster name; use 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit`,
        },
      ];
}

/** eksctl's `--well-known-policies` list (names matched without regard to case) as the config's mapping. */
function wellKnownFromList(names: readonly unknown[]): ConfigIssue[] | Record<string, boolean> {
  const flags: Record<string, boolean> = {};
  const issues: ConfigIssue[] = [];
  names.forEach((name, index) => {
    const known = WELL_KNOWN_POLICY_NAMES.find(
      (candidate) => typeof name === 'string' && candidate.toLowerCase() === name.toLowerCase(),
    );
    if (known === undefined) {
      issues.push({
        path: `association.wellKnownPolicies[${index}]`,
        message: `invalid wellKnownPolicy: ${String(name)}; use one of ${WELL_KNOWN_POLICY_NAMES.join(', ')}`,
      });
    } else {
      flags[known] = true;
    }
  });
  return issues.length > 0 ? issues : flags;
}

function parseFlags(input: Record<string, unknown>): WorkflowInput {
  const parsed = parseShape(flagsSchema, input);
  const issues = [
    ...clusterNameIssues(parsed.clusterName),
    ...pruneIssues(parsed.prune, parsed.operation),
  ];
  const allowed = FLAG_FIELDS[parsed.operation];
  const association: Record<string, unknown> = { ...parsed.association };
  for (const field of Object.keys(association)) {
    if (!allowed.includes(field)) {
      const hint =
        parsed.operation === 'update'
          ? "; to reconcile an owned role's permissions, put the entry in a config file and update or apply it"
          : field === 'permissionPolicy'
            ? '; an inline permissionPolicy can only come from a config file, as in eksctl'
            : '';
      issues.push({
        path: `association.${field}`,
        message: `cannot be used with operation ${parsed.operation} from flags; allowed fields: ${allowed.join(', ')}${hint}`,
      });
    }
  }
  if (Array.isArray(association.wellKnownPolicies)) {
    const converted = wellKnownFromList(association.wellKnownPolicies);
    if (Array.isArray(converted)) issues.push(...converted);
    else association.wellKnownPolicies = converted;
  }
  // eksctl's update flag rule; the config core only checks the pairing for operations that create.
  if (
    parsed.operation === 'update' &&
    association.policy !== undefined &&
    association.disableSessionTags === false
  ) {
    issues.push({
      path: 'association.disableSessionTags',
      message: '--disable-session-tags must be set to true when using --policy',
    });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return {
    kind: 'flags',
    operation: parsed.operation,
    clusterName: parsed.clusterName,
    region: parsed.region,
    association: validateAssociationInput(association, parsed.operation, { path: 'association' }),
    dryRun: parsed.dryRun ?? false,
  };
}

function parseGet(input: Record<string, unknown>): WorkflowInput {
  const parsed = parseShape(getSchema, input);
  const issues = clusterNameIssues(parsed.clusterName);
  const namespace = parsed.namespace === '' ? undefined : parsed.namespace;
  const serviceAccountName =
    parsed.serviceAccountName === '' ? undefined : parsed.serviceAccountName;
  if (serviceAccountName !== undefined && namespace === undefined) {
    issues.push({
      path: 'serviceAccountName',
      message: 'namespace must be set in order to specify serviceAccountName',
    });
  }
  if (namespace !== undefined && !isNamespaceName(namespace)) {
    issues.push({
      path: 'namespace',
      message: `${JSON.stringify(namespace)} is not a valid Kubernetes namespace name`,
    });
  }
  if (serviceAccountName !== undefined && !isServiceAccountName(serviceAccountName)) {
    issues.push({
      path: 'serviceAccountName',
      message: `${JSON.stringify(serviceAccountName)} is not a valid Kubernetes service account name`,
    });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return {
    kind: 'get',
    clusterName: parsed.clusterName,
    region: parsed.region,
    namespace,
    serviceAccountName,
  };
}

/**
 * S3 event keys are URL-encoded with `+` for a space (a literal `+` arrives as `%2B`), so the
 * plus signs must become spaces before percent-decoding, never after.
 */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new InvalidRequestError([
      {
        path: 'detail.object.key',
        message: `${JSON.stringify(key)} is not a valid URL-encoded S3 object key`,
      },
    ]);
  }
}

/**
 * The operation a (decoded) config bucket key starts, or why the key starts nothing. Prefixes are
 * matched exactly, since S3 keys are case-sensitive; the extension is not, since editors and
 * exports write `.YAML` too.
 */
export function operationForKey(
  key: string,
): { operation: TriggerOperation } | { ignored: string } {
  if (key.endsWith('/'))
    return { ignored: `${JSON.stringify(key)} is a folder marker, not a config file` };
  const prefix = (Object.keys(TRIGGER_PREFIXES) as (keyof typeof TRIGGER_PREFIXES)[]).find(
    (candidate) => key.startsWith(candidate),
  );
  if (prefix === undefined) {
    return {
      ignored: `${JSON.stringify(key)} is not under ${Object.keys(TRIGGER_PREFIXES).join(', ')}; only keys under those prefixes start a run`,
    };
  }
  const lower = key.toLowerCase();
  if (!CONFIG_EXTENSIONS.some((extension) => lower.endsWith(extension))) {
    return {
      ignored: `${JSON.stringify(key)} does not end in ${CONFIG_EXTENSIONS.join(', ')}; only eksctl config files start a run`,
    };
  }
  return { operation: TRIGGER_PREFIXES[prefix] };
}

function parseS3Event(input: Record<string, unknown>): WorkflowInput {
  const event = parseShape(s3EventSchema, input);
  const bucket = event.detail.bucket.name;
  const rawKey = event.detail.object.key;
  if (event['detail-type'] !== 'Object Created') {
    return {
      kind: 'ignored',
      reason: `${event['detail-type']} events do not start a run; only Object Created does`,
      bucket,
      key: rawKey,
    };
  }
  const key = decodeS3Key(rawKey);
  const route = operationForKey(key);
  if ('ignored' in route) return { kind: 'ignored', reason: route.ignored, bucket, key };
  return {
    kind: 'config',
    operation: route.operation,
    config: { s3: { bucket, key, versionId: event.detail.object['version-id'] } },
    scope: 'all',
    trigger: 'event',
    dryRun: false,
    prune: false,
  };
}

const ACCEPTED_SHAPES =
  'expected {operation, config: {s3: {bucket, key}} | {inline: {...}}, dryRun?, prune?}, ' +
  '{operation: create|update|delete, clusterName, region?, association: {...}, dryRun?}, ' +
  '{operation: get, clusterName, region?, namespace?, serviceAccountName?}, ' +
  'or an EventBridge S3 Object Created event';

/**
 * Checks the shape of a workflow input and says which kind it is. Throws InvalidRequestError
 * (shape) or ConfigValidationError (an association given by flags breaks the config rules).
 * An S3 event for a key outside the trigger prefixes is not an error: it comes back as
 * `{kind: 'ignored', reason}` so the run can end quietly with the reason in its output.
 */
export function parseWorkflowInput(given: unknown): WorkflowInput {
  if (!isObject(given)) {
    throw new InvalidRequestError([
      { path: '', message: `got ${describe(given)}; ${ACCEPTED_SHAPES}` },
    ]);
  }
  const input = withoutStartedBy(given) as Record<string, unknown>;
  if (input.source === 'aws.s3' || 'detail-type' in input) return parseS3Event(input);
  if ('config' in input && 'association' in input) {
    throw new InvalidRequestError([
      {
        path: '',
        message:
          'give either config (a ClusterConfig) or association (one association from flags), not both',
      },
    ]);
  }
  if ('operation' in input && !(OPERATIONS as readonly unknown[]).includes(input.operation)) {
    throw new InvalidRequestError([
      {
        path: 'operation',
        message: `must be one of ${OPERATIONS.map((operation) => JSON.stringify(operation)).join(', ')}, got ${JSON.stringify(input.operation)}`,
      },
    ]);
  }
  if ('config' in input) return parseConsoleConfig(input);
  if (input.operation === 'get') return parseGet(input);
  if ('association' in input) return parseFlags(input);
  if ('operation' in input) {
    throw new InvalidRequestError([
      {
        path: '',
        message: `operation ${JSON.stringify(input.operation)} needs a config or an association; ${ACCEPTED_SHAPES}`,
      },
    ]);
  }
  throw new InvalidRequestError([{ path: '', message: ACCEPTED_SHAPES }]);
}

// ---------------------------------------------------------------------------------------------
// Building the request

function regionAndPartition(
  region: string,
  path: string,
): { region: string; partition: Partition } {
  if (!isRegionName(region)) {
    throw new InvalidRequestError([
      {
        path,
        message: `${JSON.stringify(region)} is not a valid AWS region name; use a region code such as us-west-2`,
      },
    ]);
  }
  try {
    return { region, partition: partitionForRegion(region) };
  } catch (error) {
    if (error instanceof UnsupportedRegionError) {
      throw new InvalidRequestError([{ path, message: error.message }]);
    }
    throw error;
  }
}

/** Builds every entry, collecting the problems of all of them into one error. */
function desiredEntries(
  entries: readonly { entry: PodIdentityAssociationConfig; path: string }[],
  context: Omit<Parameters<typeof desiredFromConfig>[1], 'path'>,
  subject: string,
): DesiredAssociation[] {
  const issues: ConfigIssue[] = [];
  const desired: DesiredAssociation[] = [];
  for (const { entry, path } of entries) {
    try {
      desired.push(desiredFromConfig(entry, { ...context, path }));
    } catch (error) {
      if (!(error instanceof ConfigValidationError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ConfigValidationError(subject, issues);
  return desired;
}

/** Where a config input's associations come from, for messages and the report. */
export function configSource(input: ConfigInput): RequestSource {
  if (!('s3' in input.config)) return { kind: 'inline' };
  const { bucket, key, versionId } = input.config.s3;
  return { kind: 's3', bucket, key, versionId, trigger: input.trigger };
}

/**
 * The normalised request of a run. The region is the config's `metadata.region`, else the
 * input's `region`, else the deployment's. Throws ConfigValidationError listing every problem of
 * the config, or InvalidRequestError. Guardrails are checked separately (`checkGuardrails`), so
 * a dry run can show a plan only for a request that passed both.
 */
export function associationRequestFrom(
  input: RunnableInput,
  context: RequestContext,
): AssociationRequest {
  const warnings: string[] = [];
  const base = {
    account: context.account,
    enforcedPermissionsBoundaryArn: context.enforcedPermissionsBoundaryArn,
  };

  if (input.kind === 'config') {
    const source = configSource(input);
    const config = context.config;
    if (config === undefined) {
      throw new InvalidRequestError([
        {
          path: 'config',
          message: `the config of ${describeSource(source)} was not read and validated before building the request`,
        },
      ]);
    }
    if (input.region !== undefined && input.region !== config.metadata.region) {
      warnings.push(
        `region ${input.region} from the input was ignored: the config's metadata.region (${config.metadata.region}) decides, as in eksctl`,
      );
    }
    const { region, partition } = regionAndPartition(config.metadata.region, 'metadata.region');
    const clusterName = config.metadata.name;
    const roleContext = { ...base, clusterName, partition, clusterTags: config.metadata.tags };
    const entries =
      input.operation === 'get' || input.scope === 'addons'
        ? []
        : desiredEntries(
            (config.iam?.podIdentityAssociations ?? []).map((entry, index) => ({
              entry,
              path: `iam.podIdentityAssociations[${index}]`,
            })),
            roleContext,
            `ClusterConfig ${describeSource(source)}`,
          );
    let addons: AddonRequest | undefined;
    const configAddons = config.addons ?? [];
    if (input.scope !== 'associations' && configAddons.length > 0) {
      if (input.operation === 'delete') {
        warnings.push(
          'the addons: section is left alone by a delete run; delete an add-on with EKS (aws eks delete-addon) when you mean to',
        );
      } else if (input.operation !== 'get') {
        const built = desiredAddonsFromConfig(
          configAddons,
          config.addonsConfig,
          roleContext,
          input.addonName,
        );
        addons = built.request;
        warnings.push(...built.warnings);
      }
    }
    return {
      operation: input.operation,
      clusterName,
      region,
      partition,
      account: context.account,
      dryRun: input.dryRun,
      prune: input.prune,
      source,
      entries,
      declaresEveryAssociation: input.operation === 'apply' && input.scope !== 'addons',
      addons,
      warnings: [
        ...warnings,
        ...entries.flatMap((entry) => entry.ignored),
        ...(addons?.addons ?? []).flatMap((addon) =>
          addon.associations.kind === 'list'
            ? addon.associations.entries.flatMap((entry) => entry.ignored)
            : [],
        ),
      ],
    };
  }

  const { region, partition } = regionAndPartition(
    input.region ?? context.deploymentRegion,
    'region',
  );
  if (input.kind === 'get') {
    return {
      operation: 'get',
      clusterName: input.clusterName,
      region,
      partition,
      account: context.account,
      dryRun: false,
      prune: false,
      source: { kind: 'flags' },
      entries: [],
      filter: { namespace: input.namespace, serviceAccount: input.serviceAccountName },
      warnings,
    };
  }
  const entries = desiredEntries(
    [{ entry: input.association, path: 'association' }],
    { ...base, clusterName: input.clusterName, partition },
    'pod identity association',
  );
  return {
    operation: input.operation,
    clusterName: input.clusterName,
    region,
    partition,
    account: context.account,
    dryRun: input.dryRun,
    prune: false,
    source: { kind: 'flags' },
    entries,
    warnings: entries.flatMap((entry) => entry.ignored),
  };
}
