/**
 * The eksctl `ClusterConfig` (apiVersion eksctl.io/v1alpha5) as far as pod identity needs it.
 *
 * Decoding follows eksctl's: a field nobody declared is an error (eksctl decodes strictly, so
 * a misspelt `roleArn` must not silently mean "no role"), and `null` counts as "not set"
 * (Go decodes `roleARN:` with nothing after it into the zero value).
 *
 * The sections eksctl knows but pod identity does not act on (vpc, nodeGroups,
 * iam.serviceAccounts, ...) are accepted as opaque values: platform teams keep one file per
 * cluster and drop the same file here that they give `eksctl create cluster`. Checking those
 * sections belongs to eksctl, and a stale copy of its schema here would reject valid files.
 *
 * Field types are checked here; which fields must be set, and how they combine, depends on
 * the operation and lives in rules.ts, so that eksctl's own messages can be used for them.
 */

import { WELL_KNOWN_POLICY_KEYS, type WellKnownPolicyKey } from '../well-known-policies.ts';
import * as z from '../zod.ts';
import { closestName, listInEnglish, quote, typeMismatch } from './wording.ts';

export const API_VERSION = 'eksctl.io/v1alpha5';
export const KIND = 'ClusterConfig';

/** eksctl's well-known policy flags, in eksctl's order (the expansion lives beside the policies). */
export const WELL_KNOWN_POLICY_NAMES = WELL_KNOWN_POLICY_KEYS;
export type WellKnownPolicyName = WellKnownPolicyKey;

export const RESOLVE_CONFLICTS_VALUES = ['none', 'overwrite', 'preserve'] as const;
export type ResolveConflicts = (typeof RESOLVE_CONFLICTS_VALUES)[number];

