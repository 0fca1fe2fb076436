import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { irsaFleetWorld } from '../fixtures/irsa-fleet-world.ts';
import { cli, scratch } from './run-cli.ts';

describe('eks-pia utils migrate-to-pod-identity --clusters', () => {
  function fleetWorld(): string {
    const path = join(scratch(), 'fleet-world.yaml');
    writeFileSync(
      path,
      irsaFleetWorld(
        [
          { name: 'prod-a', tags: { env: 'prod' } },
          { name: 'prod-b', tags: { env: 'prod' } },
          { name: 'dev-a', tags: { env: 'dev' } },
        ],
        [['payments', 'api']],
      ),
    );
    return path;
  }

  it('plans, then migrates, every selected cluster with one line per cluster', async () => {
    const world = fleetWorld();
    const plan = await cli(
      'utils',
      'migrate-to-pod-identity',
      '--clusters',
      'tag:env=prod',
      '--simulate',
      world,
    );
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /^CLUSTER +RESULT +PLANNED/m);
    assert.match(plan.out, /^prod-a +planned +1 SA, 0 add-on/m);
    assert.match(plan.out, /^prod-b +planned +1 SA, 0 add-on/m);
    assert.doesNotMatch(plan.out, /^dev-a/m);
    assert.match(plan.out, /\(plan\) migration of 2 clusters \(tags env=prod\): 0 failed/);

    const approved = await cli(
      'utils',
      'migrate-to-pod-identity',
      '--clusters',
      'prod-*',
      '--approve',
      '--simulate',
      world,
    );
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, /^prod-a +migrated +1 SA, 0 add-on/m);
    assert.match(approved.out, /service accounts: 2 migrated/);
  });

  it('exits 2 before migrating anything for a bad selector, an unknown cluster name, both --cluster and --clusters, or a bad option', async () => {
    const world = fleetWorld();
    for (const [args, pattern] of [
      [['--clusters', 'a-*,b-*'], /2 name patterns/],
      [['--clusters', 'prod-*', '--cluster', 'prod-a'], /cannot both be set/],
      [['--clusters', 'prod-*', '--namespace', 'Bad_NS'], /namespace/],
      [
        ['--clusters', 'prod-a,typo-cluster', '--approve'],
        /UnknownClusterError: .*"typo-cluster"\. The region's clusters: dev-a, prod-a and prod-b/,
      ],
    ] as const) {
      const result = await cli('utils', 'migrate-to-pod-identity', ...args, '--simulate', world);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.out}${result.err}`);
      assert.match(result.err, pattern);
    }
  });
});
