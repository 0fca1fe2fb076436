/**
 * Stack templates as the simulator keeps them: the one eksctl writes for a stack of the world
 * that gives none, and the link between a template's `AWS::IAM::Role` resources and the stack's
 * roles (in order: the first role resource is the stack's first role).
 */
import type { World, WorldRole } from '../world.ts';

import { ROLE_TYPE, type Template } from './template-resources.ts';

type WorldStack = World['stacks'][number];
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
