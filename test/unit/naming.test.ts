import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  clientRequestToken,
  DEFAULT_PERMISSION_POLICY_NAME,
  inlinePolicyName,
  isOwnedBy,
  MANAGED_BY_LABEL,
  NamingError,
  ownedAssociationOf,
  ownershipTags,
  permissionPolicyInlineName,
  ROLE_PATH,
  roleNameFor,
} from '../../functions/core/naming.ts';

const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

// Kubernetes and EKS name shapes: cluster up to 100, namespace a DNS label, service account a
// DNS subdomain of up to 253 characters.
const clusterArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/);
const namespaceArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const serviceAccountArb = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/);
const associationArb = fc.tuple(clusterArb, namespaceArb, serviceAccountArb);

describe('role names', () => {
  it('reads as the cluster, namespace and service account, with a hash', () => {
    assert.match(
      roleNameFor('demo', 'default', 's3-reader'),
      /^eks-pia-demo-default-s3-reader-[0-9a-f]{12}$/,
    );
  });

  it('is the same for the same association every time', () => {
    assert.equal(
      roleNameFor('demo', 'default', 's3-reader'),
      roleNameFor('demo', 'default', 's3-reader'),
    );
  });

  it('tells ns=a-b, sa=c apart from ns=a, sa=b-c', () => {
    assert.notEqual(roleNameFor('demo', 'a-b', 'c'), roleNameFor('demo', 'a', 'b-c'));
    assert.notEqual(roleNameFor('demo-a', 'b', 'c'), roleNameFor('demo', 'a-b', 'c'));
  });

  it('tells clusters apart that differ only in case, as IAM names ignore case', () => {
    assert.notEqual(
      roleNameFor('Demo', 'default', 'app').toLowerCase(),
      roleNameFor('demo', 'default', 'app').toLowerCase(),
    );
  });

  it('keeps some of every part when the inputs are long', () => {
    const name = roleNameFor('c'.repeat(100), 'n'.repeat(63), 's'.repeat(253));
    assert.equal(name.length, 64);
    assert.match(name, /^eks-pia-c+-n+-s+-[0-9a-f]{12}$/);
    const short = roleNameFor('prod', 'n'.repeat(63), 's'.repeat(253));
    assert.match(short, /^eks-pia-prod-n+-s+-[0-9a-f]{12}$/);
  });

  it('does not end a shortened part with a separator', () => {
    // 41 characters are left for the readable parts: 7 + 6 + 28, and the 28th is the dot.
    const name = roleNameFor('cluster', 'team-a', `${'a'.repeat(27)}.${'b'.repeat(100)}`);
    assert.match(name, /^eks-pia-cluster-team-a-a{27}-[0-9a-f]{12}$/);
  });

  it('fits IAM for any valid association', () => {
    fc.assert(
      fc.property(associationArb, ([cluster, namespace, serviceAccount]) => {
        const name = roleNameFor(cluster, namespace, serviceAccount);
        assert.match(name, IAM_ROLE_NAME);
        assert.ok(name.startsWith('eks-pia-'));
        assert.equal(roleNameFor(cluster, namespace, serviceAccount), name);
      }),
    );
  });

  it('never gives two long associations the same name, even ignoring case', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(associationArb, {
          minLength: 50,
          maxLength: 200,
          selector: (association) => JSON.stringify(association),
        }),
        (associations) => {
          const names = associations.map(([cluster, namespace, serviceAccount]) =>
            roleNameFor(cluster, namespace, serviceAccount).toLowerCase(),
          );
          assert.equal(new Set(names).size, associations.length);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses an empty part', () => {
    assert.throws(() => roleNameFor('', 'default', 'app'), NamingError);
    assert.throws(() => roleNameFor('demo', '', 'app'), /namespace must not be empty/);
  });

  it('lives under the service’s own IAM path', () => {
    assert.equal(ROLE_PATH, '/eks-pia/');
  });
});

