import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parseMigrationInput } from '../../../functions/core/migration/request.ts';
import type { CliIo } from '../../../local/cli/io.ts';
import { main } from '../../../local/cli/main.ts';
import {
  MigrationFailedError,
  migrationInput,
  registerMigrateCommand,
} from '../../../local/cli/migrate.ts';
import { describeMigrationReport } from '../../../local/cli/migrate-output.ts';
import type { RunTimeout } from '../../../local/cli/run-timeout.ts';
import { UsageError } from '../../../local/cli/usage-error.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DEMO_WORLD = join(ROOT, 'events', 'worlds', 'demo.yaml');
const INPUTS = join(ROOT, 'events', 'inputs');

function capturingIo(): CliIo & { text: { out: string; err: string } } {
  const text = { out: '', err: '' };
  return {
    text,
    out: (chunk) => {
      text.out += chunk;
    },
    err: (chunk) => {
      text.err += chunk;
    },
  };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capturingIo();
  const code = await main(args, io);
  return { code, ...io.text };
}

/** Parses the command alone and returns the workflow input it would start, and its --timeout. */
async function inputOf(
  args: string[],
): Promise<{ workflow: string; input: unknown; timeout: RunTimeout | undefined }> {
  const program = new Command('eks-pia').option('--region <region>').exitOverride();
  let started: { workflow: string; input: unknown; timeout: RunTimeout | undefined } | undefined;
  registerMigrateCommand(program, {
    run: async (_command, workflow, input, _print, timeout) => {
      started = { workflow, input, timeout };
    },
  });
  await program.parseAsync(args, { from: 'user' });
  assert.ok(started, 'the workflow was not started');
  return started;
}

describe('eks-pia utils migrate-to-pod-identity', () => {
  it("turns eksctl's flags and ours into the workflow input", async () => {
    const started = await inputOf([
      '--region',
      'us-west-2',
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--approve',
      '--remove-oidc-provider-trust-relationship',
      '--namespace',
      'payments,web',
      '--namespace',
      'batch',
      '--discovery',
      'kubernetes',
      '--allow-stack-drift',
    ]);
    assert.equal(started.workflow, 'migrate-to-pod-identity');
    assert.deepEqual(started.input, {
      clusterName: 'demo',
      region: 'us-west-2',
      approve: true,
      removeOidcProviderTrustRelationship: true,
      discovery: 'kubernetes',
      namespaces: ['payments', 'web', 'batch'],
      allowStackDrift: true,
    });
  });

  it('builds a plan input by default, which the demo reuses', () => {
    assert.deepEqual(migrationInput({ cluster: 'demo' }), { clusterName: 'demo' });
    assert.throws(() => migrationInput({}), {
      name: 'UsageError',
      message: '--cluster must be set',
    });
    assert.throws(() => migrationInput({ cluster: 'demo', namespace: ['Bad_NS'] }), UsageError);
  });

  it("prints the plan in eksctl's words on the simulator and changes nothing", async () => {
    const callsOut = join(mkdtempSync(join(tmpdir(), 'eks-pia-migrate-')), 'calls.json');
    const result = await cli([
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--simulate',
      DEMO_WORLD,
      '--calls-out',
      callsOut,
    ]);
    assert.equal(result.code, 0, result.err);
    const lines = result.out.split('\n');
    assert.match(
      lines[0] ?? '',
      /^\(plan\) would migrate 3 iamserviceaccount\(s\) and 1 addon\(s\) to pod identity by executing the following tasks$/,
    );
    assert.ok(result.out.includes('        migrate addon vpc-cni to pod identity,'));
    assert.equal(lines[1], '(plan)');
    assert.ok(result.out.includes('    install eks-pod-identity-agent addon,'));
    assert.ok(result.out.includes('update trust policy for unowned role "ledger-writer"'));
    // The demo's eksctl iamserviceaccount is migrated through its stack, not skipped.
    assert.ok(
      result.out.includes(
        'update trust policy for owned role "eksctl-demo-addon-iamserviceaccount-Role1-DEMO" (change set on CloudFormation stack "eksctl-demo-addon-iamserviceaccount-monitoring-cloudwatch-agent")',
      ),
    );
    assert.ok(
      result.out.includes(
        "no changes were applied, run again with '--approve' to apply the changes",
      ),
    );
    const calls = JSON.parse(readFileSync(callsOut, 'utf8')) as {
      mutating: boolean;
      status: number;
    }[];
    assert.deepEqual(
      calls.filter((call) => call.mutating && call.status < 400),
      [],
    );
  });

  it('applies with --approve, lists what it did and the pods to restart', async () => {
    const result = await cli([
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--approve',
      '--remove-oidc-provider-trust-relationship',
      '--simulate',
      DEMO_WORLD,
    ]);
    assert.equal(result.code, 0, result.err);
    assert.match(
      result.out,
      /^will migrate 3 iamserviceaccount\(s\) and 1 addon\(s\) to pod identity/,
    );
    assert.match(
      result.out,
      /migrated {3}vpc-cni v1\.19\.2-eksbuild\.1: migrated addon vpc-cni to pod identity for service account aws-node/,
    );
    assert.match(
      result.out,
      /migrated {3}monitoring\/cloudwatch-agent: migrated to pod identity with role "eksctl-demo-addon-iamserviceaccount-Role1-DEMO"/,
    );
    assert.match(
      result.out,
      /removed this cluster's OIDC trust for it from role "eksctl-demo-addon-iamserviceaccount-Role1-DEMO" through CloudFormation stack "eksctl-demo-addon-iamserviceaccount-monitoring-cloudwatch-agent" \(UPDATE_COMPLETE\)/,
    );
    assert.match(
      result.out,
      /migrated {3}payments\/ledger: migrated to pod identity with role "ledger-writer"/,
    );
    assert.match(
      result.out,
      /ledger-writer: Pod Identity trust added; this cluster's OIDC trust removed for system:serviceaccount:payments:ledger/,
    );
    assert.match(result.out, /restart the workloads using payments\/ledger \(ledger-0\)/);
    assert.match(result.out, /all tasks were completed successfully/);
  });

  it("waits at most eksctl's --timeout for the run: 25m unless given, a Go duration", async () => {
    const byDefault = await inputOf(['utils', 'migrate-to-pod-identity', '--cluster', 'demo']);
    assert.deepEqual(byDefault.timeout, { text: '25m', ms: 25 * 60_000 });
    for (const [text, ms] of [
      ['1h30m', 90 * 60_000],
      ['90s', 90_000],
    ] as const) {
      const fleet = await inputOf([
        'utils',
        'migrate-to-pod-identity',
        '--clusters',
        'prod-*',
        '--timeout',
        text,
      ]);
      assert.equal(fleet.workflow, 'fleet-migration');
      assert.deepEqual(fleet.timeout, { text, ms });
      // The workflow's input has no timeout: it bounds only the command's wait.
      assert.ok(!('timeout' in (fleet.input as object)));
    }
    const bad = await cli([
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--timeout',
      '25',
      '--simulate',
      DEMO_WORLD,
    ]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.err,
      'Error: invalid argument "25" for "--timeout" flag: time: invalid duration "25"; write it like 25m, 1h30m or 90s\n',
    );
  });

  it('exits 2 for bad flags, before anything runs', async () => {
    const missing = await cli(['utils', 'migrate-to-pod-identity', '--simulate', DEMO_WORLD]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--cluster must be set/);
    const badMode = await cli([
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--discovery',
      'guess',
    ]);
    assert.equal(badMode.code, 2);
  });

  it('runs every migrate console input sample through `run`, each accepted by the workflow', async () => {
    const samples = readdirSync(INPUTS).filter((name) => /^migrate-.*\.json$/.test(name));
    assert.ok(samples.length >= 4);
    for (const name of samples) {
      const input: unknown = JSON.parse(readFileSync(join(INPUTS, name), 'utf8'));
      assert.doesNotThrow(() => parseMigrationInput(input, 'us-west-2'), name);
    }
    const result = await cli([
      'run',
      'migrate-to-pod-identity',
      '--input',
      join(INPUTS, 'migrate-plan.json'),
      '--simulate',
      DEMO_WORLD,
      '-o',
      'json',
    ]);
    assert.equal(result.code, 0, result.err);
    const report = JSON.parse(result.out) as { workflow: string; approve: boolean };
    assert.deepEqual([report.workflow, report.approve], ['migrate-to-pod-identity', false]);
  });
});

