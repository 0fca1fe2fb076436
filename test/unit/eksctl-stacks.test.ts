import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseTemplateBody,
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
