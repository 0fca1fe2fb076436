/**
 * Stack templates as the simulator keeps them: the one eksctl writes for a stack of the world
 * that gives none, and the link between a template's `AWS::IAM::Role` resources and the stack's
 * roles (in order: the first role resource is the stack's first role).
 */
import type { World, WorldInput, WorldRole } from '../world.ts';

import { ROLE_TYPE, type Template } from './template-resources.ts';

type WorldStack = World['stacks'][number];
type WorldStackInput = NonNullable<WorldInput['stacks']>[number];

/**
 * The stack eksctl's `create podidentityassociation` leaves when it creates the role of
 * `<namespace>/<serviceAccount>`'s association, as a world's stack: named
 * `eksctl-<cluster>-podidentityrole-<namespace>-<serviceAccount>` (`MakeStackName`,
 * `pkg/actions/podidentityassociation/iam_role_creator.go`), tagged with the shared tags of every
 * eksctl stack (cluster name twice and eksctl's version, `pkg/cfn/manager/api.go`), the entry's
 * `tags` and `alpha.eksctl.io/podidentityassociation-name: <namespace>/<serviceAccount>`
 * (`IAMRoleCreator.Create`), with termination protection on (`DoCreateStackRequest`) and the role's
 * ARN as output `Role1` (`pkg/cfn/builder/iam.go`). Its name is shared with every association
 * whose namespace and service account join with `-` into the same text; its tag is not.
 */
export function eksctlPodIdentityRoleStack(options: {
  account: string;
  partition?: string;
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  /** The role CloudFormation created, e.g. `eksctl-demo-podidentityrole-team-Role1-A1B2C3`. */
  roleName: string;
  /** The entry's `tags`. */
  tags?: Record<string, string>;
  eksctlVersion?: string;
}): WorldStackInput {
  const { clusterName, namespace, serviceAccount } = options;
  return {
    name: `eksctl-${clusterName}-podidentityrole-${namespace}-${serviceAccount}`,
    roles: [options.roleName],
    tags: {
      'alpha.eksctl.io/cluster-name': clusterName,
      'eksctl.cluster.k8s.io/v1alpha1/cluster-name': clusterName,
      'alpha.eksctl.io/eksctl-version': options.eksctlVersion ?? '0.210.0',
      ...options.tags,
      'alpha.eksctl.io/podidentityassociation-name': `${namespace}/${serviceAccount}`,
    },
    outputs: {
      Role1: `arn:${options.partition ?? 'aws'}:iam::${options.account}:role/${options.roleName}`,
    },
    terminationProtection: true,
  };
}

function description(stack: WorldStack): string {
  const tags = stack.tags;
  const serviceAccount = tags['alpha.eksctl.io/iamserviceaccount-name'];
  if (serviceAccount !== undefined) {
    return `IAM role for serviceaccount "${serviceAccount}" [created and managed by eksctl]`;
  }
  return 'IAM role for pod identity association [created and managed by eksctl]';
}

/**
 * eksctl's role template (`pkg/cfn/builder/iam.go`): `Role1` with the trust policy and managed
 * policies, inline policies as `AWS::IAM::Policy` resources, and the role ARN as output `Role1`.
 */
export function eksctlTemplate(stack: WorldStack, roles: readonly WorldRole[]): Template {
  const resources: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  stack.roles.forEach((name, index) => {
    const role = roles.find((candidate) => candidate.name === name);
    const logicalId = `Role${index + 1}`;
    resources[logicalId] = {
      Type: ROLE_TYPE,
      Properties: {
        AssumeRolePolicyDocument: structuredClone(role?.assumeRolePolicyDocument ?? {}),
        ...(role && role.attachedPolicies.length > 0
          ? { ManagedPolicyArns: [...role.attachedPolicies] }
          : {}),
        ...(role?.permissionsBoundary ? { PermissionsBoundary: role.permissionsBoundary } : {}),
      },
    };
    for (const [policyName, document] of Object.entries(role?.inlinePolicies ?? {})) {
      const policyId = `Policy${index + 1}${policyName.replace(/[^A-Za-z0-9]/g, '')}`;
      resources[policyId] = {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: policyName,
          PolicyDocument: structuredClone(document),
          Roles: [{ Ref: logicalId }],
        },
      };
    }
    outputs[logicalId] = { Value: { 'Fn::GetAtt': `${logicalId}.Arn` } };
  });
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: description(stack),
    Resources: resources,
    Outputs: outputs,
  };
}
