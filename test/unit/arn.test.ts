import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namesSameRole, parseRoleArn } from '../../functions/core/arn.ts';

const ACCOUNT = '111122223333';
const roleArn = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;

describe('parseRoleArn', () => {
  it('reads the name and path of role ARNs with and without a path', () => {
    assert.deepEqual(parseRoleArn(`arn:aws:iam::${ACCOUNT}:role/app`), {
      partition: 'aws',
      account: ACCOUNT,
      name: 'app',
      path: '/',
    });
    assert.deepEqual(parseRoleArn(`arn:aws-us-gov:iam::${ACCOUNT}:role/teams/data/app`), {
      partition: 'aws-us-gov',
      account: ACCOUNT,
      name: 'app',
      path: '/teams/data/',
    });
  });

  it('answers undefined for ARNs that do not name a role', () => {
    assert.equal(parseRoleArn(`arn:aws:iam::${ACCOUNT}:user/app`), undefined);
    assert.equal(parseRoleArn(`arn:aws:sts::${ACCOUNT}:assumed-role/app/session`), undefined);
    assert.equal(parseRoleArn('app'), undefined);
  });
});

describe('namesSameRole', () => {
  it('compares role ARNs by account and name, whatever the path or case', () => {
    assert.equal(namesSameRole(roleArn('App', '/teams/'), roleArn('app')), true);
    assert.equal(namesSameRole(roleArn('app'), 'arn:aws:iam::444455556666:role/app'), false);
    assert.equal(namesSameRole('nonsense', roleArn('app')), false);
  });
});
