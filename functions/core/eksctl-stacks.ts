/**
 * The CloudFormation stacks eksctl creates for IAM roles, as this service recognises and edits
 * them: their names and tags (eksctl's `pkg/cfn/manager`), and the role trust policy inside a
 * template. A role such a stack owns is changed only through the stack, never behind its back.
 */
import { NamedError } from './errors.ts';

/** Finds eksctl's pod identity role stack of an association, if eksctl made its role. */
export type FindEksctlRoleStack = (
  clusterName: string,
  namespace: string,
  serviceAccount: string,
) => Promise<{ stackName: string } | undefined>;

/** Every change set this service creates starts so (its IAM allows only these names). */
export const CHANGE_SET_PREFIX = 'eks-pia-';

export const IAM_SERVICE_ACCOUNT_TAG = 'alpha.eksctl.io/iamserviceaccount-name';
export const POD_IDENTITY_ASSOCIATION_TAG = 'alpha.eksctl.io/podidentityassociation-name';
export const ADDON_POD_IDENTITY_ASSOCIATION_TAG =
  'alpha.eksctl.io/addon-podidentityassociation-name';
export const CLUSTER_NAME_TAG = 'alpha.eksctl.io/cluster-name';
export const LEGACY_CLUSTER_NAME_TAG = 'eksctl.cluster.k8s.io/v1alpha1/cluster-name';

/**
 * Stack names this service may update or delete (its IAM permissions name the same patterns):
 * eksctl's iamserviceaccount stacks and its pod identity role stacks, standalone and add-on.
 */
export const EKSCTL_ROLE_STACK_PATTERNS = [
  'eksctl-*-addon-iamserviceaccount-*',
  'eksctl-*-podidentityrole-*',
] as const;

export function isEksctlRoleStackName(name: string): boolean {
  return /^eksctl-.+-(addon-iamserviceaccount|podidentityrole)-.+$/.test(name);
}

/**
 * The stacks eksctl may have made for the role of `<namespace>/<serviceAccount>`'s association:
 * the pod identity role stack, and an iamserviceaccount stack the migration re-tagged (eksctl's
 * `update`/`delete podidentityassociation` match the same two suffixes).
 */
export function podIdentityRoleStackNames(
  clusterName: string,
  namespace: string,
  serviceAccount: string,
): string[] {
  return [
    `eksctl-${clusterName}-podidentityrole-${namespace}-${serviceAccount}`,
    `eksctl-${clusterName}-addon-iamserviceaccount-${namespace}-${serviceAccount}`,
  ];
}

export class StackTemplateError extends NamedError {
  override readonly name = 'StackTemplateError';
}

type Template = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A template as eksctl writes it: JSON. eksctl renders its templates as JSON and edits them as
 * JSON when it updates a stack, so a template in YAML was replaced outside eksctl; its role is
 * then not eksctl's to the letter any more, and is left alone rather than rewritten.
 */
export function parseTemplateBody(body: string, stackName: string): Template {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new StackTemplateError(
      `the template of stack "${stackName}" is not JSON (${(error as Error).message}): eksctl writes its templates as JSON, so this one was replaced outside eksctl and its role is left alone; change the role through the stack, or put back a JSON template`,
    );
  }
  if (!isRecord(value) || !isRecord(value.Resources)) {
    throw new StackTemplateError(`the template of stack "${stackName}" has no Resources`);
  }
  return value;
}

/** The role's `AssumeRolePolicyDocument` in the template, when it is a plain document. */
export function templateRoleTrust(
  template: Template,
  logicalId: string,
): Record<string, unknown> | undefined {
  const resources = isRecord(template.Resources) ? template.Resources : {};
  const resource = resources[logicalId];
  if (!isRecord(resource) || !isRecord(resource.Properties)) return undefined;
  const trust = resource.Properties.AssumeRolePolicyDocument;
  return isRecord(trust) && Array.isArray(trust.Statement) ? trust : undefined;
}

/** A copy of the template whose role `logicalId` has the given trust policy; nothing else changes. */
export function withRoleTrust(template: Template, logicalId: string, trust: unknown): Template {
  const copy = structuredClone(template);
  const resource = (copy.Resources as Record<string, Record<string, unknown>>)[logicalId];
  if (resource) {
    resource.Properties = {
      ...(isRecord(resource.Properties) ? resource.Properties : {}),
      AssumeRolePolicyDocument: trust,
    };
  }
  return copy;
}
