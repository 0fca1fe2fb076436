/**
 * The simulator's world file: the AWS account and clusters a simulated run starts from.
 * The same shape is written back by `--state-out`, so a run's end state can seed the next run.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { NamedError } from '../../functions/core/errors.ts';
import { roleLogicalIds } from './services/template-resources.ts';

export class WorldFileError extends NamedError {
  override readonly name = 'WorldFileError';
}

const arn = z.string().regex(/^arn:aws(-cn|-us-gov)?:/, 'must be an ARN (arn:aws:...)');
const tags = z.record(z.string(), z.string()).default({});
/** Policy documents are objects in the world file; the simulator URL-encodes them on the wire as IAM does. */
const policyDocument = z.record(z.string(), z.unknown());

const addonSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  status: z
    .enum([
      'CREATING',
      'ACTIVE',
      'CREATE_FAILED',
      'UPDATING',
      'DELETING',
      'DELETE_FAILED',
      'DEGRADED',
      'UPDATE_FAILED',
    ])
    .default('ACTIVE'),
  serviceAccountRoleArn: arn.optional(),
  podIdentityAssociations: z
    .array(z.strictObject({ serviceAccount: z.string(), roleArn: arn }))
    .optional(),
  configurationValues: z.string().optional(),
  tags,
});

const accessPolicySchema = z.strictObject({
  policyArn: z.string().min(1),
  scope: z
    .union([z.literal('cluster'), z.strictObject({ namespaces: z.array(z.string()).min(1) })])
    .default('cluster'),
});

const accessEntrySchema = z.strictObject({
  principalArn: arn,
  type: z.string().default('STANDARD'),
  username: z.string().optional(),
  kubernetesGroups: z.array(z.string()).default([]),
  policies: z.array(accessPolicySchema).default([]),
  tags,
});

const associationSchema = z.strictObject({
  namespace: z.string().min(1),
  serviceAccount: z.string().min(1),
  roleArn: arn,
  associationId: z.string().optional(),
  targetRoleArn: arn.optional(),
  disableSessionTags: z.boolean().optional(),
  policy: z.string().optional(),
  ownerArn: arn.optional(),
  tags,
});

const serviceAccountSchema = z.strictObject({
  namespace: z.string().min(1),
  name: z.string().min(1),
  annotations: z.record(z.string(), z.string()).default({}),
  labels: z.record(z.string(), z.string()).default({}),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })).optional(),
  secrets: z.array(z.strictObject({ name: z.string() })).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});

const podSchema = z.strictObject({
  namespace: z.string().min(1),
  name: z.string().min(1),
  serviceAccount: z.string().default('default'),
});

const clusterSchema = z.strictObject({
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]*$/, 'must be a valid EKS cluster name'),
  status: z
    .enum(['CREATING', 'ACTIVE', 'DELETING', 'FAILED', 'UPDATING', 'PENDING'])
    .default('ACTIVE'),
  /** A CREATING cluster turns ACTIVE after this many DescribeCluster calls. */
  activeAfterDescribes: z.number().int().min(0).default(2),
  version: z.string().default('1.31'),
  oidcIssuer: z.string().url().optional(),
  autoMode: z.boolean().default(false),
  authenticationMode: z
    .enum(['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'])
    .default('API_AND_CONFIG_MAP'),
  endpointPublic: z.boolean().default(true),
  /** Whether the Kubernetes API answers at all (a private endpoint the caller cannot reach). */
  kubernetesReachable: z.boolean().default(true),
  tags,
  namespaces: z.array(z.string()).default([]),
  addons: z.array(addonSchema).default([]),
  accessEntries: z.array(accessEntrySchema).default([]),
  podIdentityAssociations: z.array(associationSchema).default([]),
  serviceAccounts: z.array(serviceAccountSchema).default([]),
  pods: z.array(podSchema).default([]),
});

const roleSchema = z.strictObject({
  name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be a valid IAM role name'),
  path: z
    .string()
    .regex(/^\/([\x21-\x7e]*\/)?$/, 'must start and end with /')
    .default('/'),
  roleId: z.string().optional(),
  description: z.string().optional(),
  maxSessionDuration: z.number().int().default(3600),
  createDate: z.string().optional(),
  assumeRolePolicyDocument: policyDocument,
  attachedPolicies: z.array(arn).default([]),
  inlinePolicies: z.record(z.string(), policyDocument).default({}),
  permissionsBoundary: arn.nullable().default(null),
  tags,
});

/**
 * The document of a customer managed policy the world lists by ARN alone: it allows only
 * `sts:GetCallerIdentity`, which IAM allows every caller anyway, so it grants nothing.
 */
export const GRANTS_NOTHING_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
};

/**
 * A customer managed policy: `{arn, document}` (GetPolicy, GetPolicyVersion answer with it), or
 * its ARN alone, read as a policy that grants nothing ({@link GRANTS_NOTHING_DOCUMENT}).
 */
