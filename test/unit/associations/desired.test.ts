import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredFromConfig, managedRoleArn } from '../../../functions/core/associations/desired.ts';
import { ConfigValidationError, carriesPermissions } from '../../../functions/core/config/index.ts';
import { ownershipTags, roleNameFor } from '../../../functions/core/naming.ts';
import { hasPodIdentityTrust } from '../../../functions/core/trust-policy.ts';
import {
  ACCOUNT,
  CLUSTER,
  desired,
  entry,
  managedDesired,
  NAMESPACE,
  S3_READ,
  SERVICE_ACCOUNT,
  USER_ROLE,
} from './fixtures.ts';

const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/team-boundary`;
const ENFORCED = `arn:aws:iam::${ACCOUNT}:policy/enforced-boundary`;

describe('desiredFromConfig', () => {
  it('uses a given roleARN as it is and builds no role', () => {
    const result = desired({ roleARN: USER_ROLE });
    assert.deepEqual(result.role, { kind: 'existing', roleArn: USER_ROLE });
    assert.deepEqual(result.ignored, []);
  });

  it('reports role settings that a roleARN makes meaningless, as eksctl ignores them', () => {
    const result = desired({ roleARN: USER_ROLE, roleName: 'x', permissionsBoundaryARN: BOUNDARY });
    assert.deepEqual(result.ignored, [
      'iam.podIdentityAssociations[0].roleName is ignored: iam.podIdentityAssociations[0].roleARN is set, so no role is created',
      'iam.podIdentityAssociations[0].permissionsBoundaryARN is ignored: iam.podIdentityAssociations[0].roleARN is set, so no role is created',
    ]);
  });

  it('names a created role after the association, under the eks-pia path, in the given account', () => {
    const { spec } = managedDesired();
    const name = roleNameFor(CLUSTER, NAMESPACE, SERVICE_ACCOUNT);
    assert.equal(spec.roleName, name);
    assert.equal(spec.roleNameGiven, false);
    assert.equal(spec.path, '/eks-pia/');
    assert.equal(spec.arn, `arn:aws:iam::${ACCOUNT}:role/eks-pia/${name}`);
    assert.equal(spec.arn, managedRoleArn('aws', ACCOUNT, name));
  });

  it('keeps a roleName the entry gives', () => {
    const { spec } = managedDesired({ roleName: 'my-app' });
    assert.equal(spec.roleName, 'my-app');
    assert.equal(spec.roleNameGiven, true);
  });

  it('trusts pods.eks.amazonaws.com with sts:AssumeRole and sts:TagSession only', () => {
    const { spec } = managedDesired();
    assert.equal(hasPodIdentityTrust(spec.trust), true);
    assert.deepEqual(spec.trust.Statement, [
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ]);
  });

  it('lists the user ARNs first, then the well-known managed ones, without repeats', () => {
    const ecr = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
    const { spec } = managedDesired({
      permissionPolicyARNs: [S3_READ, ecr],
      wellKnownPolicies: { ebsCSIController: true, imageBuilder: true },
    });
    assert.deepEqual(spec.managedPolicyArns, [
      S3_READ,
      ecr,
      'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    ]);
    assert.equal(spec.origins[ecr], 'iam.podIdentityAssociations[0].permissionPolicyARNs[1]');
    assert.equal(
      spec.origins['arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy'],
      'iam.podIdentityAssociations[0].wellKnownPolicies.ebsCSIController',
    );
  });

  it('names inline policies eks-pia-<name>: the permissionPolicy first, then well-known ones in eksctl order', () => {
    const { spec } = managedDesired({
      permissionPolicyARNs: [],
      permissionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      },
      permissionPolicyName: 'reader',
      wellKnownPolicies: { certManager: true, autoScaler: true },
    });
    assert.deepEqual(
      spec.inlinePolicies.map((policy) => policy.name),
      [
        'eks-pia-reader',
        'eks-pia-PolicyAutoScaling',
        'eks-pia-PolicyCertManagerChangeSet',
        'eks-pia-PolicyCertManagerGetChange',
        'eks-pia-PolicyCertManagerHostedZones',
      ],
    );
    assert.equal(spec.origins['eks-pia-reader'], 'iam.podIdentityAssociations[0].permissionPolicy');
    assert.equal(
      spec.origins['eks-pia-PolicyCertManagerGetChange'],
      'iam.podIdentityAssociations[0].wellKnownPolicies.certManager',
    );
  });

  it('calls the permissionPolicy eks-pia-Policy1 when it has no name, as eksctl calls it Policy1', () => {
    const { spec } = managedDesired({
      permissionPolicyARNs: [],
      permissionPolicy: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] },
    });
    assert.deepEqual(
      spec.inlinePolicies.map((policy) => policy.name),
      ['eks-pia-Policy1'],
    );
  });

  it('builds well-known ARNs in the partition of the cluster', () => {
    const result = desiredFromConfig(
      entry({ wellKnownPolicies: { ebsCSIController: true, externalDNS: true } }),
      {
        clusterName: CLUSTER,
        partition: 'aws-cn',
        account: ACCOUNT,
      },
    );
    assert.ok(result.role.kind === 'managed');
    assert.deepEqual(result.role.role.managedPolicyArns, [
      'arn:aws-cn:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    ]);
    assert.match(
      JSON.stringify(result.role.role.inlinePolicies),
      /arn:aws-cn:route53:::hostedzone/,
    );
    assert.match(result.role.role.arn, /^arn:aws-cn:iam::/);
    assert.equal(result.path, 'association');
  });

  it('applies the enforced boundary over the one the entry asks for, and remembers the request', () => {
    const { spec } = managedDesired(
      { permissionsBoundaryARN: BOUNDARY },
      { enforcedPermissionsBoundaryArn: ENFORCED },
    );
    assert.equal(spec.permissionsBoundaryArn, ENFORCED);
    assert.equal(spec.requestedPermissionsBoundaryArn, BOUNDARY);
    assert.equal(
      managedDesired({ permissionsBoundaryARN: BOUNDARY }).spec.permissionsBoundaryArn,
      BOUNDARY,
    );
  });

  it('tags the role with cluster tags, then entry tags, with the ownership tags always winning', () => {
    const result = desired(
      { permissionPolicyARNs: [S3_READ], tags: { team: 'entry' } },
      { clusterTags: { team: 'cluster', env: 'prod' } },
    );
    assert.ok(result.role.kind === 'managed');
    assert.deepEqual(result.role.role.tags, {
      team: 'entry',
      env: 'prod',
      ...ownershipTags(CLUSTER, NAMESPACE, SERVICE_ACCOUNT),
    });
    assert.deepEqual(result.tags, { team: 'entry' });
  });

  it('refuses role tags under eks-pia/, whose keys record what eks-pia created, in any case', () => {
    assert.throws(
      () =>
        desired(
          { permissionPolicyARNs: [S3_READ], tags: { 'eks-pia/service-account-created': 'true' } },
          { clusterTags: { 'EKS-PIA/cluster': 'forged' } },
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.deepEqual(
          error.issues.map((issue) => issue.message.split(' starts with')[0]),
          ['tag key "EKS-PIA/cluster"', 'tag key "eks-pia/service-account-created"'],
        );
        return true;
      },
    );
  });

  it('leaves the role unspecified for an update that names neither a role nor permissions', () => {
    const result = desired({
      targetRoleARN: 'arn:aws:iam::444455556666:role/t',
      permissionsBoundaryARN: BOUNDARY,
    });
    assert.deepEqual(result.role, { kind: 'unspecified' });
    assert.match(
      result.ignored.join('\n'),
      /permissionsBoundaryARN is ignored: it only takes effect together with/,
    );
  });

  it('keeps the roleARN of an update entry that also carries permissions, to check it against the live role', () => {
    const result = desired({ roleARN: USER_ROLE, permissionPolicyARNs: [S3_READ] });
    assert.ok(result.role.kind === 'managed');
    assert.equal(result.role.requestedRoleArn, USER_ROLE);
  });

  it('keeps the association fields as given and defaults createServiceAccount to false', () => {
    const result = desired({ roleARN: USER_ROLE, targetRoleARN: '', disableSessionTags: false });
    assert.equal(result.targetRoleArn, '');
    assert.equal(result.disableSessionTags, false);
    assert.equal(result.policy, undefined);
    assert.equal(result.createServiceAccount, false);
    assert.equal(
      desired({ roleARN: USER_ROLE, createServiceAccount: true }).createServiceAccount,
      true,
    );
  });

  it("rejects role tags with characters IAM refuses, for every role it builds (an add-on's recommended ones too)", () => {
    assert.throws(
      () =>
        desired(
          { permissionPolicyARNs: [S3_READ], tags: { 'cost#center': '42' } },
          { clusterTags: { owner: 'platform, payments' } },
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.deepEqual(
          error.issues.map((issue) => issue.message.split(';')[0]),
          ['the value of tag "owner" has ","', 'the key of tag "cost#center" has "#"'],
        );
        return true;
      },
    );
  });

  it('rejects role tags whose keys differ only in case, which IAM takes as one key', () => {
    assert.throws(
      () =>
        desired(
          { permissionPolicyARNs: [S3_READ], tags: { team: 'entry', OWNER: 'a' } },
          { clusterTags: { Team: 'cluster', owner: 'b' } },
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.deepEqual(
          error.issues.map((issue) => issue.message.split(',')[0]),
          [
            'the role would carry tags "Team" and "team"',
            'the role would carry tags "owner" and "OWNER"',
          ],
        );
        return true;
      },
    );
  });

  it('rejects a permissionPolicy that is not an IAM policy document, naming its path', () => {
    assert.throws(
      () => desired({ permissionPolicy: { Statement: [{ Effect: 'Permit', Action: 's3:*' }] } }),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        error.issues[0]?.path === 'iam.podIdentityAssociations[0].permissionPolicy' &&
        /policy document is invalid/.test(error.issues[0]?.message ?? ''),
    );
  });

  it('rejects a permissionPolicyName that clashes with a well-known inline policy', () => {
    assert.throws(
      () =>
        desired({
          permissionPolicy: {
            Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
          },
          permissionPolicyName: 'PolicyAutoScaling',
          wellKnownPolicies: { autoScaler: true },
        }),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        /"eks-pia-PolicyAutoScaling" is also used by iam.podIdentityAssociations\[0\].permissionPolicy/.test(
          error.message,
        ),
    );
  });

  it('counts only permissionPolicy, permissionPolicyARNs and wellKnownPolicies as permissions', () => {
    assert.equal(carriesPermissions(entry({ roleARN: USER_ROLE, roleName: 'x' })), false);
    assert.equal(carriesPermissions(entry({ permissionPolicy: {} })), false);
    assert.equal(carriesPermissions(entry({ wellKnownPolicies: { autoScaler: false } })), false);
    assert.equal(carriesPermissions(entry({ wellKnownPolicies: { autoScaler: true } })), true);
    assert.equal(carriesPermissions(entry({ permissionPolicyARNs: [S3_READ] })), true);
  });
});
