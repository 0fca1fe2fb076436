/**
 * The CloudFormation stacks eksctl creates for IAM roles, as this service recognises and edits
 * them: their names and tags (eksctl's `pkg/cfn/manager`), and the role trust policy inside a
 * template. A role such a stack owns is changed only through the stack, never behind its back.
 */
import { NamedError } from './errors.ts';

/** eksctl's role stack of an association as it was found: by its name, which alone proves nothing. */
export interface EksctlRoleStack {
  stackName: string;
  /** The stack's tags, which say whose association it is (see {@link eksctlRoleStackNotOwned}). */
  tags: Record<string, string>;
  /** The role ARN of the stack's `Role1` output (eksctl's output for its role), when it has one. */
  roleArn?: string | undefined;
}

/** Finds eksctl's pod identity role stack of an association, if eksctl made its role. */
export type FindEksctlRoleStack = (
  clusterName: string,
  namespace: string,
  serviceAccount: string,
) => Promise<EksctlRoleStack | undefined>;

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

/**
 * Why eksctl's role stack found under the name of `<namespace>/<serviceAccount>`'s association
 * cannot be shown by its tags to be that association's, or undefined when it can. The name proves
 * nothing: eksctl joins namespace and service account with `-`, so `team/x-app` and `team-x/app`
 * give the same stack name. eksctl tags a pod identity role stack it creates with
 * `alpha.eksctl.io/podidentityassociation-name: <ns>/<sa>` (`pkg/actions/podidentityassociation/
 * iam_role_creator.go`), and an iamserviceaccount stack with `alpha.eksctl.io/iamserviceaccount-
 * name: <ns>/<sa>` (`pkg/cfn/manager/iam.go`). Its migration then tags an iamserviceaccount stack
 * for pod identity with a value made from the stack name, the first `-` turned into `/`
 * (`pkg/actions/podidentityassociation/tasks.go`), which is as ambiguous as the name: on such a
 * stack the iamserviceaccount tag decides while it is there (migrations that remove the OIDC trust
 * drop it). The cluster's own tag is checked when the stack is deleted (deleteEksctlRoleStack).
 */
export function eksctlRoleStackNotOwned(
  stack: Pick<EksctlRoleStack, 'stackName' | 'tags'>,
  namespace: string,
  serviceAccount: string,
): string | undefined {
  const id = `${namespace}/${serviceAccount}`;
  const sameName = `eksctl names the stacks of associations whose namespace and service account join with "-" into the same text alike, so the name alone does not make it the stack of "${id}"`;
  const irsaOwner = stack.tags[IAM_SERVICE_ACCOUNT_TAG];
  if (stack.stackName.includes('-addon-iamserviceaccount-') && irsaOwner !== undefined) {
    if (irsaOwner === id) return undefined;
    return `its tag ${IAM_SERVICE_ACCOUNT_TAG} names "${irsaOwner}", not "${id}" (${sameName})`;
  }
  const owner = stack.tags[POD_IDENTITY_ASSOCIATION_TAG];
  if (owner === id) return undefined;
  if (owner === undefined) {
    return `it has no ${POD_IDENTITY_ASSOCIATION_TAG} tag, with which eksctl marks the stack of an association, to show that it is the stack of "${id}" (${sameName})`;
  }
  return `its tag ${POD_IDENTITY_ASSOCIATION_TAG} names "${owner}", not "${id}" (${sameName})`;
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
