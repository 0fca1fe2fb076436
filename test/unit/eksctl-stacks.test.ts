import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  eksctlRoleStackNotOwned,
  IAM_SERVICE_ACCOUNT_TAG,
  POD_IDENTITY_ASSOCIATION_TAG,
  parseTemplateBody,
  podIdentityRoleStackNames,
  templateRoleTrust,
  withRoleTrust,
} from '../../functions/core/eksctl-stacks.ts';

const TRUST = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Federated: 'oidc' }, Action: 'sts:AssumeRoleWithWebIdentity' },
  ],
};
const TEMPLATE = {
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: { Role1: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: TRUST } } },
};

describe('eksctl stack templates', () => {
  it('reads a JSON template as eksctl writes it, and changes only the role trust in a copy', () => {
    const template = parseTemplateBody(
      JSON.stringify(TEMPLATE),
      'eksctl-demo-addon-iamserviceaccount-apps-web',
    );
    assert.deepEqual(templateRoleTrust(template, 'Role1'), TRUST);
    const trust = { Version: '2012-10-17', Statement: [] };
    const changed = withRoleTrust(template, 'Role1', trust);
    assert.deepEqual(templateRoleTrust(changed, 'Role1'), trust);
    assert.deepEqual(templateRoleTrust(template, 'Role1'), TRUST, 'the original is untouched');
  });

  it('leaves a template that is not JSON alone, saying it was replaced outside eksctl', () => {
    const yaml = 'Resources:\n  Role1:\n    Type: AWS::IAM::Role\n';
    assert.throws(() => parseTemplateBody(yaml, 'eksctl-demo-podidentityrole-apps-web'), {
      name: 'StackTemplateError',
      message:
        /stack "eksctl-demo-podidentityrole-apps-web" is not JSON .*replaced outside eksctl and its role is left alone/,
    });
  });

  it('refuses a JSON template without resources', () => {
    assert.throws(() => parseTemplateBody('{"Resources": []}', 'eksctl-x-podidentityrole-a-b'), {
      name: 'StackTemplateError',
      message: /has no Resources/,
    });
  });
});

describe("whose eksctl's role stack is", () => {
  const [roleStack = '', irsaStack = ''] = podIdentityRoleStackNames('demo', 'team', 'x-app');

  it("is the association's that eksctl's podidentityassociation-name tag names, and no other's", () => {
    // The name is the same for both: only the tag tells them apart.
    assert.deepEqual(
      podIdentityRoleStackNames('demo', 'team', 'x-app'),
      podIdentityRoleStackNames('demo', 'team-x', 'app'),
    );
    const stack = { stackName: roleStack, tags: { [POD_IDENTITY_ASSOCIATION_TAG]: 'team-x/app' } };
    assert.equal(eksctlRoleStackNotOwned(stack, 'team-x', 'app'), undefined);
    assert.match(
      eksctlRoleStackNotOwned(stack, 'team', 'x-app') ?? '',
      /^its tag alpha.eksctl.io\/podidentityassociation-name names "team-x\/app", not "team\/x-app"/,
    );
  });

  it("is no association's that can be shown when the stack has no podidentityassociation-name tag", () => {
    const stack = { stackName: roleStack, tags: { 'alpha.eksctl.io/cluster-name': 'demo' } };
    assert.match(
      eksctlRoleStackNotOwned(stack, 'team', 'x-app') ?? '',
      /^it has no alpha.eksctl.io\/podidentityassociation-name tag/,
    );
  });

  it("goes by a migrated iamserviceaccount stack's own tag: eksctl's migration makes the pod identity tag from the stack name", () => {
    // eksctl's migration tags the stack of team-x/app "team/x-app" (the first "-" turned into "/").
    const migrated = {
      stackName: irsaStack,
      tags: {
        [IAM_SERVICE_ACCOUNT_TAG]: 'team-x/app',
        [POD_IDENTITY_ASSOCIATION_TAG]: 'team/x-app',
      },
    };
    assert.equal(eksctlRoleStackNotOwned(migrated, 'team-x', 'app'), undefined);
    assert.match(
      eksctlRoleStackNotOwned(migrated, 'team', 'x-app') ?? '',
      /its tag alpha.eksctl.io\/iamserviceaccount-name names "team-x\/app", not "team\/x-app"/,
    );
    // Once the OIDC trust was removed, the tag is gone and the pod identity tag is all there is to
    // go by (after eksctl's migration, a value made from the name: the check that no other
    // association uses the stack's role is then what keeps another's role).
    const withoutIrsaTag = {
      stackName: irsaStack,
      tags: { [POD_IDENTITY_ASSOCIATION_TAG]: 'team/x-app' },
    };
    assert.equal(eksctlRoleStackNotOwned(withoutIrsaTag, 'team', 'x-app'), undefined);
    assert.notEqual(eksctlRoleStackNotOwned(withoutIrsaTag, 'team-x', 'app'), undefined);
  });
});