const managedPolicySchema = z.union([
  arn.transform((policyArn) => ({
    arn: policyArn,
    document: structuredClone(GRANTS_NOTHING_DOCUMENT) as Record<string, unknown>,
  })),
  z.strictObject({
    arn,
    /** The default version's document; the policy has one version, `v1`. */
    document: policyDocument,
  }),
]);

const stackSchema = z.strictObject({
  name: z.string().min(1),
  status: z.string().default('CREATE_COMPLETE'),
  roles: z.array(z.string()).default([]),
  tags,
  outputs: z.record(z.string(), z.string()).default({}),
  /**
   * The stack's template (JSON object). Left out, the simulator writes the one eksctl writes for
   * the stack's roles; its AWS::IAM::Role resources, in order, are the stack's `roles`.
   */
  template: z.record(z.string(), z.unknown()).optional(),
  statusReason: z.string().optional(),
  terminationProtection: z.boolean().default(false),
});

const bucketSchema = z.strictObject({
  name: z.string().min(3),
  objects: z.record(z.string(), z.string()).default({}),
  /**
   * Objects whose content is a file: key → path, relative to the world file. Read when the world
   * is loaded, so a dumped state holds them as `objects`.
   */
  files: z.record(z.string(), z.string()).optional(),
});

const addonVersionSchema = z.strictObject({
  addonName: z.string(),
  addonVersion: z.string(),
  kubernetesVersions: z.array(z.string()),
  defaultFor: z.array(z.string()).default([]),
  podIdentityServiceAccounts: z
    .array(
      z.strictObject({
        serviceAccount: z.string(),
        recommendedManagedPolicies: z.array(z.string()),
      }),
    )
    .default([]),
});

const faultSchema = z.strictObject({
  /** `service:Operation`, e.g. `eks:CreatePodIdentityAssociation` or `kubernetes:patch serviceaccounts`. */
  operation: z.string().regex(/^[a-z0-9-]+:.+$/, 'must look like service:Operation'),
  /** 1-based: the nth call of the operation fails. */
  nth: z.number().int().min(1),
  /** How many consecutive calls fail from the nth on. */
  times: z.number().int().min(1).default(1),
  error: z.string().min(1),
  message: z.string().optional(),
});

const behaviourSchema = z.strictObject({
  latencyMs: z.number().min(0).default(0),
  /**
   * Token buckets per `service:Operation` or `service:*` (Kubernetes: per cluster): requests per
   * second (burst = the rate, at least 1), or `{rate, burst}` to set them apart; rates below 1 work.
   */
  rateLimits: z
    .record(
      z.string(),
      z.union([
        z.number().positive(),
        z.strictObject({ rate: z.number().positive(), burst: z.number().int().min(1) }),
      ]),
    )
    .default({}),
  /** EKS answers "Role provided in the request does not exist" for a new role until this many EKS calls named it. */
  roleVisibleToEksAfterCalls: z.number().int().min(0).default(0),
  /** EKS judges a role by its previous trust policy until this many EKS calls named it after a trust write. */
  trustVisibleToEksAfterCalls: z.number().int().min(0).default(0),
  /** DescribeAddon calls until a CREATING/UPDATING add-on settles. */
  addonDescribesUntilSettled: z.number().int().min(0).default(2),
  /** Status a created add-on settles in, per add-on name (default ACTIVE). */
  addonSettlesAs: z.record(z.string(), z.enum(['ACTIVE', 'CREATE_FAILED', 'DEGRADED'])).default({}),
  /** DescribeStacks / DescribeChangeSet calls until a stack operation or change set settles. */
  stackDescribesUntilSettled: z.number().int().min(1).default(2),
  /** Stack name → the reason its next updates fail with (the stack then rolls back). */
  stackUpdateFailures: z.record(z.string(), z.string()).default({}),
  faults: z.array(faultSchema).default([]),
});

const quotasSchema = z.strictObject({
  assumeRolePolicySize: z.number().int().positive().default(2048),
  attachedPoliciesPerRole: z.number().int().positive().default(10),
  associationsPerCluster: z.number().int().positive().default(5000),
  rolePolicySize: z.number().int().positive().default(10240),
  /** IAM's roles per account: 1,000 unless AWS raised it on request, to at most 5,000. */
  roles: z
    .number()
    .int()
    .positive()
    .max(5000, 'IAM allows at most 5,000 roles per account')
    .default(1000),
});

export const worldSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-west-2'),
  partition: z.enum(['aws', 'aws-cn', 'aws-us-gov']).default('aws'),
  caller: arn,
  clusters: z.array(clusterSchema).default([]),
  openIdConnectProviders: z.array(arn).default([]),
  roles: z.array(roleSchema).default([]),
  /** The account's customer managed policies (AWS managed ones come from AWS's catalogue). */
  managedPolicies: z.array(managedPolicySchema).default([]),
  stacks: z.array(stackSchema).default([]),
  buckets: z.array(bucketSchema).default([]),
  addonVersions: z.array(addonVersionSchema).optional(),
  quotas: quotasSchema.default(quotasSchema.parse({})),
  behaviour: behaviourSchema.default(behaviourSchema.parse({})),
});

