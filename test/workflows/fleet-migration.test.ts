import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { FleetMigrationReport } from '../../functions/core/fleet/fleet-migration.ts';
import { parsePolicyDocument } from '../../functions/core/policy-document.ts';
import { hasPodIdentityTrust } from '../../functions/core/trust-policy.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import {
  ROLE_ARN_ANNOTATION as ANNOTATION,
  irsaFleetWorld,
  irsaRoleArn as roleArn,
} from '../unit/fixtures/irsa-fleet-world.ts';
import { type SimulatedRun, simulate } from './harness.ts';

/**
 * prod-eu and prod-us (tagged env=prod), staging-1 (env=staging), and prod-broken, whose creation
 * failed, so its migration does; each with payments/api and batch/job on IRSA.
 */
function world(): string {
  return irsaFleetWorld(
    [
      { name: 'prod-eu', tags: { env: 'prod' } },
      { name: 'prod-us', tags: { env: 'prod' } },
      { name: 'staging-1', tags: { env: 'staging' } },
      { name: 'prod-broken', tags: { env: 'prod' }, status: 'FAILED' },
    ],
    [
      ['payments', 'api'],
      ['batch', 'job'],
    ],
  );
}

function associated(sim: SimulatedRun): Record<string, string[]> {
  return Object.fromEntries(
    sim.simulator.state.world.clusters.map((cluster) => [
      cluster.name,
      cluster.podIdentityAssociations
        .map((association) => `${association.namespace}/${association.serviceAccount}`)
        .sort(),
    ]),
  );
}

function podIdentityTrusted(sim: SimulatedRun, roleName: string): boolean {
  const role = sim.simulator.state.world.roles.find((candidate) => candidate.name === roleName);
  assert.ok(role, roleName);
  return hasPodIdentityTrust(parsePolicyDocument(role.assumeRolePolicyDocument));
}

describe('fleet-migration workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('plans every selected cluster without a change, then migrates them, one failing among healthy ones; a rerun changes nothing', async () => {
    sim = await simulate(world());
    const mark = sim.simulator.calls.length;
    const plan = (await sim.run('fleet-migration', {
      clusters: 'tag:env=prod',
    })) as FleetMigrationReport;
    assert.equal(plan.selector, 'tags env=prod');
    assert.deepEqual(
      Object.fromEntries(plan.clusters.map((cluster) => [cluster.clusterName, cluster.result])),
      { 'prod-broken': 'failed', 'prod-eu': 'planned', 'prod-us': 'planned' },
    );
    assert.equal(plan.counts.serviceAccounts.planned, 4);
    assert.match(
      plan.clusters.find((c) => c.clusterName === 'prod-eu')?.headline ?? '',
      /\(plan\) would migrate 2 iamserviceaccount/,
    );
    assert.match(
      plan.clusters.find((c) => c.clusterName === 'prod-broken')?.reason ?? '',
      /ClusterNotActiveError/,
    );
    assert.ok(plan.nextSteps.some((step) => /review the plan of prod-eu, prod-us/.test(step)));
    assert.deepEqual(
      sim.mutatingSince(mark).filter((call) => !call.startsWith('events:')),
      [],
    );

    const approved = (await sim.run('fleet-migration', {
      clusters: 'prod-*',
      approve: true,
    })) as FleetMigrationReport;
    assert.deepEqual(approved.clusterCounts, {
      selected: 3,
      planned: 0,
      migrated: 2,
      nothingToMigrate: 0,
      failed: 1,
    });
    assert.equal(approved.counts.serviceAccounts.migrated, 4);
    assert.equal(approved.counts.roles.trustAdded, 4);
    assert.deepEqual(associated(sim), {
      'prod-broken': [],
      'prod-eu': ['batch/job', 'payments/api'],
      'prod-us': ['batch/job', 'payments/api'],
      'staging-1': [],
    });
    assert.ok(podIdentityTrusted(sim, 'prod-eu-api'));
    assert.ok(!podIdentityTrusted(sim, 'staging-1-api'));
    // Without removal, IRSA keeps working: annotations stay.
    const prodEu = sim.simulator.state.world.clusters.find((c) => c.name === 'prod-eu');
    assert.ok(prodEu?.serviceAccounts.every((account) => account.annotations[ANNOTATION]));

    const again = sim.simulator.calls.length;
    const rerun = (await sim.run('fleet-migration', {
      clusters: 'prod-eu,prod-us',
      approve: true,
    })) as FleetMigrationReport;
    assert.deepEqual(
      rerun.clusters.map((cluster) => cluster.result),
      ['nothing to migrate', 'nothing to migrate'],
    );
    assert.deepEqual(
      sim.mutatingSince(again).filter((call) => !call.startsWith('events:')),
      [],
    );
  });

  it('passes namespaces and OIDC trust removal to every cluster', async () => {
    sim = await simulate(world());
    const report = (await sim.run('fleet-migration', {
      clusters: 'prod-eu,staging-1',
      approve: true,
      removeOidcProviderTrustRelationship: true,
      namespaces: ['payments'],
    })) as FleetMigrationReport;
    assert.equal(report.clusterCounts.migrated, 2);
    assert.deepEqual(associated(sim)['prod-eu'], ['payments/api']);
    assert.deepEqual(associated(sim)['staging-1'], ['payments/api']);
    const staging = sim.simulator.state.world.clusters.find((c) => c.name === 'staging-1');
    const annotations = Object.fromEntries(
      (staging?.serviceAccounts ?? []).map((account) => [
        account.name,
        account.annotations[ANNOTATION] ?? null,
      ]),
    );
    assert.deepEqual(annotations, { api: null, job: roleArn('staging-1-job') });
  });

  it('refuses a bad input before selecting a cluster, naming each problem', async () => {
    sim = await simulate(world());
    const mark = sim.simulator.calls.length;
    await assert.rejects(
      sim.run('fleet-migration', { clusters: 'prod-*,staging-*', aprove: true }),
      (error: unknown) => error instanceof WorkflowFailedError && /aprove/.test(error.message),
    );
    await assert.rejects(
      sim.run('fleet-migration', { clusters: 'prod-*,staging-*' }),
      (error: unknown) =>
        error instanceof WorkflowFailedError && /name patterns/.test(error.message),
    );
    await assert.rejects(
      sim.run('fleet-migration', { approve: true }),
      (error: unknown) => error instanceof WorkflowFailedError && /clusters/.test(error.message),
    );
    assert.deepEqual(
      sim.simulator.calls.slice(mark).filter((call) => call.service === 'eks'),
      [],
    );
  });

  it('refuses a selector naming a cluster that does not exist before migrating any', async () => {
    sim = await simulate(world());
    const mark = sim.simulator.calls.length;
    await assert.rejects(
      sim.run('fleet-migration', { clusters: 'prod-eu,typo-cluster', approve: true }),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        error.error === 'UnknownClusterError' &&
        /"typo-cluster"\. The region's clusters: prod-broken, prod-eu, prod-us and staging-1/.test(
          error.cause,
        ),
    );
    assert.deepEqual(
      sim.mutatingSince(mark).filter((call) => !call.startsWith('events:')),
      [],
    );
    assert.deepEqual(associated(sim)['prod-eu'], []);
  });
});
