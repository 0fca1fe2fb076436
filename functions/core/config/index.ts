/**
 * The eksctl ClusterConfig core: schema, reading, and validation by operation.
 * Import from here; the files behind it are arranged for maintenance, not for callers.
 */
export {
  ARN_PARTITIONS,
  isClusterName,
  isNamespaceName,
  isPolicyArn,
  isRegionName,
  isRoleArn,
  isRoleName,
  isServiceAccountName,
} from './formats.ts';
export { type ConfigIssue, ConfigValidationError, issueLine } from './issues.ts';
export { OPERATIONS, type Operation } from './operations.ts';
export {
  MAX_CONFIG_BYTES,
  type ParseOptions,
  parseClusterConfig,
  parseClusterConfigValue,
  validateAssociationInput,
} from './parse.ts';
export {
  iamTagCharacterProblems,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS_PER_ASSOCIATION,
  reservedTagKeyProblems,
  SCOPES,
  type Scope,
} from './rules.ts';
export {
  type AddonConfig,
  type AddonsConfig,
  API_VERSION,
  addonSchema,
  addonsConfigSchema,
  associationKey,
  type ClusterConfig,
  type ClusterMetadata,
  carriesPermissions,
  clusterConfigSchema,
  clusterIamSchema,
  clusterMetadataSchema,
  hasPermissionPolicy,
  hasWellKnownPolicy,
  KIND,
  type PodIdentityAssociationConfig,
  type PolicyDocumentObject,
  podIdentityAssociationSchema,
  policyDocumentObjectSchema,
  RESOLVE_CONFLICTS_VALUES,
  type ResolveConflicts,
  WELL_KNOWN_POLICY_NAMES,
  type WellKnownPolicies,
  type WellKnownPolicyName,
  wellKnownPoliciesSchema,
} from './schema.ts';
export { MAX_YAML_ALIASES } from './yaml-text.ts';