function withoutNullFields(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

/** Bounds the message (and the suggestion work) for a mapping full of stray keys. */
const MAX_LISTED_UNKNOWN_FIELDS = 10;

function unknownFieldsMessage(
  keys: readonly string[],
  known: readonly string[],
  misplaced: Readonly<Record<string, string>>,
): string {
  const described = keys.slice(0, MAX_LISTED_UNKNOWN_FIELDS).map((key) => {
    const home = misplaced[key];
    if (home !== undefined) return `${quote(key)} (did you mean to put it under ${quote(home)}?)`;
    const suggestion = closestName(key, known);
    return suggestion === undefined
      ? quote(key)
      : `${quote(key)} (did you mean ${quote(suggestion)}?)`;
  });
  const unlisted = keys.length - described.length;
  if (unlisted > 0) described.push(`${unlisted} more`);
  return `unknown field${keys.length === 1 ? '' : 's'} ${listInEnglish(described)}`;
}

/**
 * A mapping with a fixed set of fields. `misplaced` names fields that belong to another
 * section, for the hint (a top-level `podIdentityAssociations` belongs under `iam`).
 */
function section<Shape extends z.core.$ZodShape>(
  shape: Shape,
  misplaced: Readonly<Record<string, string>> = {},
) {
  const known = Object.keys(shape);
  return z.pipe(
    z.transform(withoutNullFields),
    z.strictObject(shape, {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? unknownFieldsMessage(issue.keys, known, misplaced)
          : undefined,
    }),
  );
}

/** A section eksctl knows and this service passes over; see the module comment. */
const opaque = z.optional(z.unknown());

/**
 * Keys that a plain object cannot hold as data: assigning `__proto__` replaces the object's
 * prototype instead of adding an entry, so zod drops such a key and the tag would vanish without
 * a word. They are refused before the map is read.
 */
export const RESERVED_MAP_KEYS = ['__proto__'] as const;

const stringMap = z.pipe(
  z.unknown().check(
    z.superRefine((value, context) => {
      if (typeof value !== 'object' || value === null) return;
      for (const key of RESERVED_MAP_KEYS) {
        if (Object.hasOwn(value, key)) {
          context.addIssue({
            code: 'custom',
            path: [key],
            message: `key "${key}" cannot be used: it is reserved in JavaScript objects, so the entry would be lost; choose another key`,
            abort: true,
          });
        }
      }
    }),
  ),
  z.record(z.string(), z.string()),
);

/** An IAM policy document written inline in the file (eksctl's InlineDocument). */
export const policyDocumentObjectSchema = z.record(z.string(), z.unknown());

export const wellKnownPoliciesSchema = section({
  imageBuilder: z.optional(z.boolean()),
  autoScaler: z.optional(z.boolean()),
  awsLoadBalancerController: z.optional(z.boolean()),
  externalDNS: z.optional(z.boolean()),
  certManager: z.optional(z.boolean()),
  ebsCSIController: z.optional(z.boolean()),
  efsCSIController: z.optional(z.boolean()),
});

const sessionPolicyTextSchema = z.string({
  error: (issue) =>
    issue.code === 'invalid_type'
      ? `${typeMismatch('string', issue.input)}; write the session policy as JSON text, ` +
        `e.g. policy: '{"Version": "2012-10-17", "Statement": [...]}'`
      : undefined,
});

/** One entry of `iam.podIdentityAssociations` or `addons[].podIdentityAssociations`. */
export const podIdentityAssociationSchema = section({
  namespace: z._default(z.string(), ''),
  serviceAccountName: z._default(z.string(), ''),
  roleARN: z.optional(z.string()),
  createServiceAccount: z.optional(z.boolean()),
  roleName: z.optional(z.string()),
  permissionsBoundaryARN: z.optional(z.string()),
  permissionPolicyARNs: z.optional(z.array(z.string())),
  permissionPolicyName: z.optional(z.string()),
  permissionPolicy: z.optional(policyDocumentObjectSchema),
  wellKnownPolicies: z.optional(wellKnownPoliciesSchema),
  tags: z.optional(stringMap),
  targetRoleARN: z.optional(z.string()),
  disableSessionTags: z.optional(z.boolean()),
  /** Session policy as JSON text, passed to EKS as is. */
  policy: z.optional(sessionPolicyTextSchema),
});

// eksctl matches resolveConflicts without regard to case.
const resolveConflictsSchema = z.pipe(
  z.string(),
  z.transform((value, context): ResolveConflicts => {
    const lowered = value.toLowerCase();
    const known = RESOLVE_CONFLICTS_VALUES.find((candidate) => candidate === lowered);
    if (known !== undefined) return known;
    context.issues.push({
      code: 'custom',
      input: value,
      message: `${quote(value)} is not a valid resolveConflict value; use none, overwrite or preserve`,
    });
    return z.NEVER;
  }),
);

export const addonSchema = section({
  name: z._default(z.string(), ''),
  version: z.optional(z.string()),
  serviceAccountRoleARN: z.optional(z.string()),
  attachPolicyARNs: z.optional(z.array(z.string())),
  attachPolicy: z.optional(policyDocumentObjectSchema),
  permissionsBoundary: z.optional(z.string()),
  wellKnownPolicies: z.optional(wellKnownPoliciesSchema),
  tags: z.optional(stringMap),
  resolveConflicts: z.optional(resolveConflictsSchema),
  /** Left out (undefined) keeps what the addon has; `[]` removes every association. */
  podIdentityAssociations: z.optional(z.array(podIdentityAssociationSchema)),
  useDefaultPodIdentityAssociations: z.optional(z.boolean()),
  configurationValues: z.optional(z.string()),
  publishers: z.optional(z.array(z.string())),
  types: z.optional(z.array(z.string())),
  owners: z.optional(z.array(z.string())),
  namespaceConfig: opaque,
});

export const addonsConfigSchema = section({
  autoApplyPodIdentityAssociations: z.optional(z.boolean()),
  disableDefaultAddons: z.optional(z.boolean()),
});

export const clusterMetadataSchema = z._default(
  section({
    name: z._default(z.string(), ''),
    region: z._default(z.string(), ''),
    version: z.optional(z.string()),
    tags: z.optional(stringMap),
    annotations: z.optional(stringMap),
  }),
  { name: '', region: '' },
);

export const clusterIamSchema = section({
  podIdentityAssociations: z.optional(z.array(podIdentityAssociationSchema)),
  serviceRoleARN: opaque,
  serviceRolePermissionsBoundary: opaque,
  fargatePodExecutionRoleARN: opaque,
  fargatePodExecutionRolePermissionsBoundary: opaque,
  withOIDC: opaque,
  serviceAccounts: opaque,
  vpcResourceControllerPolicy: opaque,
});

function fixedValue(field: string, expected: string) {
  return z.literal(expected, {
    error: (issue) =>
      issue.input === undefined
        ? `${field} must be set to ${quote(expected)}`
        : typeof issue.input === 'string'
          ? `${field} ${quote(issue.input)} is not supported; use ${field}: ${expected}`
          : `${field} ${typeMismatch('string', issue.input)}; use ${field}: ${expected}`,
  });
}

export const clusterConfigSchema = section(
  {
    apiVersion: fixedValue('apiVersion', API_VERSION),
    kind: fixedValue('kind', KIND),
    metadata: clusterMetadataSchema,
    iam: z.optional(clusterIamSchema),
    addons: z.optional(z.array(addonSchema)),
    addonsConfig: z.optional(addonsConfigSchema),
    accessConfig: opaque,
    autoModeConfig: opaque,
    availabilityZones: opaque,
    capabilities: opaque,
    cloudWatch: opaque,
    fargateProfiles: opaque,
    gitops: opaque,
    iamIdentityMappings: opaque,
    identityProviders: opaque,
    karpenter: opaque,
    kubernetesNetworkConfig: opaque,
    localZones: opaque,
    managedNodeGroups: opaque,
    nodeGroups: opaque,
    outpost: opaque,
    privateCluster: opaque,
    remoteNetworkConfig: opaque,
    secretsEncryption: opaque,
    vpc: opaque,
    zonalShiftConfig: opaque,
  },
  {
    podIdentityAssociations: 'iam',
    serviceAccounts: 'iam',
    withOIDC: 'iam',
    autoApplyPodIdentityAssociations: 'addonsConfig',
    name: 'metadata',
    region: 'metadata',
    version: 'metadata',
    tags: 'metadata',
  },
);

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
export type ClusterMetadata = z.infer<typeof clusterMetadataSchema>;
export type PodIdentityAssociationConfig = z.infer<typeof podIdentityAssociationSchema>;
export type AddonConfig = z.infer<typeof addonSchema>;
export type AddonsConfig = z.infer<typeof addonsConfigSchema>;
export type WellKnownPolicies = z.infer<typeof wellKnownPoliciesSchema>;
export type PolicyDocumentObject = z.infer<typeof policyDocumentObjectSchema>;

/** eksctl's `WellKnownPolicies.HasPolicy()`. */
/** Whether the entry carries an inline `permissionPolicy` (an empty mapping counts as none, as in eksctl). */
export function hasPermissionPolicy(
  entry: Pick<PodIdentityAssociationConfig, 'permissionPolicy'>,
): boolean {
  return entry.permissionPolicy !== undefined && Object.keys(entry.permissionPolicy).length > 0;
}

export function hasWellKnownPolicy(policies: WellKnownPolicies | undefined): boolean {
  return WELL_KNOWN_POLICY_NAMES.some((name) => policies?.[name] === true);
}

/** Whether the entry carries permissions to build a role from (eksctl's role sources minus roleARN). */
export function carriesPermissions(entry: PodIdentityAssociationConfig): boolean {
  return (
    hasPermissionPolicy(entry) ||
    (entry.permissionPolicyARNs?.length ?? 0) > 0 ||
    hasWellKnownPolicy(entry.wellKnownPolicies)
  );
}

/** The key an association is known by: `namespace/serviceAccountName`, like eksctl's IDString. */
export function associationKey(namespace: string, serviceAccountName: string): string {
  return `${namespace}/${serviceAccountName}`;
}
