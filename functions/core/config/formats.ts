/**
 * Shapes of the names and ARNs a ClusterConfig carries. eksctl passes these through to
 * CloudFormation, IAM and EKS unchecked, so a typo surfaces minutes later as a failed stack or
 * API call; checking them while reading the file fails the run before anything changes.
 */

/** Partitions this service serves (the isolated ones use other ARN prefixes and endpoints). */
export const ARN_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;

const PARTITION = `(?:${ARN_PARTITIONS.join('|')})`;
const ACCOUNT_ID = '\\d{12}';
/** One IAM path segment: printable ASCII except `/` (IAM allows `\u0021-\u007E` in paths). */
const PATH_SEGMENT = '[\\u0021-\\u002E\\u0030-\\u007E]+';
const IAM_NAME = '[\\w+=,.@-]';

const ROLE_ARN = new RegExp(
  `^arn:${PARTITION}:iam::${ACCOUNT_ID}:role/(?:${PATH_SEGMENT}/)*${IAM_NAME}{1,64}$`,
);
/** A role ARN whatever its name's length, the name captured. */
const ROLE_ARN_ANY_NAME_LENGTH = new RegExp(
  `^arn:${PARTITION}:iam::${ACCOUNT_ID}:role/(?:${PATH_SEGMENT}/)*(${IAM_NAME}+)$`,
);
const POLICY_ARN = new RegExp(
  `^arn:${PARTITION}:iam::(?:aws|${ACCOUNT_ID}):policy/(?:${PATH_SEGMENT}/)*${IAM_NAME}{1,128}$`,
);
const ROLE_NAME = new RegExp(`^${IAM_NAME}{1,64}$`);
const POLICY_NAME = new RegExp(`^${IAM_NAME}{1,128}$`);
const DNS_1123_LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const NAMESPACE_NAME = new RegExp(`^${DNS_1123_LABEL}$`);
const DNS_1123_SUBDOMAIN = new RegExp(`^${DNS_1123_LABEL}(?:\\.${DNS_1123_LABEL})*$`);
/** EKS CreateCluster's name constraint. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;

export const MAX_NAMESPACE_LENGTH = 63;
export const MAX_SERVICE_ACCOUNT_NAME_LENGTH = 253;

export function isRoleArn(value: string): boolean {
  return ROLE_ARN.test(value);
}

/**
 * The role's name when the ARN is right but for that name's length, which IAM limits to 64
 * characters (a fleet config's `{{cluster}}` filled in with a long cluster name, say).
 */
export function overlongRoleArnName(value: string): string | undefined {
  const name = ROLE_ARN_ANY_NAME_LENGTH.exec(value)?.[1];
  return name !== undefined && !isRoleName(name) ? name : undefined;
}

export function isPolicyArn(value: string): boolean {
  return POLICY_ARN.test(value);
}

export function isRoleName(value: string): boolean {
  return ROLE_NAME.test(value);
}

export function isPolicyName(value: string): boolean {
  return POLICY_NAME.test(value);
}

/** Kubernetes namespaces are DNS-1123 labels. */
export function isNamespaceName(value: string): boolean {
  return value.length <= MAX_NAMESPACE_LENGTH && NAMESPACE_NAME.test(value);
}

/** Kubernetes service account names are DNS-1123 subdomains. */
export function isServiceAccountName(value: string): boolean {
  return value.length <= MAX_SERVICE_ACCOUNT_NAME_LENGTH && DNS_1123_SUBDOMAIN.test(value);
}

export function isClusterName(value: string): boolean {
  return CLUSTER_NAME.test(value);
}

export { isRegionName } from '../well-known-policies.ts';
