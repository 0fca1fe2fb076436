import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerDriftCommand } from '../../../local/cli/drift.ts';
import type { RunTimeout } from '../../../local/cli/run-timeout.ts';
import { cli, scratch } from './run-cli.ts';

const ACCOUNT = '111122223333';
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

describe('eks-pia drift', () => {
  it('reports a change made by hand (exit 1), heals it with --heal, and then finds none', async () => {
    const dir = scratch();
    const world = join(dir, 'world.yaml');
    writeFileSync(
      world,
      `account: "${ACCOUNT}"\nregion: us-west-2\ncaller: arn:aws:iam::${ACCOUNT}:role/automation\nclusters:\n  - {name: demo, version: "1.31", addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}], namespaces: [default]}\nroles:\n  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}\n  - {name: reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}\n`,
    );
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n    - {namespace: default, serviceAccountName: web, roleARN: "arn:aws:iam::${ACCOUNT}:role/reader"}\n`,
    );
    const applied = join(dir, 'applied.json');
    const apply = await cli(
      'apply',
      'podidentityassociation',
      '-f',
      config,
      '--simulate',
      world,
      '--state-out',
      applied,
    );
    assert.equal(apply.code, 0, apply.err);

    // By hand: the association is deleted.
    const state = JSON.parse(readFileSync(applied, 'utf8'));
    state.clusters[0].podIdentityAssociations = [];
    writeFileSync(applied, JSON.stringify(state));

    const found = await cli('drift', '--cluster', 'demo', '--simulate', applied);
    assert.equal(found.code, 1, found.err);
    assert.match(found.out, /^demo +drifted +1 missing, 0 changed, 0 to prune, 0 undeclared/m);
    assert.match(found.err, /1 cluster\(s\) drifted/);
    // What drifted, under its cluster, with the steps that bring it back.
    assert.match(
      found.out,
      /^demo:\n {2}missing: \(dry run\) would create pod identity association for service account "web" in namespace "default"\n {6}pod identity association for service account "default\/web" does not exist; .*\n {6}- create pod identity association for service account "default\/web"\n\n^CLUSTER /m,
    );

    // Started with `run`, the check prints the same report and fails the same way.
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ clusters: 'demo' }));
    const run = await cli('run', 'drift-check', '--input', input, '--simulate', applied);
    const runless = (text: string) => text.replace(/\/runs\/[^/]+\//g, '/runs/RUN/');
    assert.deepEqual(
      [run.code, runless(run.out), run.err.split('\n').at(-2)],
      [found.code, runless(found.out), found.err.split('\n').at(-2)],
    );

    const healedState = join(dir, 'healed.json');
    const heal = await cli('drift', '--heal', '--simulate', applied, '--state-out', healedState);
    assert.equal(heal.code, 0, heal.err);
    assert.match(heal.out, /^demo +healed +1 missing/m);
    assert.match(heal.out, /^demo:\n {2}missing \(healed\): \(dry run\) would create .*"web"/m);

    const after = await cli('drift', '--simulate', healedState);
    assert.equal(after.code, 0, after.err);
    assert.match(after.out, /^demo +in sync +0 missing, 0 changed, 0 to prune, 0 undeclared/m);
    assert.doesNotMatch(after.out, /^demo:$/m);
  });

  it('exits 2 for a --cluster that is not managed, where it reported nothing to check', async () => {
    const dir = scratch();
    const world = join(dir, 'world.yaml');
    writeFileSync(
      world,
      `account: "${ACCOUNT}"\nregion: us-west-2\ncaller: arn:aws:iam::${ACCOUNT}:role/automation\nclusters:\n  - {name: demo, version: "1.31"}\n`,
    );
    const result = await cli('drift', '--cluster', 'nope', '--simulate', world);
    assert.equal(result.code, 2, result.out);
    assert.match(
      result.err,
      /UnknownClusterError: clusters nope: a named cluster is not managed: "nope" \(no cluster of that name in region us-west-2\)\. Managed clusters: none\./,
    );
    assert.doesNotMatch(result.out, /no managed cluster to check/);
  });

  it('waits for the check as long as it takes, or at most --timeout', async () => {
    const timeouts: (RunTimeout | undefined)[] = [];
    for (const args of [['drift'], ['drift', '--heal', '--timeout', '1h']]) {
      const program = new Command('eks-pia').exitOverride();
      registerDriftCommand(program, {
        run: async (_command, _workflow, _input, _print, timeout) => {
          timeouts.push(timeout);
        },
      });
      await program.parseAsync(args, { from: 'user' });
    }
    assert.deepEqual(timeouts, [undefined, { text: '1h', ms: 3_600_000 }]);
    const bad = await cli('drift', '--timeout', 'soon');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /invalid argument "soon" for "--timeout" flag: time: invalid duration/);
  });

  it('refuses --cluster with --clusters before running anything', async () => {
    const result = await cli('drift', '--cluster', 'a', '--clusters', 'b');
    assert.equal(result.code, 2);
    assert.match(result.err, /--cluster or --clusters, not both/);
  });
});
