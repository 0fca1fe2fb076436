import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { irsaFleetWorld } from '../fixtures/irsa-fleet-world.ts';
import { cli, scratch } from './run-cli.ts';

const EVENTS = join(import.meta.dirname, '..', '..', '..', 'events');
const DEMO_WORLD = join(EVENTS, 'worlds', 'demo.yaml');
const SAMPLES_WORLD = join(EVENTS, 'worlds', 'samples.yaml');

describe('eks-pia CLI', () => {
  it('installs the agent on the simulator and writes the state and the call log', async () => {
    const dir = scratch();
    const state = join(dir, 's1.json');
    const first = await cli(
      'create',
      'addon',
      '--cluster',
      'demo',
      '--simulate',
      DEMO_WORLD,
      '--state-out',
      state,
      '-o',
      'json',
    );
    assert.equal(first.code, 0, first.err);
    assert.equal(JSON.parse(first.out).created, true);
    const dumped = JSON.parse(readFileSync(state, 'utf8'));
    const agent = dumped.clusters[0].addons.find(
      (addon: { name: string }) => addon.name === 'eks-pod-identity-agent',
    );
    assert.equal(agent.status, 'ACTIVE');

    const calls = join(dir, 'c.json');
    const second = await cli(
      'create',
      'addon',
      '--cluster',
      'demo',
      '--simulate',
      state,
      '--calls-out',
      calls,
      '-o',
      'json',
    );
    assert.equal(second.code, 0, second.err);
    const log = JSON.parse(readFileSync(calls, 'utf8')) as {
      service: string;
      operation: string;
      mutating: boolean;
    }[];
    assert.ok(log.length > 0);
    assert.deepEqual(
      log.filter((call) => call.mutating),
      [],
    );
    assert.deepEqual(Object.keys(log[0] ?? {}).sort(), [
      'mutating',
      'operation',
      'service',
      'status',
    ]);
  });

  it('writes the state as YAML when the file name says so', async () => {
    const state = join(scratch(), 'state.yaml');
    const result = await cli(
      'create',
      'addon',
      '--cluster',
      'demo',
      '--simulate',
      DEMO_WORLD,
      '--state-out',
      state,
    );
    assert.equal(result.code, 0, result.err);
    assert.match(
      result.out,
      /add-on "eks-pod-identity-agent" on cluster "demo": ACTIVE at v1\.3\.4-eksbuild\.1 \(installed by this run\)/,
    );
    assert.equal(
      (parseYaml(readFileSync(state, 'utf8')) as { account: string }).account,
      '111122223333',
    );
  });

  it('runs a workflow from a console input file', async () => {
    const input = join(scratch(), 'input.json');
    writeFileSync(
      input,
      JSON.stringify({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
    );
    const result = await cli(
      'run',
      'ensure-addon',
      '--input',
      input,
      '--simulate',
      DEMO_WORLD,
      '-o',
      'yaml',
    );
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^status: ACTIVE$/m);
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    const missing = await cli('create', 'addon');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--cluster must be set/);

    const unknown = await cli('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command 'frobnicate'/);

    const orphanState = await cli('create', 'addon', '--cluster', 'demo', '--state-out', 'x.json');
    assert.equal(orphanState.code, 2);
    assert.match(
      orphanState.err,
      /--state-out and --calls-out describe a simulated run; add --simulate WORLD/,
    );

    const badEngine = await cli('--engine', 'cloud', 'create', 'addon', '--cluster', 'demo');
    assert.equal(badEngine.code, 2);
  });

  it('exits 2 on a bad world file, before running anything', async () => {
    const world = join(scratch(), 'bad.yaml');
    writeFileSync(
      world,
      'account: "12345"\nregion: us-west-2\ncaller: arn:aws:iam::111122223333:role/a\n',
    );
    const result = await cli('create', 'addon', '--cluster', 'demo', '--simulate', world);
    assert.equal(result.code, 2);
    assert.match(result.err, /account: must be a 12-digit AWS account id/);
  });

  it('refuses a bad config before any call, and still answers --calls-out and --state-out', async () => {
    const dir = scratch();
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo}\n',
    );
    const calls = join(dir, 'calls.json');
    const state = join(dir, 'state.json');
    const result = await cli(
      'create',
      'podidentityassociation',
      '-f',
      config,
      '--simulate',
      DEMO_WORLD,
      '--calls-out',
      calls,
      '--state-out',
      state,
    );
    assert.equal(result.code, 2);
    assert.match(result.err, /metadata\.region must be set/);
    assert.deepEqual(JSON.parse(readFileSync(calls, 'utf8')), []);
    assert.equal(JSON.parse(readFileSync(state, 'utf8')).clusters[0].name, 'demo');
  });

  it('exits 2 on an input file that is not JSON', async () => {
    const input = join(scratch(), 'input.json');
    writeFileSync(input, '{ not json');
    const result = await cli('run', 'ensure-addon', '--input', input, '--simulate', DEMO_WORLD);
    assert.equal(result.code, 2);
    assert.match(result.err, /is not valid JSON/);
  });

  it('exits 2 for a cluster that does not exist and 1 when the workflow fails', async () => {
    const notFound = await cli('create', 'addon', '--cluster', 'nope', '--simulate', DEMO_WORLD);
    assert.equal(notFound.code, 2);
    assert.match(
      notFound.err,
      /ClusterNotFoundError: cluster "nope" does not exist in region us-west-2/,
    );

    const world = join(scratch(), 'failing.yaml');
    writeFileSync(
      world,
      `${readFileSync(DEMO_WORLD, 'utf8')}\nbehaviour: {addonSettlesAs: {eks-pod-identity-agent: DEGRADED}}\n`,
    );
    const failed = await cli('create', 'addon', '--cluster', 'demo', '--simulate', world);
    assert.equal(failed.code, 1);
    assert.match(failed.err, /AddonFailedError: .*DEGRADED/);
  });

  it('runs the demo end to end', async () => {
    const result = await cli('demo');
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /installed by this run/);
    assert.match(
      result.out,
      /Step 2\.[^\n]*\n[^\n]*already installed\)\n\s+\d+ API call\(s\), 0 mutating/,
    );
    // Each rerun, and the migration plan, changes nothing; the approved migration does.
    for (const step of ['Step 4', 'Step 6', 'Step 8']) {
      const block = result.out.slice(result.out.indexOf(`${step}.`));
      const summary = /^\s+\d+ API call\(s\), \d+ mutating.*$/m.exec(block)?.[0] ?? '';
      assert.match(summary, / 0 mutating$/, `${step}: ${summary}`);
    }
    // The association deleted by hand is found and put back by the drift check.
    assert.match(result.out, /demo +healed +1 missing, 0 changed, 0 to prune, 0 undeclared/);
    assert.match(
      result.out,
      /Step 5\.[\s\S]*1 mutating \(eks:CreatePodIdentityAssociation\)\n\nStep 6/,
    );
    // The eksctl iamserviceaccount is migrated through its CloudFormation stack, not skipped.
    assert.match(result.out, /Totals: 3 migrated/);
    assert.match(result.out, /migrated {3}monitoring\/cloudwatch-agent: migrated to pod identity/);
  });
});

