/**
 * The CLI as platform engineers use it every day: in pipes and scripts (the real process, through
 * bin/eks-pia.mjs), with --version, completion and examples, interrupted and resumed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { progressPrinter } from '../../../local/cli/progress.ts';
import { cli, scratch } from './run-cli.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'eks-pia.mjs');
const DEMO_WORLD = join(ROOT, 'events', 'worlds', 'demo.yaml');
const SAMPLES_WORLD = join(ROOT, 'events', 'worlds', 'samples.yaml');
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: Buffer;
  err: string;
}

/** Runs the real executable; stdout is a pipe read slowly, as `| jq` would. */
function spawnCli(
  args: string[],
  options: {
    stdin?: string;
    onErr?: (text: string, child: ReturnType<typeof spawn>) => void;
    /** Added to (undefined: removed from) the environment, in which task logs are silenced. */
    env?: Record<string, string | undefined>;
  } = {},
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      // spawn leaves out the variables whose value is undefined.
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A slow reader: the writer outruns the pipe and must wait for it to drain.
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      options.onErr?.(err, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out: Buffer.concat(chunks), err }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** A world whose cluster `big` has `count` associations (and the simulator `behaviour` given). */
function worldWithAssociations(count: number, behaviour?: object): string {
  const path = join(scratch(), 'world.json');
  writeFileSync(
    path,
    JSON.stringify({
      account: '111122223333',
      region: 'us-west-2',
      caller: 'arn:aws:iam::111122223333:role/eks-pia-automation',
      clusters: [
        {
          name: 'big',
          podIdentityAssociations: Array.from({ length: count }, (_, index) => ({
            namespace: `team-${index % 40}`,
            serviceAccount: `app-${index}`,
            roleArn: `arn:aws:iam::111122223333:role/app-${index}`,
          })),
        },
      ],
      roles: [
        {
          name: 'eks-pia-automation',
          assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
        },
      ],
      ...(behaviour ? { behaviour } : {}),
    }),
  );
  return path;
}

/** Every call of `operation` is refused with AccessDeniedException: retries do not get past it. */
function deniedCalls(operation: string): object {
  return {
    faults: [{ operation, nth: 1, times: 50, error: 'AccessDeniedException', message: 'denied' }],
  };
}

describe('eks-pia in pipes and scripts', () => {
  // Far beyond a pipe's 64 KiB buffer, and beyond what one state may carry: the listing comes
  // back through the run store's pages. 3,000 is where a listing in the output used to break.
  it('pipes `get -o json` whole, however slowly the reader reads', async () => {
    const count = 3000;
    const result = await spawnCli([
      'get',
      'podidentityassociation',
      '--cluster',
      'big',
      '--simulate',
      worldWithAssociations(count),
      '-o',
      'json',
    ]);
    assert.equal(result.code, 0, result.err);
    assert.ok(result.out.length > 4 * 65536, `${result.out.length} bytes`);
    const list = JSON.parse(result.out.toString()) as { ServiceAccount: string }[];
    assert.equal(list.length, count);
  });

  it('keeps task logs off the terminal unless --verbose asks for them', async () => {
    const args = [
      'create',
      'podidentityassociation',
      '--cluster',
      'nope',
      '--namespace',
      'default',
      '--service-account-name',
      'x',
      '--well-known-policies',
      'autoScaler',
      '--simulate',
      SAMPLES_WORLD,
    ];
    // As a user runs it: no POWERTOOLS_LOG_LEVEL, so the task logger is built at INFO, and no
    // POWERTOOLS_DEV, so its lines are one line each.
    const env = { POWERTOOLS_LOG_LEVEL: undefined, POWERTOOLS_DEV: undefined };
    const quiet = await spawnCli(args, { env });
    assert.equal(quiet.code, 2);
    assert.equal(
      quiet.err,
      'Error: ClusterNotFoundError: cluster "nope" does not exist in region us-west-2; check metadata.name and metadata.region (or --cluster and --region)\n' +
        '  (failed in state "Check Cluster")\n',
    );

    const verbose = await spawnCli([...args, '--verbose'], { env });
    assert.equal(verbose.code, 2);
    assert.match(
      verbose.err,
      /^\{"level":"ERROR","message":"check-cluster-readiness failed with ClusterNotFoundError: .*"stack":"ClusterNotFoundError/m,
    );
    assert.match(verbose.err, /^ {2}\[sim\] eks DescribeCluster 404$/m);
  });

  it('reads the config from standard input with -f -', async () => {
    const config = readFileSync(
      join(ROOT, 'events', 'configs', 'apply-team-payments.yaml'),
      'utf8',
    );
    const result = await spawnCli(
      ['create', 'podidentityassociation', '-f', '-', '--simulate', SAMPLES_WORLD, '-o', 'json'],
      { stdin: config },
    );
    assert.equal(result.code, 0, result.err);
    const report = JSON.parse(result.out.toString()) as { counts: { created: number } };
    assert.ok(report.counts.created > 0);

    const bad = await spawnCli(
      ['create', 'podidentityassociation', '-f', '-', '--simulate', SAMPLES_WORLD],
      { stdin: 'kind: ClusterConfig\nmetadata: {name: demo}\n' },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.err, /standard input/);
  });

  it('stops waiting at --timeout, naming the run it leaves and where it stood', async () => {
    const dir = scratch();
    const world = join(dir, 'slow.yaml');
    // Every call takes a second: the run outlasts the timeout whatever the machine's speed (an
    // add-on that never settled ran out of checks first on a fast one).
    writeFileSync(world, `${readFileSync(DEMO_WORLD, 'utf8')}\nbehaviour: {latencyMs: 1000}\n`);
    const state = join(dir, 'state.yaml');
    const started = Date.now();
    const result = await spawnCli([
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--approve',
      '--timeout',
      '2s',
      '--simulate',
      world,
      '--state-out',
      state,
    ]);
    assert.equal(result.code, 1, result.err);
    assert.ok(Date.now() - started < 20_000, 'the command ends at its timeout');
    const statePattern = state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(
      result.err,
      new RegExp(
        '^Error: timed out after 2s \\(--timeout\\) waiting for the migrate-to-pod-identity workflow ' +
          '\\(run eks-pia-migrate-to-pod-identity-\\d{8}T\\d{6}-[0-9a-f]{6}\\), which ran in this process and stops with it: ' +
          `what it changed so far is in ${statePattern} \\(--state-out\\), and rerunning the command with --simulate ${statePattern} finishes the rest\n$`,
        'm',
      ),
    );
    // Written as the world stood when the command stopped waiting.
    const saved = parseYaml(readFileSync(state, 'utf8')) as { clusters: { name: string }[] };
    assert.deepEqual(
      saved.clusters.map((cluster) => cluster.name),
      ['demo'],
    );
  });

  it('writes --state-out and --calls-out when stopped by SIGTERM, so a rerun resumes', async () => {
    const dir = scratch();
    const world = join(dir, 'slow.yaml');
    // The add-on takes many looks to settle: the run is stopped while it waits.
    writeFileSync(
      world,
      `${readFileSync(DEMO_WORLD, 'utf8')}\nbehaviour: {addonDescribesUntilSettled: 80}\n`,
    );
    const state = join(dir, 'state.yaml');
    const calls = join(dir, 'calls.json');
    let sent = false;
    const stopped = await spawnCli(
      [
        'create',
        'addon',
        '--cluster',
        'demo',
        '--simulate',
        world,
        '--state-out',
        state,
        '--calls-out',
        calls,
      ],
      {
        onErr: (text, child) => {
          if (!sent && /look 3\b/.test(text)) {
            sent = true;
            child.kill('SIGTERM');
          }
        },
      },
    );
    assert.equal(stopped.code, 143, stopped.err);
    assert.match(stopped.err, /Interrupted by SIGTERM/);
    const saved = parseYaml(readFileSync(state, 'utf8')) as {
      clusters: { addons: { name: string; status: string }[] }[];
    };
    const agent = saved.clusters[0]?.addons.find(
      (addon) => addon.name === 'eks-pod-identity-agent',
    );
    assert.equal(agent?.status, 'CREATING');
    const log = JSON.parse(readFileSync(calls, 'utf8')) as { operation: string }[];
    assert.ok(log.some((call) => call.operation === 'CreateAddon'));

    // Resumed from the saved state: the add-on is not created again.
    const resumed = await cli(
      'create',
      'addon',
      '--cluster',
      'demo',
      '--simulate',
      state,
      '-o',
      'json',
    );
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal((JSON.parse(resumed.out) as { created: boolean }).created, false);
  });
});

describe('eks-pia for a person at a terminal', () => {
  it('prints its version with --version and version', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const result = await cli(...args);
      assert.equal(result.code, 0);
      assert.equal(result.out, `${PACKAGE_VERSION}\n`);
    }
    // `create addon --version` is still the add-on's version.
    const help = await cli('create', 'addon', '--help');
    assert.match(help.out, /--version <version>\s+add-on version/);
  });

  it('prints completion scripts built from its commands', async () => {
    const bash = await cli('completion', 'bash');
    assert.equal(bash.code, 0);
    assert.match(bash.out, /complete -F _eks_pia_complete eks-pia/);
    assert.match(bash.out, /"create podidentityassociation"\) words="[^"]*--role-arn/);
    assert.match(bash.out, /-o\) COMPREPLY=\(\$\(compgen -W "table json yaml"/);
    const zsh = await cli('completion', 'zsh');
    assert.match(zsh.out, /bashcompinit/);
    const fish = await cli('completion', 'fish');
    assert.match(fish.out, /complete -c eks-pia .* -a 'podidentityassociation'/);
    const unknown = await cli('completion', 'tcsh');
    assert.equal(unknown.code, 2);
  });

  it('shows examples in --help', async () => {
    for (const args of [
      ['--help'],
      ['create', 'podidentityassociation', '--help'],
      ['get', 'podidentityassociation', '--help'],
      ['utils', 'migrate-to-pod-identity', '--help'],
      ['run', '--help'],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 0);
      assert.match(result.out, /\nExamples:\n {2}\$ eks-pia /, args.join(' '));
    }
  });

  it('draws Map progress as a bar on a terminal and as lines elsewhere', () => {
    let tty = '';
    const bar = progressPrinter({ out: () => undefined, err: (t) => (tty += t), errIsTTY: true });
    bar.line('Process Batches: 50 / 200 associations done');
    bar.line('Process Batches: 200 / 200 associations done');
    bar.end();
    assert.ok(tty.startsWith('\r\u001b[KProcess Batches ['), JSON.stringify(tty));
    assert.match(tty, /Process Batches \[#{8}-{22}\] 50\/200 associations \(25%\)/);
    assert.match(tty, /\[#{30}\] 200\/200 associations \(100%\)\n$/);

    let piped = '';
    const lines = progressPrinter({ out: () => undefined, err: (t) => (piped += t) });
    lines.line('Process Batches: 50 / 200 associations done');
    assert.equal(piped, 'Process Batches: 50 / 200 associations done\n');
  });

  it('counts associations, not batches, and says what it waits for', async () => {
    const result = await cli(
      'apply',
      'podidentityassociation',
      '-f',
      join(ROOT, 'events', 'configs', 'apply-team-payments.yaml'),
      '--simulate',
      SAMPLES_WORLD,
    );
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, /^Process Batches: \d+ \/ \d+ associations done$/m);
    const addon = await cli('create', 'addon', '--cluster', 'demo', '--simulate', DEMO_WORLD);
    assert.match(
      addon.err,
      /Wait For Add-on: waiting for add-on "eks-pod-identity-agent" \(CREATING\), look 2/,
    );
  });
});

/** A dry-run create of a service account in a namespace that does not exist yet. */
const DRY_RUN_CREATE = [
  'create',
  'podidentityassociation',
  '--cluster',
  'demo',
  '--namespace',
  'newns',
  '--service-account-name',
  'app',
  '--well-known-policies',
  'autoScaler',
  '--create-service-account',
  '--simulate',
  SAMPLES_WORLD,
  '--dry-run',
];

describe('eks-pia on bad input and in its messages', () => {
  function inputFile(value: unknown): string {
    const path = join(scratch(), 'input.json');
    writeFileSync(path, JSON.stringify(value));
    return path;
  }

  it('exits 2 for a workflow input the workflow refuses, with a readable message', async () => {
    const badOperation = await cli(
      'run',
      'associations',
      '--input',
      inputFile({ operation: 'frob', clusterName: 'demo' }),
      '--simulate',
      SAMPLES_WORLD,
    );
    assert.equal(badOperation.code, 2);
    assert.match(
      badOperation.err,
      /operation: must be one of "create", "update", "delete", "apply", "get", got "frob"/,
    );

    const event = JSON.parse(
      readFileSync(join(ROOT, 'events', 'eventbridge', 'cloudtrail-create-cluster.json'), 'utf8'),
    );
    event.detail.requestParameters.name = 42;
    const badEvent = await cli(
      'run',
      'bootstrap-cluster',
      '--input',
      inputFile(event),
      '--simulate',
      SAMPLES_WORLD,
    );
    assert.equal(badEvent.code, 2);
    assert.match(
      badEvent.err,
      /BootstrapInputError: the CloudTrail record is malformed: detail\.requestParameters\.name: .*expected string/,
    );
    assert.doesNotMatch(badEvent.err, /✖|→ at/);

    const badTaskInput = await cli(
      'run',
      'ensure-addon',
      '--input',
      inputFile({ clusterName: 5 }),
      '--simulate',
      SAMPLES_WORLD,
    );
    assert.equal(badTaskInput.code, 2);
    assert.match(badTaskInput.err, /check-addon: invalid input: clusterName: /);
  });

  it('names the flags a person typed, and the fields of an input they wrote', async () => {
    const typed = await cli(...DRY_RUN_CREATE);
    assert.equal(typed.code, 0, typed.err);
    assert.match(typed.out, /run again without --dry-run/);
    assert.doesNotMatch(typed.out, /\bdryRun\b/);

    const written = await cli(
      'run',
      'associations',
      '--input',
      inputFile({
        operation: 'create',
        clusterName: 'demo',
        association: {
          namespace: 'newns',
          serviceAccountName: 'app',
          wellKnownPolicies: { autoScaler: true },
        },
        dryRun: true,
      }),
      '--simulate',
      SAMPLES_WORLD,
    );
    assert.equal(written.code, 0, written.err);
    assert.match(written.out, /run again without dryRun/);
  });

  it('says what a dry run would do, without a 401 warning from the access it does not grant', async () => {
    const result = await cli(...DRY_RUN_CREATE, '-o', 'json');
    assert.equal(result.code, 0, result.err);
    const report = JSON.parse(result.out) as { items: { result: string }[]; warnings?: string[] };
    assert.deepEqual(
      report.items.map((item) => item.result),
      ['would create'],
    );
    // As a word: the run's id in the report's location is hex and may hold the digits 401.
    assert.doesNotMatch(result.out, /\b401\b|Unauthorized/);
  });

  it('ends the demo with a hint that shows what the demo made', async () => {
    const state = join(scratch(), 'demo-state.yaml');
    const demo = await cli('demo', '--state-out', state);
    assert.equal(demo.code, 0, demo.err);
    const hint = /npm run --silent cli -- (get podidentityassociation .*)$/m.exec(demo.out)?.[1];
    assert.ok(hint, demo.out);
    const get = await cli(...hint.split(' '));
    assert.equal(get.code, 0, get.err);
    assert.match(get.out, /payments\s+api\s+arn:aws:iam::111122223333:role\/eks-pia\//);
  });

  it('words its errors as eksctl does: the failed call or the association first', async () => {
    const get = ['get', 'podidentityassociation', '--cluster', 'big', '--simulate'];
    const list = await cli(
      ...get,
      worldWithAssociations(1, deniedCalls('eks:ListPodIdentityAssociations')),
    );
    assert.equal(list.code, 1);
    assert.match(
      list.err,
      /AccessDeniedException: failed to list pod identity associations: denied/,
    );

    const describe = await cli(
      ...get,
      worldWithAssociations(1, deniedCalls('eks:DescribePodIdentityAssociation')),
    );
    assert.equal(describe.code, 1);
    assert.match(
      describe.err,
      /AccessDeniedException: failed to describe pod identity association with associationID: a-[0-9a-z]+: denied/,
    );

    const addon = await cli(
      'create',
      'podidentityassociation',
      '--cluster',
      'big',
      '--namespace',
      'default',
      '--service-account-name',
      'app-new',
      '--role-arn',
      'arn:aws:iam::111122223333:role/app-0',
      '--simulate',
      worldWithAssociations(1, deniedCalls('eks:DescribeAddon')),
    );
    assert.equal(addon.code, 1);
    assert.match(
      addon.err,
      /AccessDeniedException: calling "EKS::DescribeAddon::eks-pod-identity-agent": denied/,
    );

    const update = await cli(
      'update',
      'podidentityassociation',
      '--cluster',
      'big',
      '--namespace',
      'default',
      '--service-account-name',
      'nobody',
      '--role-arn',
      'arn:aws:iam::111122223333:role/app-0',
      '--simulate',
      worldWithAssociations(1),
    );
    assert.equal(update.code, 1);
    assert.match(
      update.out,
      /^failed: error updating pod identity association "default\/nobody": pod identity association does not exist/m,
    );
  });

  it('seeds S3 objects from files: a world field and --s3-object', async () => {
    const dir = scratch();
    writeFileSync(
      join(dir, 'world.yaml'),
      `${readFileSync(SAMPLES_WORLD, 'utf8').replace(/^buckets:[\s\S]*$/m, '')}buckets:\n  - name: seeded\n    files: {configs/mine.yaml: ../configs/mine.yaml}\n`,
    );
    mkdirSync(join(dir, '..', 'configs'), { recursive: true });
    const config = join(dir, '..', 'configs', 'mine.yaml');
    writeFileSync(config, readFileSync(join(ROOT, 'events', 'configs', 'get-demo.yaml')));
    const state = join(dir, 'state.json');
    const result = await cli(
      'get',
      'podidentityassociation',
      '--cluster',
      'demo',
      '--simulate',
      join(dir, 'world.yaml'),
      '--s3-object',
      `s3://other/flagged.yaml=${config}`,
      '--state-out',
      state,
    );
    assert.equal(result.code, 0, result.err);
    const buckets = (
      JSON.parse(readFileSync(state, 'utf8')) as {
        buckets: { name: string; objects: Record<string, string>; files?: unknown }[];
      }
    ).buckets;
    const text = readFileSync(config, 'utf8');
    assert.equal(buckets.find((b) => b.name === 'seeded')?.objects['configs/mine.yaml'], text);
    assert.equal(buckets.find((b) => b.name === 'seeded')?.files, undefined);
    assert.equal(buckets.find((b) => b.name === 'other')?.objects['flagged.yaml'], text);

    for (const [spec, message] of [
      ['s3://b/k=/nonexistent.yaml', /cannot read \/nonexistent\.yaml for s3:\/\/b\/k/],
      ['b/k', /write s3:\/\/BUCKET\/KEY=FILE/],
    ] as const) {
      const refused = await cli(
        'get',
        'podidentityassociation',
        '--cluster',
        'demo',
        '--simulate',
        SAMPLES_WORLD,
        '--s3-object',
        spec,
      );
      assert.equal(refused.code, 2);
      assert.match(refused.err, message);
    }
  });
});
