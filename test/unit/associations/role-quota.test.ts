import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRoleQuota,
  RoleQuotaExceededError,
  type RoleQuotaReaders,
  rolesTheRequestMayCreate,
} from '../../../functions/core/associations/role-quota.ts';
import type { Operation } from '../../../functions/core/config/index.ts';
import { desired, S3_READ, USER_ROLE } from './fixtures.ts';

/** Readers over a fixed account, counting the calls each makes. */
function account(roles: number, quota: number, created: string[] = []) {
  const calls = { summary: 0, list: 0 };
  const readers: RoleQuotaReaders = {
    accountRoles: async () => {
      calls.summary += 1;
      return { roles, quota };
    },
    createdRoleNames: async () => {
      calls.list += 1;
      return created;
    },
  };
  return { calls, readers };
}

function creating(names: string[], operation: Operation = 'apply') {
  return {
    operation,
    entries: names.map((roleName, index) =>
      desired({ serviceAccountName: `app-${index}`, roleName, permissionPolicyARNs: [S3_READ] }),
    ),
  };
}

describe('the roles quota', () => {
  it('names the roles a request would create, none for a named role or a delete', () => {
    const request = creating(['team-a', 'team-b']);
    request.entries.push(desired({ serviceAccountName: 'named', roleARN: USER_ROLE }));
    assert.deepEqual(rolesTheRequestMayCreate(request), ['team-a', 'team-b']);
    assert.deepEqual(rolesTheRequestMayCreate({ ...request, operation: 'delete' }), []);
  });

  it('counts no target role (targetRoleARN): it is only ever assumed, never created', () => {
    const request = creating(['team-a']);
    request.entries.push(
      desired({
        serviceAccountName: 'chained',
        roleName: 'team-b',
        permissionPolicyARNs: [S3_READ],
        targetRoleARN: 'arn:aws:iam::444455556666:role/data-reader',
      }),
      desired({ serviceAccountName: 'named', roleARN: USER_ROLE, targetRoleARN: USER_ROLE }),
    );
    assert.deepEqual(rolesTheRequestMayCreate(request), ['team-a', 'team-b']);
  });

  it('counts a role once whatever the case of its name, as IAM does', async () => {
    const { calls, readers } = account(998, 1000);
    await checkRoleQuota(['team-a', 'Team-A', 'team-b'], readers);
    assert.deepEqual(calls, { summary: 1, list: 0 });
  });

  it('lets a request through with one summary call when the account has room for every role it names', async () => {
    const { calls, readers } = account(997, 1000);
    await checkRoleQuota(['a', 'b', 'c'], readers);
    assert.deepEqual(calls, { summary: 1, list: 0 });
  });

  it('makes no call for a request that creates no role', async () => {
    const { calls, readers } = account(1000, 1000);
    await checkRoleQuota(
      rolesTheRequestMayCreate({ operation: 'apply', entries: [desired({ roleARN: USER_ROLE })] }),
      readers,
    );
    assert.deepEqual(calls, { summary: 0, list: 0 });
  });

  it('leaves the quota to IAM when the account summary does not give the counts', async () => {
    let listed = false;
    await checkRoleQuota(['a', 'b'], {
      accountRoles: async () => undefined,
      createdRoleNames: async () => {
        listed = true;
        return [];
      },
    });
    assert.equal(listed, false);
  });

  it('near the quota, counts only the roles that do not exist yet, so a rerun goes through', async () => {
    const { calls, readers } = account(1000, 1000, ['A', 'b', 'other']);
    await checkRoleQuota(['a', 'b'], readers);
    assert.deepEqual(calls, { summary: 1, list: 1 });
  });

  it('refuses, before anything changes, a request creating more roles than the quota has room for', async () => {
    const { readers } = account(998, 1000, ['a']);
    await assert.rejects(checkRoleQuota(['a', 'b', 'c', 'd'], readers), (error: Error) => {
      assert.ok(error instanceof RoleQuotaExceededError);
      assert.equal(
        error.message,
        'this run would create 3 IAM roles, but the account already has 998 of its quota of 1000 roles, so IAM would refuse 1 of them part-way (nothing was changed): ask AWS to raise the IAM quota "Roles per account" (up to 5,000), delete roles no longer used, or give entries an existing role with roleARN',
      );
      return true;
    });
  });
});
