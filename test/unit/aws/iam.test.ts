import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { iamClient } from '../../../functions/aws/clients.ts';
import {
  attachPolicies,
  createRole,
  deleteInlinePolicy,
  deleteRoleCompletely,
  detachPolicies,
  getAccountSummary,
  getRoleState,
  listRolesTrusting,
  putInlinePolicy,
  removePermissionsBoundary,
  setPermissionsBoundary,
  tagRole,
  updateTrust,
} from '../../../functions/aws/iam.ts';
import type { PolicyDocument } from '../../../functions/core/policy-document.ts';
import { ACCOUNT, POD_IDENTITY_TRUST, type Simulated, simulate } from './simulated.ts';

const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1`;
const OTHER_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER`;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';

function irsaTrust(provider: string, subject: string): PolicyDocument {
  const issuer = provider.slice(provider.indexOf('oidc-provider/') + 'oidc-provider/'.length);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { [`${issuer}:sub`]: subject, [`${issuer}:aud`]: 'sts.amazonaws.com' },
        },
      },
    ],
  };
}

const READ_BUCKET: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Read "reports" & logs',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: 'arn:aws:s3:::reports/a b+c/*',
    },
  ],
};

const world = {
  account: ACCOUNT,
  region: 'us-west-2',
  caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
  managedPolicies: [BOUNDARY],
  openIdConnectProviders: [PROVIDER, OTHER_PROVIDER],
  roles: [
    {
      name: 's3-reader',
      path: '/teams/data/',
      assumeRolePolicyDocument: irsaTrust(PROVIDER, 'system:serviceaccount:default:s3-reader'),
      attachedPolicies: [S3_READ],
      inlinePolicies: { 'read-reports': READ_BUCKET },
      permissionsBoundary: BOUNDARY,
      tags: { team: 'data', 'cost center': 'a&b=c' },
    },
    {
      name: 'many-policies',
      assumeRolePolicyDocument: POD_IDENTITY_TRUST,
      attachedPolicies: Array.from(
        { length: 150 },
        (_, index) => `arn:aws:iam::aws:policy/Policy${String(index).padStart(3, '0')}`,
      ),
    },
    {
      name: 'other-cluster',
      assumeRolePolicyDocument: irsaTrust(OTHER_PROVIDER, 'system:serviceaccount:default:x'),
    },
  ],
  quotas: { assumeRolePolicySize: 4096 },
};

describe('IAM adapter', () => {
  let simulated: Simulated;
  beforeEach(async () => {
    simulated = await simulate(world);
  });
  afterEach(async () => {
    await simulated.stop();
  });

  describe('getRoleState', () => {
    it('decodes the URL-encoded trust and inline policies and reads tags, path and boundary', async () => {
      const raw = await iamClient().send(new GetRoleCommand({ RoleName: 's3-reader' }));
      assert.match(raw.Role?.AssumeRolePolicyDocument ?? '', /^%7B/, 'IAM sends it URL-encoded');

      const state = await getRoleState('s3-reader');

      assert.deepEqual(state, {
        name: 's3-reader',
        arn: `arn:aws:iam::${ACCOUNT}:role/teams/data/s3-reader`,
        path: '/teams/data/',
        tags: { team: 'data', 'cost center': 'a&b=c' },
        trustPolicy: irsaTrust(PROVIDER, 'system:serviceaccount:default:s3-reader'),
        attachedPolicyArns: [S3_READ],
        inlinePolicies: [{ name: 'read-reports', document: READ_BUCKET }],
        permissionsBoundaryArn: BOUNDARY,
      });
    });

    it('follows every page of attached policies', async () => {
      const since = simulated.sim.calls.length;

      const state = await getRoleState('many-policies');

      assert.equal(state?.attachedPolicyArns.length, 150);
      assert.equal(new Set(state?.attachedPolicyArns).size, 150);
      assert.ok(state?.attachedPolicyArns.includes('arn:aws:iam::aws:policy/Policy149'));
      assert.equal(simulated.callsSince(since, 'ListAttachedRolePolicies').length, 2);
    });

    it('answers undefined for a role that does not exist', async () => {
      assert.equal(await getRoleState('nobody'), undefined);
    });
  });

  describe('createRole', () => {
    it('creates a role that getRoleState reads back as it was specified', async () => {
      const result = await createRole({
        name: 'eks-pia-demo-default-app-0123456789ab',
        path: '/eks-pia/',
        trust: POD_IDENTITY_TRUST,
        description: 'created for demo/default/app',
        permissionsBoundaryArn: BOUNDARY,
        tags: { 'eks-pia/managed-by': 'eks-pia', 'eks-pia/cluster': 'demo' },
      });

      assert.deepEqual(result, {
        status: 'created',
        name: 'eks-pia-demo-default-app-0123456789ab',
        arn: `arn:aws:iam::${ACCOUNT}:role/eks-pia/eks-pia-demo-default-app-0123456789ab`,
        path: '/eks-pia/',
      });
      assert.deepEqual(await getRoleState('eks-pia-demo-default-app-0123456789ab'), {
        name: 'eks-pia-demo-default-app-0123456789ab',
        arn: `arn:aws:iam::${ACCOUNT}:role/eks-pia/eks-pia-demo-default-app-0123456789ab`,
        path: '/eks-pia/',
        tags: { 'eks-pia/managed-by': 'eks-pia', 'eks-pia/cluster': 'demo' },
        trustPolicy: POD_IDENTITY_TRUST,
        attachedPolicyArns: [],
        inlinePolicies: [],
        permissionsBoundaryArn: BOUNDARY,
      });
    });

    it('reports a role of that name that already exists (any case) instead of failing', async () => {
      const result = await createRole({
        name: 'S3-Reader',
        path: '/',
        trust: POD_IDENTITY_TRUST,
        description: 'again',
        tags: {},
      });

      assert.deepEqual(result, { status: 'exists', name: 'S3-Reader' });
    });
  });

  describe('permission changes', () => {
    it('attaches, detaches, puts and deletes inline policies, sets the boundary, trust and tags', async () => {
      const extra = 'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess';
      await attachPolicies('s3-reader', [extra, S3_READ]);
      await detachPolicies('s3-reader', [S3_READ]);
      await putInlinePolicy('s3-reader', 'eks-pia-Policy1', READ_BUCKET);
      await deleteInlinePolicy('s3-reader', 'read-reports');
      await removePermissionsBoundary('s3-reader');
      const trust = irsaTrust(PROVIDER, 'system:serviceaccount:other:s3-reader');
      await updateTrust('s3-reader', trust);
      await tagRole('s3-reader', { team: 'platform', owner: 'me' });

      const state = await getRoleState('s3-reader');
      assert.deepEqual(state?.attachedPolicyArns, [extra]);
      assert.deepEqual(state?.inlinePolicies, [{ name: 'eks-pia-Policy1', document: READ_BUCKET }]);
      assert.equal(state?.permissionsBoundaryArn, undefined);
      assert.deepEqual(state?.trustPolicy, trust);
      assert.deepEqual(state?.tags, { team: 'platform', 'cost center': 'a&b=c', owner: 'me' });

      await setPermissionsBoundary('s3-reader', BOUNDARY);
      assert.equal((await getRoleState('s3-reader'))?.permissionsBoundaryArn, BOUNDARY);
    });

    it('treats detaching a policy that is not attached and deleting a missing inline policy as done', async () => {
      await detachPolicies('s3-reader', ['arn:aws:iam::aws:policy/NotAttached']);
      await deleteInlinePolicy('s3-reader', 'no-such-policy');

      assert.deepEqual((await getRoleState('s3-reader'))?.attachedPolicyArns, [S3_READ]);
    });

    it('makes no call for an empty tag set', async () => {
      const since = simulated.sim.calls.length;
      await tagRole('s3-reader', {});
      assert.deepEqual(simulated.callsSince(since), []);
    });
  });

  describe('deleteRoleCompletely', () => {
    it('removes attached and inline policies, then the role with its boundary still on', async () => {
      const since = simulated.sim.calls.length;

      assert.equal(await deleteRoleCompletely('s3-reader'), 'deleted');

      assert.equal(await getRoleState('s3-reader'), undefined);
      const mutations = simulated.sim
        .mutatingCalls()
        .filter((call) => simulated.sim.calls.indexOf(call) >= since)
        .map((call) => call.operation);
      assert.deepEqual(mutations, ['DetachRolePolicy', 'DeleteRolePolicy', 'DeleteRole']);
    });

    it('converges when run again after failing half way, and answers absent once gone', async () => {
      await simulated.stop();
      simulated = await simulate({
        ...world,
        behaviour: { faults: [{ operation: 'iam:DeleteRole', nth: 1, error: 'DeleteConflict' }] },
      });
      await assert.rejects(deleteRoleCompletely('s3-reader'), { name: 'DeleteConflictException' });
      assert.deepEqual((await getRoleState('s3-reader'))?.attachedPolicyArns, []);

      assert.equal(await deleteRoleCompletely('s3-reader'), 'deleted');
      const since = simulated.sim.calls.length;
      assert.equal(await deleteRoleCompletely('s3-reader'), 'absent');
      assert.deepEqual(
        simulated.callsSince(since).map((call) => call.operation),
        ['GetRole'],
      );
    });
  });

  describe('getAccountSummary', () => {
    it('returns the live quotas, such as the trust policy size', async () => {
      const summary = await getAccountSummary();
      assert.equal(summary.AssumeRolePolicySizeQuota, 4096);
      assert.equal(summary.AttachedPoliciesPerRoleQuota, 10);
      assert.equal(summary.Roles, 3);
    });
  });
});

describe('listRolesTrusting', () => {
  const fillers = Array.from({ length: 1005 }, (_, index) => ({
    name: `filler-${String(index).padStart(4, '0')}`,
    assumeRolePolicyDocument: POD_IDENTITY_TRUST,
  }));
  let simulated: Simulated;
  before(async () => {
    // More roles than IAM's default quota, which AWS raises on request.
    simulated = await simulate({
      ...world,
      roles: [...world.roles, ...fillers],
      quotas: { roles: 2000 },
    });
  });
  after(async () => {
    await simulated.stop();
  });

  it('finds, over every page of roles, only the roles with an IRSA statement for the provider', async () => {
    const since = simulated.sim.calls.length;

    const roles = await listRolesTrusting(PROVIDER);

    assert.deepEqual(roles, [
      {
        name: 's3-reader',
        arn: `arn:aws:iam::${ACCOUNT}:role/teams/data/s3-reader`,
        path: '/teams/data/',
        trustPolicy: irsaTrust(PROVIDER, 'system:serviceaccount:default:s3-reader'),
      },
    ]);
    assert.equal(simulated.callsSince(since, 'ListRoles').length, 2);
  });
});
