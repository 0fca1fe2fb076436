import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  associationKey,
  hasWellKnownPolicy,
  isClusterName,
  isNamespaceName,
  isPolicyArn,
  isRegionName,
  isRoleArn,
  isRoleName,
  isServiceAccountName,
  issueLine,
  WELL_KNOWN_POLICY_NAMES,
  wellKnownPoliciesSchema,
} from '../../../functions/core/config/index.ts';
import { formatPath } from '../../../functions/core/config/issues.ts';
import { closestName } from '../../../functions/core/config/wording.ts';

describe('ARN and name shapes', () => {
  it('accepts role ARNs in the three partitions, with or without a path', () => {
    for (const arn of [
      'arn:aws:iam::111122223333:role/s3-reader',
      'arn:aws:iam::111122223333:role/teams/app',
      'arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS',
      'arn:aws-cn:iam::111122223333:role/reader',
      'arn:aws-us-gov:iam::111122223333:role/reader+team=a,b.c@d-e_f',
    ]) {
      assert.equal(isRoleArn(arn), true, arn);
    }
  });

  it('rejects role ARNs with a bad account, partition, resource type or name', () => {
    for (const arn of [
      'arn:aws:iam::11112222333:role/s3-reader',
      'arn:aws:iam::1111222233334:role/s3-reader',
      'arn:aws-iso:iam::111122223333:role/s3-reader',
      'arn:aws:iam::111122223333:user/s3-reader',
      'arn:aws:iam::111122223333:role/',
      'arn:aws:iam::111122223333:role/teams/',
      `arn:aws:iam::111122223333:role/${'r'.repeat(65)}`,
      'arn:aws:iam::111122223333:role/s3 reader',
      'arn:aws:sts::111122223333:assumed-role/s3-reader/session',
      's3-reader',
    ]) {
      assert.equal(isRoleArn(arn), false, arn);
    }
  });

  it('accepts AWS managed and customer managed policy ARNs only', () => {
    assert.equal(isPolicyArn('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'), true);
    assert.equal(
      isPolicyArn('arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy'),
      true,
    );
    assert.equal(isPolicyArn('arn:aws-cn:iam::111122223333:policy/teams/boundary'), true);
    assert.equal(isPolicyArn('arn:aws:iam:::policy/AmazonS3ReadOnlyAccess'), false);
    assert.equal(isPolicyArn('arn:aws:iam::111122223333:role/boundary'), false);
    assert.equal(isPolicyArn('AmazonS3ReadOnlyAccess'), false);
  });

  it('takes namespaces as DNS-1123 labels of at most 63 characters', () => {
    assert.equal(isNamespaceName('a'.repeat(63)), true);
    assert.equal(isNamespaceName('a'.repeat(64)), false);
    for (const name of ['Default', 'team_a', '-team', 'team-', 'team.a', '']) {
      assert.equal(isNamespaceName(name), false, name);
    }
  });

  it('accepts every label built from the DNS-1123 alphabet', () => {
    const inner = fc.stringMatching(/^[a-z0-9-]{0,61}$/);
    const edge = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789');
    fc.assert(
      fc.property(edge, inner, edge, (first, middle, last) => {
        assert.equal(isNamespaceName(`${first}${middle}${last}`), true);
      }),
    );
  });

  it('takes service account names as DNS-1123 subdomains of at most 253 characters', () => {
    assert.equal(isServiceAccountName('ebs-csi-controller-sa'), true);
    assert.equal(isServiceAccountName('app.v2'), true);
    assert.equal(isServiceAccountName(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61)), true);
    assert.equal(isServiceAccountName(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(62)), false);
    for (const name of ['App', 'app.-v2', 'app..v2', '.app', 'app_v2']) {
      assert.equal(isServiceAccountName(name), false, name);
    }
  });

  it('follows EKS for cluster names and IAM for role names', () => {
    assert.equal(isClusterName('demo_cluster-1'), true);
    assert.equal(isClusterName('c'.repeat(100)), true);
    assert.equal(isClusterName('c'.repeat(101)), false);
    assert.equal(isClusterName('-demo'), false);
    assert.equal(isRoleName('a'.repeat(64)), true);
    assert.equal(isRoleName('a'.repeat(65)), false);
    assert.equal(isRoleName('team/app'), false);
  });

  it('recognises region codes of every partition', () => {
    for (const region of ['us-west-2', 'us-gov-east-1', 'cn-northwest-1', 'ap-southeast-5']) {
      assert.equal(isRegionName(region), true, region);
    }
    for (const region of ['us-west', 'US-WEST-2', 'us_west_2', 'Oregon', 'us-west-2a']) {
      assert.equal(isRegionName(region), false, region);
    }
  });
});