describe('ownership', () => {
  const tags = ownershipTags('demo', 'default', 's3-reader');

  it('tags a role with the service marker and the association', () => {
    assert.deepEqual(tags, {
      'eks-pia/managed-by': 'eks-pia',
      'eks-pia/cluster': 'demo',
      'eks-pia/namespace': 'default',
      'eks-pia/service-account': 's3-reader',
    });
  });

  it('reads the association back from a tag map or IAM tag list', () => {
    const association = { cluster: 'demo', namespace: 'default', serviceAccount: 's3-reader' };
    assert.deepEqual(ownedAssociationOf(tags), association);
    const iamTags = [
      { Key: 'team', Value: 'platform' },
      ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    ];
    assert.deepEqual(ownedAssociationOf(iamTags), association);
    assert.equal(isOwnedBy(iamTags, 'demo', 'default', 's3-reader'), true);
  });

  it('does not claim a role for another association or without the marker', () => {
    assert.equal(isOwnedBy(tags, 'demo', 'default', 'other'), false);
    assert.equal(isOwnedBy(tags, 'prod', 'default', 's3-reader'), false);
    const { 'eks-pia/managed-by': _marker, ...unmarked } = tags;
    assert.equal(ownedAssociationOf(unmarked), undefined);
    assert.equal(ownedAssociationOf({ ...tags, 'eks-pia/managed-by': 'someone-else' }), undefined);
    assert.equal(ownedAssociationOf({ ...tags, 'eks-pia/namespace': '' }), undefined);
    assert.equal(ownedAssociationOf(undefined), undefined);
    assert.equal(
      ownedAssociationOf({ 'alpha.eksctl.io/podidentityassociation-name': 'default/s3-reader' }),
      undefined,
    );
  });

  it('labels Kubernetes objects it creates as managed by eks-pia', () => {
    assert.deepEqual(MANAGED_BY_LABEL, { key: 'app.kubernetes.io/managed-by', value: 'eks-pia' });
  });
});

describe('inline policy names', () => {
  it('names the permissionPolicy Policy1 unless permissionPolicyName is given', () => {
    assert.equal(DEFAULT_PERMISSION_POLICY_NAME, 'Policy1');
    assert.equal(permissionPolicyInlineName(), 'eks-pia-Policy1');
    assert.equal(permissionPolicyInlineName(''), 'eks-pia-Policy1');
    assert.equal(permissionPolicyInlineName('s3-access'), 'eks-pia-s3-access');
  });

  it('prefixes well-known policy names too', () => {
    assert.equal(inlinePolicyName('PolicyAutoScaling'), 'eks-pia-PolicyAutoScaling');
  });

  it('rejects names IAM would reject', () => {
    assert.throws(() => permissionPolicyInlineName('s3 access'), /may only contain/);
    assert.throws(() => permissionPolicyInlineName('a'.repeat(121)), /longer than 128/);
    assert.equal(permissionPolicyInlineName('a'.repeat(120)).length, 128);
  });
});

describe('client request tokens', () => {
  const role = 'arn:aws:iam::111122223333:role/eks-pia/eks-pia-demo-default-app-0123456789ab';

  it('is 64 characters derived from the association and role, the same every time', () => {
    const token = clientRequestToken('demo', 'default', 'app', role);
    assert.match(token, /^eks-pia-[0-9a-f]{56}$/);
    assert.equal(clientRequestToken('demo', 'default', 'app', role), token);
  });

  it('changes with the role and with how the association is split', () => {
    const token = clientRequestToken('demo', 'default', 'app', role);
    assert.notEqual(clientRequestToken('demo', 'default', 'app', `${role}x`), token);
    assert.notEqual(
      clientRequestToken('demo', 'a-b', 'c', role),
      clientRequestToken('demo', 'a', 'b-c', role),
    );
  });

  it('refuses an empty role', () => {
    assert.throws(() => clientRequestToken('demo', 'default', 'app', ''), NamingError);
  });
});