describe('eks-pia where AWS is strict', () => {
  const world = (roles: string) => {
    const path = join(scratch(), 'world.yaml');
    writeFileSync(
      path,
      `account: "111122223333"
region: us-west-2
caller: arn:aws:iam::111122223333:role/automation
clusters:
  - name: demo
    addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
${roles}
`,
    );
    return path;
  };
  interface Call {
    service: string;
    operation: string;
    status: number;
    mutating: boolean;
  }
  const changes = (callsFile: string) =>
    (JSON.parse(readFileSync(callsFile, 'utf8')) as Call[])
      .filter((call) => call.mutating && call.status < 400)
      .map((call) => `${call.service}:${call.operation}`);

  it('fails a create naming a role that trusts only ec2.amazonaws.com, naming pods.eks.amazonaws.com, with no change', async () => {
    const simulated = world(
      '  - {name: ec2-only, tags: {eks-pia/assignable: "true"}, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}}',
    );
    const calls = join(scratch(), 'calls.json');
    const result = await cli(
      'create',
      'podidentityassociation',
      '--cluster',
      'demo',
      '--namespace',
      'default',
      '--service-account-name',
      'web',
      '--role-arn',
      'arn:aws:iam::111122223333:role/ec2-only',
      '--simulate',
      simulated,
      '--calls-out',
      calls,
    );
    assert.equal(result.code, 1, result.err);
    assert.match(result.out, /role\/ec2-only does not trust pods\.eks\.amazonaws\.com/);
    assert.deepEqual(changes(calls), []);
  });

  it('fails a config naming a managed policy that does not exist, naming it, and leaves no role', async () => {
    const dir = scratch();
    const missing = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccesss';
    const config = join(dir, 'typo.yaml');
    writeFileSync(
      config,
      `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: demo, region: us-west-2}
iam:
  podIdentityAssociations:
    - {namespace: default, serviceAccountName: typo, permissionPolicyARNs: ["${missing}"]}
`,
    );
    const state = join(dir, 'state.json');
    const result = await cli(
      'create',
      'podidentityassociation',
      '-f',
      config,
      '--simulate',
      world(''),
      '--state-out',
      state,
    );
    assert.equal(result.code, 1, result.err);
    assert.ok(result.out.includes(`managed policy ${missing} does not exist`), result.out);
    const after = JSON.parse(readFileSync(state, 'utf8')) as {
      roles: { name: string }[];
      clusters: { podIdentityAssociations: unknown[] }[];
    };
    assert.deepEqual(
      after.roles.map((role) => role.name),
      ['automation'],
    );
    assert.deepEqual(after.clusters[0]?.podIdentityAssociations, []);
  });
});