describe('the migration report on a terminal', () => {
  it('fails an approved run whose service accounts could not all be migrated', async () => {
    const report = {
      workflow: 'migrate-to-pod-identity',
      approve: true,
      headline:
        'will migrate 1 iamserviceaccount(s) to pod identity by executing the following tasks',
      tasks: ['create pod identity association for service account "a/b"'],
      closing: ['1 service account could not be migrated; see their reasons'],
      counts: { serviceAccounts: { migrated: 0, unchanged: 0, planned: 0, skipped: 0, failed: 1 } },
      serviceAccounts: [
        {
          namespace: 'a',
          serviceAccount: 'b',
          result: 'failed',
          reason: 'creating pod identity association: boom',
          steps: [],
        },
      ],
    };
    const program = new Command('eks-pia').exitOverride();
    const io = capturingIo();
    registerMigrateCommand(program, {
      run: async (_command, _workflow, _input, print) => print(report, undefined, io),
    });
    await assert.rejects(
      program.parseAsync(['utils', 'migrate-to-pod-identity', '--cluster', 'demo', '--approve'], {
        from: 'user',
      }),
      MigrationFailedError,
    );
    assert.match(io.text.out, /failed {5}a\/b: creating pod identity association: boom/);
  });

  it('prints what it has of a report that lacks lists', () => {
    const text = describeMigrationReport({
      workflow: 'migrate-to-pod-identity',
      headline:
        'no IAM OIDC provider associated with cluster, hence no iamserviceaccounts to be migrated',
    } as Parameters<typeof describeMigrationReport>[0]);
    assert.equal(
      text,
      'no IAM OIDC provider associated with cluster, hence no iamserviceaccounts to be migrated\n',
    );
  });
});