describe('well-known policies', () => {
  it('lists exactly the flags the schema accepts', () => {
    const allOn = Object.fromEntries(WELL_KNOWN_POLICY_NAMES.map((name) => [name, true]));
    assert.equal(WELL_KNOWN_POLICY_NAMES.length, 7);
    assert.deepEqual(wellKnownPoliciesSchema.parse(allOn), allOn);
    assert.equal(wellKnownPoliciesSchema.safeParse({ ...allOn, appMesh: true }).success, false);
  });

  it('counts a policy as requested only when a flag is true', () => {
    assert.equal(hasWellKnownPolicy(undefined), false);
    assert.equal(hasWellKnownPolicy({ autoScaler: false, certManager: false }), false);
    assert.equal(hasWellKnownPolicy({ autoScaler: false, certManager: true }), true);
  });
});

describe('associationKey', () => {
  it('joins namespace and service account with a slash, as eksctl names associations', () => {
    assert.equal(associationKey('default', 's3-reader'), 'default/s3-reader');
  });
});

describe('messages and paths', () => {
  it('writes paths the way eksctl does, quoting keys that are not identifiers', () => {
    assert.equal(
      formatPath(['iam', 'podIdentityAssociations', 2, 'roleARN']),
      'iam.podIdentityAssociations[2].roleARN',
    );
    assert.equal(formatPath(['tags', 'app.kubernetes.io/name']), 'tags["app.kubernetes.io/name"]');
    assert.equal(formatPath(['tags'], 'association'), 'association.tags');
  });

  it('prefixes a message with its path unless the message names that exact path', () => {
    const path = 'iam.podIdentityAssociations[1].namespace';
    assert.equal(issueLine({ path, message: `${path} must be set` }), `${path} must be set`);
    assert.equal(
      issueLine({
        path: 'iam.podIdentityAssociations[1]',
        message: 'see iam.podIdentityAssociations[10]',
      }),
      'iam.podIdentityAssociations[1]: see iam.podIdentityAssociations[10]',
    );
    assert.equal(
      issueLine({ path: 'policy', message: "is not valid JSON; e.g. policy: '{...}'" }),
      "policy: is not valid JSON; e.g. policy: '{...}'",
    );
    assert.equal(issueLine({ path: '', message: 'the config is empty' }), 'the config is empty');
  });

  it('suggests the field a misspelling most likely meant, and nothing for a stranger', () => {
    const fields = [
      'namespace',
      'serviceAccountName',
      'roleARN',
      'roleName',
      'permissionPolicyARNs',
    ];
    assert.equal(closestName('roleArn', fields), 'roleARN');
    assert.equal(closestName('serviceAccount', fields), 'serviceAccountName');
    assert.equal(closestName('namesapce', fields), 'namespace');
    assert.equal(closestName('colour', fields), undefined);
  });

  it('gives no hint for names longer than any field, whose comparison would cost time and memory', () => {
    assert.equal(closestName('a'.repeat(63), ['a'.repeat(64)]), 'a'.repeat(64));
    assert.equal(closestName('a'.repeat(65), ['a'.repeat(66)]), undefined);
  });
});
