import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  ensureAccessEntry,
  KubernetesAccessNotPossibleError,
} from '../../../functions/aws/access-entries.ts';
import { ACCOUNT, type Simulated, simulate } from './simulated.ts';

const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/automation`;
const policy = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const EDIT = policy('AmazonEKSEditPolicy');

function worldWith(cluster: object): object {
  return {
    account: ACCOUNT,
    region: 'us-west-2',
    caller: PRINCIPAL,
    clusters: [{ name: 'demo', ...cluster }],
    roles: ['automation', 'admin'].map((name) => ({ name, assumeRolePolicyDocument: {} })),
  };
}

describe('ensureAccessEntry', () => {
  let simulated: Simulated;
  afterEach(async () => {
    await simulated.stop();
  });

  const mutationsSince = (since: number) =>
    simulated.callsSince(since).filter((call) => call.mutating);
  const entryOf = () =>
    simulated.sim
      .dump()
      .clusters[0]?.accessEntries.find((entry) => entry.principalArn === PRINCIPAL);

  it('creates the entry and associates the policy, then finds it there with no mutating call', async () => {
    simulated = await simulate(worldWith({}));
    const request = {
      clusterName: 'demo',
      principalArn: PRINCIPAL,
      policyArn: EDIT,
      scope: { type: 'cluster' as const },
    };

    const first = await ensureAccessEntry(request);
    const since = simulated.sim.calls.length;
    const second = await ensureAccessEntry(request);

    assert.deepEqual(first, {
      created: true,
      associated: true,
      policyArn: EDIT,
      scope: { type: 'cluster' },
    });
    assert.deepEqual(second, {
      created: false,
      associated: false,
      policyArn: EDIT,
      scope: { type: 'cluster' },
    });
    assert.deepEqual(mutationsSince(since), []);
    assert.deepEqual(entryOf()?.policies, [{ policyArn: EDIT, scope: 'cluster' }]);
  });

  it('refuses a CONFIG_MAP cluster, saying how to switch it, and changes nothing', async () => {
    simulated = await simulate(worldWith({ authenticationMode: 'CONFIG_MAP' }));

    await assert.rejects(
      ensureAccessEntry({
        clusterName: 'demo',
        principalArn: PRINCIPAL,
        policyArn: EDIT,
        scope: { type: 'cluster' },
      }),
      (error) => {
        assert.ok(error instanceof KubernetesAccessNotPossibleError);
        assert.equal(error.name, 'KubernetesAccessNotPossibleError');
        assert.match(error.message, /CONFIG_MAP/);
        assert.match(error.message, /authenticationMode=API_AND_CONFIG_MAP/);
        return true;
      },
    );
    assert.deepEqual(mutationsSince(0), []);
  });

  it('refuses a cluster that does not exist', async () => {
    simulated = await simulate(worldWith({}));

    await assert.rejects(
      ensureAccessEntry({
        clusterName: 'missing',
        principalArn: PRINCIPAL,
        policyArn: EDIT,
        scope: { type: 'cluster' },
      }),
      {
        name: 'KubernetesAccessNotPossibleError',
        message: /"missing": the cluster does not exist/,
      },
    );
  });

  it('associates the policy on an existing entry, keeping namespaces it already had', async () => {
    simulated = await simulate(
      worldWith({
        accessEntries: [
          {
            principalArn: PRINCIPAL,
            policies: [{ policyArn: EDIT, scope: { namespaces: ['a'] } }],
          },
        ],
      }),
    );

    const grant = await ensureAccessEntry({
      clusterName: 'demo',
      principalArn: PRINCIPAL,
      policyArn: EDIT,
      scope: { type: 'namespace', namespaces: ['b'] },
    });

    assert.deepEqual(grant, {
      created: false,
      associated: true,
      policyArn: EDIT,
      scope: { type: 'namespace', namespaces: ['a', 'b'] },
    });
    assert.deepEqual(entryOf()?.policies, [{ policyArn: EDIT, scope: { namespaces: ['a', 'b'] } }]);
  });

  it('counts a wider scope of the same policy, or cluster admin, as already granted', async () => {
    simulated = await simulate(
      worldWith({
        accessEntries: [
          { principalArn: PRINCIPAL, policies: [{ policyArn: EDIT, scope: 'cluster' }] },
          {
            principalArn: `arn:aws:iam::${ACCOUNT}:role/admin`,
            policies: [{ policyArn: policy('AmazonEKSClusterAdminPolicy'), scope: 'cluster' }],
          },
        ],
      }),
    );

    const narrower = await ensureAccessEntry({
      clusterName: 'demo',
      principalArn: PRINCIPAL,
      policyArn: EDIT,
      scope: { type: 'namespace', namespaces: ['b'] },
    });
    const byAdmin = await ensureAccessEntry({
      clusterName: 'demo',
      principalArn: `arn:aws:iam::${ACCOUNT}:role/admin`,
      policyArn: EDIT,
      scope: { type: 'cluster' },
    });

    assert.deepEqual(narrower, {
      created: false,
      associated: false,
      policyArn: EDIT,
      scope: { type: 'cluster' },
    });
    assert.deepEqual(byAdmin, {
      created: false,
      associated: false,
      policyArn: policy('AmazonEKSClusterAdminPolicy'),
      scope: { type: 'cluster' },
    });
    assert.deepEqual(mutationsSince(0), []);
  });

  it('looks through every page of associated policies before associating', async () => {
    const others = Array.from({ length: 120 }, (_, index) => ({
      policyArn: policy(`AAAPolicy${String(index).padStart(3, '0')}`),
      scope: 'cluster',
    }));
    simulated = await simulate(
      worldWith({
        accessEntries: [
          { principalArn: PRINCIPAL, policies: [...others, { policyArn: EDIT, scope: 'cluster' }] },
        ],
      }),
    );

    const grant = await ensureAccessEntry({
      clusterName: 'demo',
      principalArn: PRINCIPAL,
      policyArn: EDIT,
      scope: { type: 'cluster' },
    });

    assert.equal(grant.associated, false);
    assert.equal(simulated.callsSince(0, 'ListAssociatedAccessPolicies').length, 2);
    assert.deepEqual(mutationsSince(0), []);
  });
});
