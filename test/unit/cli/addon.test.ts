import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerAddonCommands } from '../../../local/cli/addon.ts';
import { main } from '../../../local/cli/main.ts';
import type { RunTimeout } from '../../../local/cli/run-timeout.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DEMO_WORLD = join(ROOT, 'events', 'worlds', 'demo.yaml');
const CREATE_ADDONS = join(ROOT, 'events', 'configs', 'create-addons.yaml');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

describe('eks-pia addon commands', () => {
  it('create addon -f creates the add-ons of the file with their associations; get addon shows their roles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-addon-'));
    const state = join(dir, 's1.json');
    const created = await cli(
      'create',
      'addon',
      '-f',
      CREATE_ADDONS,
      '--simulate',
      DEMO_WORLD,
      '--state-out',
      state,
    );
    assert.equal(created.code, 0, created.err);
    assert.match(
      created.out,
      /created addon aws-ebs-csi-driver v1\.38\.1-eksbuild\.2 with pod identity associations "ebs-csi-controller-sa"/,
    );
    assert.match(created.out, /addon vpc-cni is already present on the cluster; use update addon/);

    const table = await cli('get', 'addon', '--cluster', 'demo', '--simulate', state);
    assert.equal(table.code, 0, table.err);
    const [header, ...rows] = table.out.trimEnd().split('\n');
    assert.match(
      header ?? '',
      /^NAME\s+VERSION\s+STATUS\s+ISSUES\s+IAMROLE\s+UPDATE AVAILABLE\s+CONFIGURATION VALUES\s+NAMESPACE\s+POD IDENTITY ASSOCIATION ROLES$/,
    );
    const ebs = rows.find((row) => row.startsWith('aws-ebs-csi-driver'));
    assert.match(
      ebs ?? '',
      /arn:aws:iam::111122223333:role\/eks-pia\/eks-pia-demo-kube-system-ebs-csi-controller-sa-/,
    );

    const json = await cli(
      'get',
      'addon',
      '--cluster',
      'demo',
      '--name',
      'vpc-cni',
      '--simulate',
      state,
      '-o',
      'json',
    );
    const [cni] = JSON.parse(json.out) as {
      Name: string;
      IAMRole: string;
      PodIdentityAssociations: unknown[];
    }[];
    assert.equal(cni?.IAMRole, 'arn:aws:iam::111122223333:role/demo-vpc-cni');
    assert.deepEqual(cni?.PodIdentityAssociations, []);

    const calls = join(dir, 'c.json');
    const update = await cli(
      'update',
      'addon',
      '-f',
      CREATE_ADDONS,
      '--name',
      'vpc-cni',
      '--dry-run',
      '--simulate',
      state,
      '--calls-out',
      calls,
    );
    assert.equal(update.code, 0, update.err);
    assert.match(update.out, /\(dry run\) would update addon vpc-cni/);
    const log = JSON.parse(readFileSync(calls, 'utf8')) as { mutating: boolean }[];
    assert.deepEqual(
      log.filter((call) => call.mutating),
      [],
    );
  });

  it('refuses an add-on name the file does not list, and --cluster beside -f, with exit code 2', async () => {
    const missing = await cli(
      'create',
      'addon',
      '-f',
      CREATE_ADDONS,
      '--name',
      'kube-proxy',
      '--simulate',
      DEMO_WORLD,
    );
    assert.equal(missing.code, 2);
    assert.match(missing.err, /addon "kube-proxy" is not in the config file/);
    const both = await cli(
      'create',
      'addon',
      '-f',
      CREATE_ADDONS,
      '--cluster',
      'demo',
      '--simulate',
      DEMO_WORLD,
    );
    assert.equal(both.code, 2);
    assert.match(both.err, /cannot use --cluster when --config-file/);
  });
  it('hands the run its --timeout from flags as from a file', async () => {
    const timeouts: (RunTimeout | undefined)[] = [];
    for (const args of [
      ['create', 'addon', '--cluster', 'demo', '--timeout', '90s'],
      ['create', 'addon', '--cluster', 'demo', '--dry-run', '--timeout', '90s'],
      ['create', 'addon', '-f', CREATE_ADDONS, '--timeout', '90s'],
      ['create', 'addon', '--cluster', 'demo'],
    ]) {
      const program = new Command('eks-pia')
        .option('--region <region>')
        .option('--simulate <world>')
        .exitOverride();
      registerAddonCommands(program, {
        io: { out: () => undefined, err: () => undefined },
        run: async (_command, _workflow, _input, _print, timeout) => {
          timeouts.push(timeout);
        },
      });
      await program.parseAsync([...args, '--simulate', DEMO_WORLD], { from: 'user' });
    }
    const given = { text: '90s', ms: 90_000 };
    assert.deepEqual(timeouts, [given, given, given, undefined]);
  });

  it('reads --version as a config file reads addons[].version: latest is the default, an unoffered one is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-addon-'));
    const config = (version: string) => {
      const path = join(dir, `${version}.yaml`);
      writeFileSync(
        path,
        `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\naddons:\n  - {name: eks-pod-identity-agent, version: ${version}}\n`,
      );
      return path;
    };
    const fromFile = await cli('create', 'addon', '-f', config('latest'), '--simulate', DEMO_WORLD);
    assert.equal(fromFile.code, 0, fromFile.err);
    assert.match(fromFile.out, /created addon eks-pod-identity-agent v1\.3\.4-eksbuild\.1/);
    for (const latest of ['latest', 'LATEST']) {
      const fromFlag = await cli(
        'create',
        'addon',
        '--cluster',
        'demo',
        '--version',
        latest,
        '--simulate',
        DEMO_WORLD,
        '-o',
        'json',
      );
      assert.equal(fromFlag.code, 0, fromFlag.err);
      assert.deepEqual(
        (({ version, created }) => ({ version, created }))(
          JSON.parse(fromFlag.out) as { version: string; created: boolean },
        ),
        { version: 'v1.3.4-eksbuild.1', created: true },
      );
    }

    // The same refusal, with exit code 2, and nothing created.
    const offered = 'use one of v1.3.4-eksbuild.1, v1.3.2-eksbuild.2';
    const badFile = await cli('create', 'addon', '-f', config('v9.9.9'), '--simulate', DEMO_WORLD);
    assert.equal(badFile.code, 2);
    assert.match(badFile.err, new RegExp(`EKS offers no version v9\\.9\\.9 .*; ${offered}`));
    const calls = join(dir, 'calls.json');
    const badFlag = await cli(
      'create',
      'addon',
      '--cluster',
      'demo',
      '--version',
      'v9.9.9',
      '--simulate',
      DEMO_WORLD,
      '--calls-out',
      calls,
    );
    assert.equal(badFlag.code, 2, badFlag.err);
    assert.match(
      badFlag.err,
      new RegExp(
        `^Error: AddonVersionNotFoundError: EKS offers no version v9\\.9\\.9 of add-on "eks-pod-identity-agent" for Kubernetes 1\\.31; ${offered}\\n`,
        'm',
      ),
    );
    const log = JSON.parse(readFileSync(calls, 'utf8')) as { mutating: boolean }[];
    assert.deepEqual(
      log.filter((call) => call.mutating),
      [],
    );
  });
});