describe('eks-pia run with a workflow over clusters', () => {
  const FLEET_INPUT = join(EVENTS, 'inputs', 'fleet-associations.json');

  it('prints a fleet run as apply -f does: its plan by cluster, and exit 1 when a cluster failed', async () => {
    // demo.yaml's cluster has no agent, so its run fails.
    const failed = await cli(
      'run',
      'fleet-associations',
      '--input',
      FLEET_INPUT,
      '--simulate',
      DEMO_WORLD,
    );
    assert.equal(failed.code, 1, failed.err);
    assert.match(failed.out, /^CLUSTER +RESULT +CREATED/m);
    assert.match(failed.out, /^demo +failed +- .*AgentMissingError/m);
    assert.doesNotMatch(failed.out, /^workflow: /m);
    assert.match(failed.err, /^Error: 1 of 1 clusters failed; see the report above$/m);

    const planned = await cli(
      'run',
      'fleet-associations',
      '--input',
      FLEET_INPUT,
      '--simulate',
      SAMPLES_WORLD,
    );
    assert.equal(planned.code, 0, planned.err);
    assert.match(
      planned.out,
      /^demo:\n {2}\(dry run\) would create pod identity association for service account "fleet-worker" in namespace "payments"\n(?: {4}.*\n)+ {2}\(dry run\) would create pod identity association for service account "fleet-api" in namespace "payments"\n(?: {4}.*\n)* {6}- create IAM role "demo-fleet-api" for pod identity association for service account "payments\/fleet-api"\n/m,
    );
    assert.match(planned.out, /^demo +succeeded +2 /m);
  });

  it('prints a fleet migration as utils migrate-to-pod-identity --clusters does, and exits 1 when a cluster failed', async () => {
    const dir = scratch();
    const world = join(dir, 'world.yaml');
    writeFileSync(
      world,
      irsaFleetWorld(
        [
          { name: 'prod-eu', tags: { env: 'prod' } },
          { name: 'prod-broken', tags: { env: 'prod' }, status: 'FAILED' },
        ],
        [['payments', 'api']],
      ),
    );
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ clusters: 'tag:env=prod' }));
    const result = await cli('run', 'fleet-migration', '--input', input, '--simulate', world);
    assert.equal(result.code, 1, result.err);
    assert.match(result.out, /^prod-broken +failed /m);
    assert.match(result.out, /^prod-eu +planned +1 SA/m);
    assert.match(result.err, /^Error: 1 of 2 clusters failed; see the report above$/m);
  });
});