export type World = z.infer<typeof worldSchema>;
export type WorldInput = z.input<typeof worldSchema>;
export type WorldCluster = World['clusters'][number];
export type WorldRole = World['roles'][number];
export type WorldManagedPolicy = World['managedPolicies'][number];
export type WorldAddon = WorldCluster['addons'][number];
export type WorldAccessEntry = WorldCluster['accessEntries'][number];
export type WorldAssociation = WorldCluster['podIdentityAssociations'][number];
export type WorldServiceAccount = WorldCluster['serviceAccounts'][number];
export type WorldAddonVersion = NonNullable<World['addonVersions']>[number];
export type WorldBehaviour = World['behaviour'];

/**
 * Parses and validates a world given as YAML or JSON text; `source` names it in errors and
 * `baseDir` is where the paths of bucket `files` start (the world file's folder).
 */
export function parseWorld(text: string, source = 'world', baseDir = process.cwd()): World {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new WorldFileError(`${source}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  const result = worldSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`,
    );
    throw new WorldFileError(`${source} is not a valid simulator world:\n${lines.join('\n')}`);
  }
  assertConsistent(result.data, source);
  for (const bucket of result.data.buckets) {
    for (const [key, file] of Object.entries(bucket.files ?? {})) {
      putFileObject(result.data, `s3://${bucket.name}/${key}`, resolve(baseDir, file), source);
    }
    delete bucket.files;
  }
  return result.data;
}

/**
 * Seeds `s3://bucket/key` with a file's content (a world's bucket `files`, or the CLI's
 * `--s3-object`); the bucket is created when the world has none of that name.
 */
export function putFileObject(world: World, url: string, path: string, source: string): void {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match?.[1] || !match[2]) {
    throw new WorldFileError(`${source}: ${url} is not an S3 object URL; write s3://BUCKET/KEY`);
  }
  const [, name, key] = match;
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WorldFileError(
      `${source}: cannot read ${path} for ${url}: ${(error as Error).message}`,
    );
  }
  let bucket = world.buckets.find((candidate) => candidate.name === name);
  if (!bucket) {
    bucket = { name, objects: {} };
    world.buckets.push(bucket);
  }
  if (Object.hasOwn(bucket.objects, key)) {
    throw new WorldFileError(`${source}: ${url} is given twice (as an object and from ${path})`);
  }
  bucket.objects[key] = content;
}

export function loadWorldFile(path: string): World {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WorldFileError(`cannot read world file ${path}: ${(error as Error).message}`);
  }
  return parseWorld(text, path, dirname(path));
}

/** Cross-references a schema cannot express: duplicates and dangling names. */
function assertConsistent(world: World, source: string): void {
  const problems: string[] = [];
  const duplicates = (label: string, names: string[]) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) problems.push(`${label} "${name}" appears twice`);
      seen.add(name);
    }
  };
  // The world's top-level names, each unique within its kind.
  const namesByKind: ReadonlyArray<readonly [string, string[]]> = [
    ['cluster', world.clusters.map((c) => c.name)],
    ['role', world.roles.map((r) => r.name)],
    ['stack', world.stacks.map((s) => s.name)],
    ['managed policy', world.managedPolicies.map((p) => p.arn)],
    ['bucket', world.buckets.map((b) => b.name)],
  ];
  for (const [label, names] of namesByKind) duplicates(label, names);
  if (world.roles.length > world.quotas.roles) {
    problems.push(
      `${world.roles.length} roles, more than the account's quota of ${world.quotas.roles}: raise quotas.roles (IAM allows up to 5,000 by request)`,
    );
  }
  const roleNames = new Set(world.roles.map((r) => r.name));
  for (const stack of world.stacks) {
    for (const role of stack.roles) {
      if (!roleNames.has(role))
        problems.push(`stack "${stack.name}" names role "${role}", which is not in roles`);
    }
    const templateRoles = stack.template ? roleLogicalIds(stack.template).length : undefined;
    if (templateRoles !== undefined && templateRoles !== stack.roles.length) {
      problems.push(
        `stack "${stack.name}" has ${templateRoles} AWS::IAM::Role resource(s) in its template but names ${stack.roles.length} role(s)`,
      );
    }
  }
  for (const cluster of world.clusters) {
    duplicates(
      `service account in cluster ${cluster.name}`,
      cluster.serviceAccounts.map((sa) => `${sa.namespace}/${sa.name}`),
    );
    duplicates(
      `pod identity association in cluster ${cluster.name} for`,
      cluster.podIdentityAssociations.map((a) => `${a.namespace}/${a.serviceAccount}`),
    );
    duplicates(
      `add-on in cluster ${cluster.name}`,
      cluster.addons.map((a) => a.name),
    );
  }
  if (problems.length > 0) {
    throw new WorldFileError(
      `${source} is not a valid simulator world:\n  ${problems.join('\n  ')}`,
    );
  }
}
