/**
 * IAM's roles-per-account quota: a run that would create more roles than the account has room for
 * is refused before anything changes, rather than failing part-way at CreateRole.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const ACCOUNT = '111122223333';

function world(rolesQuota: number): string {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]
    namespaces: [default]
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: unrelated, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
quotas: {roles: ${rolesQuota}}
`;
}

/** An apply of three entries, each having the service create its role. */
const applyThreeCreatedRoles = {
  operation: 'apply',
  config: {
    inline: {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'demo', region: 'us-west-2' },
      iam: {
        podIdentityAssociations: ['api', 'worker', 'cron'].map((serviceAccountName) => ({
          namespace: 'default',
          serviceAccountName,
          permissionPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
        })),
      },
    },
  },
};

describe('the roles-per-account quota', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('refuses an apply that would create more roles than the quota has room for, changing nothing', async () => {
    sim = await simulate(world(4));
    await assert.rejects(sim.run('associations', applyThreeCreatedRoles), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'RoleQuotaExceededError');
      assert.match(
        error.cause,
        /would create 3 IAM roles, but the account already has 2 of its quota of 4 roles, so IAM would refuse 1 of them part-way \(nothing was changed\)/,
      );
      return true;
    });
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('lets through an apply the quota has room for, and its rerun, whose roles exist already', async () => {
    sim = await simulate(world(5));
    const report = (await sim.run('associations', applyThreeCreatedRoles)) as {
      counts: { created: number };
    };
    assert.equal(report.counts.created, 3);
    assert.equal(sim.simulator.state.world.roles.length, 5);
    // The account is now at its quota: only the count of the service's roles lets the rerun go.
    const mark = sim.simulator.calls.length;
    await sim.run('associations', applyThreeCreatedRoles);
    assert.deepEqual(sim.mutatingSince(mark), []);
    assert.ok(
      sim.simulator.calls
        .slice(mark)
        .some((call) => call.service === 'iam' && call.operation === 'ListRoles'),
    );
  });
});
