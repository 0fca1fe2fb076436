import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type {
  AssociationRow,
  AssociationsReport,
  GetReport,
} from '../../../functions/core/associations/report.ts';
import {
  parseWorkflowInput,
  type RunnableInput,
} from '../../../functions/core/associations/request.ts';
import { parseClusterConfigValue } from '../../../functions/core/config/index.ts';
import {
  describeAssociationsReport,
  formatAssociationsTable,
} from '../../../local/cli/associations-output.ts';
import type { CliIo } from '../../../local/cli/io.ts';
import { main } from '../../../local/cli/main.ts';
import {
  AssociationItemsFailedError,
  registerPodIdentityAssociationCommands,
} from '../../../local/cli/podidentityassociation.ts';
import {
  parseDuration,
  type RunTimeout,
  RunTimeoutError,
  runWithin,
} from '../../../local/cli/run-timeout.ts';
import { requestFrom } from '../associations/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CONFIGS = join(ROOT, 'events', 'configs');
const INPUTS = join(ROOT, 'events', 'inputs');
const EVENTS = join(ROOT, 'events', 'eventbridge');
const APPLY_FILE = join(CONFIGS, 'apply-team-payments.yaml');
const ROLE = 'arn:aws:iam::111122223333:role/app-data-reader';
const POLICY_ARN = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const WHO = ['--cluster', 'demo', '--namespace', 'payments', '--service-account-name', 'api'];

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

interface Started {
  workflow: string;
  input: Record<string, unknown>;
  /** The region the engine would use (global --region, or the one taken from the file). */
  engineRegion: string | undefined;
  /** `--timeout`, as the command hands it to the run. */
  timeout: RunTimeout | undefined;
  out: string;
}

/**
 * Parses `args` with the real commands but a stand-in engine that records the input and prints
 * `report` (if given) with the command's own printer.
 */
async function start(args: string[], options: { report?: unknown } = {}): Promise<Started> {
  const io = capturingIo();
  const program = new Command('eks-pia')
    .option('--region <region>')
    .option('--simulate <world>')
    .option('-o, --output <format>')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let started: Omit<Started, 'out'> | undefined;
  registerPodIdentityAssociationCommands(program, {
    run: async (command, workflow, input, print, timeout) => {
      const globals = command.optsWithGlobals() as { region?: string; output?: string };
      started = {
        workflow,
        input: input as Record<string, unknown>,
        engineRegion: globals.region,
        timeout,
      };
      if (options.report !== undefined) print(options.report, globals.output, io);
    },
  });
  await program.parseAsync(args, { from: 'user' });
  assert.ok(started, 'the workflow was not started');
  return { ...started, out: io.text.out };
}

function association(started: Started): Record<string, unknown> {
  return started.input.association as Record<string, unknown>;
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'eks-pia-cli-')), name);
  writeFileSync(path, text);
  return path;
}

describe('eks-pia create podidentityassociation with flags', () => {
  const cases: [string, string[], string][] = [
    ['no cluster', [], '--cluster must be set'],
    ['no namespace', ['--cluster', 'demo'], '--namespace is required'],
    [
      'no service account',
      ['--cluster', 'demo', '--namespace', 'payments'],
      '--service-account-name is required',
    ],
    [
      'no role source',
      WHO,
      'at least one of the following flags must be specified: --role-arn, --permission-policy-arns, --well-known-policies',
    ],
    [
      'a role ARN and policy ARNs',
      [...WHO, '--role-arn', ROLE, '--permission-policy-arns', POLICY_ARN],
      '--permission-policy-arns cannot be specified when --role-arn is set',
    ],
    [
      'a role ARN and well-known policies',
      [...WHO, '--role-arn', ROLE, '--well-known-policies', 'autoScaler'],
      '--well-known-policies cannot be specified when --role-arn is set',
    ],
    [
      'a session policy with session tags on',
      [...WHO, '--role-arn', ROLE, '--policy', '{"Version":"2012-10-17","Statement":[]}'],
      '--disable-session-tags must be set to true when using --policy',
    ],
    [
      'a session policy with --disable-session-tags=false',
      [...WHO, '--role-arn', ROLE, '--policy', '{}', '--disable-session-tags=false'],
      '--disable-session-tags must be set to true when using --policy',
    ],
    [
      'an unknown well-known policy',
      [...WHO, '--well-known-policies', 'autoscaler,imageBulder'],
      'invalid wellKnownPolicy: imageBulder',
    ],
    [
      'a tag without a value',
      [...WHO, '--role-arn', ROLE, '--tags', 'team'],
      'invalid argument "team" for "--tags" flag: each tag must be written as key=value (--tags k1=v1,k2=v2)',
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`exits 2 with "${message}" for ${what}`, async () => {
      const result = await cli(['create', 'podidentityassociation', ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.err, `Error: ${message}\n`);
      assert.equal(result.out, '');
    });
  }

  it('keeps every --tags pair, across commas and repeated flags', async () => {
    const started = await start([
      'create',
      'podidentityassociation',
      ...WHO,
      '--role-arn',
      ROLE,
      '--tags',
      'a=1,b=2',
      '--tags',
      'c=x=y',
    ]);
    assert.deepEqual(association(started).tags, { a: '1', b: '2', c: 'x=y' });
  });

  it('reads --disable-session-tags=false as false and the bare flag as true', async () => {
    const off = await start([
      'create',
      'podidentityassociation',
      ...WHO,
      '--role-arn',
      ROLE,
      '--disable-session-tags=false',
    ]);
    assert.equal(association(off).disableSessionTags, false);
    const on = await start([
      'create',
      'podidentityassociation',
      ...WHO,
      '--role-arn',
      ROLE,
      '--disable-session-tags',
      '--policy',
      '{"Version":"2012-10-17","Statement":[]}',
    ]);
    assert.equal(association(on).disableSessionTags, true);
    assert.equal(association(on).policy, '{"Version":"2012-10-17","Statement":[]}');
  });

  it('names well-known policies the way the config does, whatever their case', async () => {
    const started = await start([
      'create',
      'podidentityassociation',
      ...WHO,
      '--well-known-policies',
      'autoscaler,EXTERNALDNS',
    ]);
    assert.deepEqual(association(started).wellKnownPolicies, {
      autoScaler: true,
      externalDNS: true,
    });
  });

  it('builds the whole flags input, taking the documented --permissions-boundary-arn too', async () => {
    const started = await start([
      '--region',
      'us-west-2',
      'create',
      'podidentityassociation',
      ...WHO,
      '--permission-policy-arns',
      `${POLICY_ARN},arn:aws:iam::111122223333:policy/payments-api`,
      '--permissions-boundary-arn',
      'arn:aws:iam::111122223333:policy/boundary',
      '--role-name',
      'payments-api',
      '--create-service-account',
      '--target-role-arn',
      'arn:aws:iam::444455556666:role/payments-data',
      '--dry-run',
    ]);
    assert.equal(started.workflow, 'associations');
    assert.deepEqual(started.input, {
      operation: 'create',
      clusterName: 'demo',
      region: 'us-west-2',
      association: {
        namespace: 'payments',
        serviceAccountName: 'api',
        roleName: 'payments-api',
        permissionsBoundaryARN: 'arn:aws:iam::111122223333:policy/boundary',
        permissionPolicyARNs: [POLICY_ARN, 'arn:aws:iam::111122223333:policy/payments-api'],
        createServiceAccount: true,
        targetRoleARN: 'arn:aws:iam::444455556666:role/payments-data',
      },
      dryRun: true,
    });
    const parsed = parseWorkflowInput(started.input);
    assert.equal(parsed.kind, 'flags');
  });

  it('refuses both spellings of the boundary flag at once', async () => {
    const result = await cli([
      'create',
      'podidentityassociation',
      ...WHO,
      '--permission-policy-arns',
      POLICY_ARN,
      '--permission-boundary-arn',
      'arn:aws:iam::111122223333:policy/a',
      '--permissions-boundary-arn',
      'arn:aws:iam::111122223333:policy/b',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.err, /are the same flag; give it once/);
  });

  it('checks the association with the config core before anything runs', async () => {
    const result = await cli([
      'create',
      'podidentityassociation',
      ...WHO,
      '--role-arn',
      'arn:aws:iam::111122223333:policy/not-a-role',
      '--simulate',
      '/nonexistent/world.yaml',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.err, /is an IAM policy ARN, but a role ARN is needed here/);
    assert.doesNotMatch(result.err, /world/);
  });

  it('refuses flags eksctl does not have, such as the --approve the AWS docs show', async () => {
    const result = await cli(['create', 'podidentityassociation', ...WHO, '--approve']);
    assert.equal(result.code, 2);
    assert.match(result.err, /unknown option '--approve'/);
  });
});

describe('eks-pia update podidentityassociation with flags', () => {
  const cases: [string[], string][] = [
    [[], '--cluster must be set'],
    [['--cluster', 'demo'], '--namespace is required'],
    [['--cluster', 'demo', '--namespace', 'payments'], '--service-account-name is required'],
    [WHO, '--role-arn is required'],
    [
      [...WHO, '--role-arn', ROLE, '--policy', '{}', '--no-disable-session-tags'],
      '--disable-session-tags must be set to true when using --policy',
    ],
    [
      [...WHO, '--role-arn', ROLE, '--policy', '{}', '--disable-session-tags=false'],
      '--disable-session-tags must be set to true when using --policy',
    ],
  ];
  for (const [args, message] of cases) {
    it(`exits 2 with "${message}" for ${args.join(' ') || 'no flags'}`, async () => {
      const result = await cli(['update', 'podidentityassociation', ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.err, `Error: ${message}\n`);
    });
  }

  it('sends only the fields given, and session tags as the flags say', async () => {
    const plain = await start(['update', 'podidentityassociation', ...WHO, '--role-arn', ROLE]);
    assert.deepEqual(plain.input, {
      operation: 'update',
      clusterName: 'demo',
      association: { namespace: 'payments', serviceAccountName: 'api', roleARN: ROLE },
    });
    const negated = await start([
      'update',
      'podidentityassociation',
      ...WHO,
      '--role-arn',
      ROLE,
      '--disable-session-tags',
      '--no-disable-session-tags',
    ]);
    assert.equal(association(negated).disableSessionTags, false);
    const on = await start([
      'update',
      'podidentityassociation',
      ...WHO,
      '--role-arn',
      ROLE,
      '--disable-session-tags',
      '--policy',
      '{"Version":"2012-10-17","Statement":[]}',
      '--target-role-arn',
      '',
    ]);
    assert.equal(association(on).disableSessionTags, true);
    assert.equal(association(on).targetRoleARN, '');
    assert.equal(parseWorkflowInput(on.input).kind, 'flags');
  });
});

describe('eks-pia delete and get podidentityassociation with flags', () => {
  const cases: [string, string[], string][] = [
    ['delete', [], '--cluster must be set'],
    ['delete', ['--cluster', 'demo'], '--namespace is required'],
    ['delete', ['--cluster', 'demo', '--namespace', 'x'], '--service-account-name is required'],
    ['get', [], '--cluster must be set'],
    [
      'get',
      ['--cluster', 'demo', '--service-account-name', 'api'],
      '--namespace must be set in order to specify --service-account-name',
    ],
  ];
  for (const [verb, args, message] of cases) {
    it(`${verb} exits 2 with "${message}"`, async () => {
      const result = await cli([verb, 'podidentityassociation', ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.err, `Error: ${message}\n`);
    });
  }

  it('builds the delete and get inputs the workflow accepts', async () => {
    const removed = await start(['delete', 'podidentityassociation', ...WHO, '--dry-run']);
    assert.deepEqual(removed.input, {
      operation: 'delete',
      clusterName: 'demo',
      association: { namespace: 'payments', serviceAccountName: 'api' },
      dryRun: true,
    });
    const listed = await start([
      'get',
      'podidentityassociations',
      '--cluster',
      'demo',
      '--namespace',
      'payments',
      '--chunk-size',
      '50',
    ]);
    assert.deepEqual(listed.input, {
      operation: 'get',
      clusterName: 'demo',
      namespace: 'payments',
    });
    for (const started of [removed, listed]) {
      assert.notEqual(parseWorkflowInput(started.input).kind, 'ignored');
    }
  });
});

describe('podidentityassociation commands with --config-file', () => {
  const refused: [string, string[]][] = [
    [
      'create',
      [
        '--cluster=demo',
        '--namespace=a',
        '--service-account-name=b',
        `--role-arn=${ROLE}`,
        '--role-name=r',
        '--permission-boundary-arn=arn:aws:iam::111122223333:policy/b',
        '--permissions-boundary-arn=arn:aws:iam::111122223333:policy/b',
        `--permission-policy-arns=${POLICY_ARN}`,
        '--well-known-policies=autoScaler',
        '--create-service-account',
        '--tags=a=1',
        `--target-role-arn=${ROLE}`,
        '--disable-session-tags',
        '--policy={}',
      ],
    ],
    [
      'update',
      [
        '--cluster=demo',
        '--namespace=a',
        '--service-account-name=b',
        `--role-arn=${ROLE}`,
        `--target-role-arn=${ROLE}`,
        '--disable-session-tags',
        '--no-disable-session-tags',
        '--policy={}',
      ],
    ],
    ['delete', ['--cluster=demo', '--namespace=a', '--service-account-name=b']],
    ['get', ['--cluster=demo']],
  ];
  for (const [verb, flags] of refused) {
    for (const flag of flags) {
      const name = flag.split('=')[0] ?? flag;
      it(`${verb} refuses ${name} with -f`, async () => {
        const result = await cli([verb, 'podidentityassociation', '-f', APPLY_FILE, flag]);
        assert.equal(result.code, 2);
        assert.equal(result.err, `Error: cannot use ${name} when --config-file/-f is set\n`);
      });
    }
  }

  it('exits 2 with the config core message, before any simulator starts', async () => {
    const file = tempFile(
      'bad.yaml',
      'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  region: us-west-2\niam:\n  podIdentityAssociations:\n    - namespace: payments\n      serviceAccountName: api\n',
    );
    const result = await cli([
      'create',
      'podidentityassociation',
      '-f',
      file,
      '--simulate',
      '/nonexistent/world.yaml',
    ]);
    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      `Error: ClusterConfig ${file} has 2 problems:\nmetadata.name must be set\n` +
        'at least one of the following must be specified: iam.podIdentityAssociations[0].roleARN, iam.podIdentityAssociations[0].permissionPolicy, iam.podIdentityAssociations[0].permissionPolicyARNs, iam.podIdentityAssociations[0].wellKnownPolicies\n',
    );
    assert.equal(result.out, '');
  });

  it('refuses a file over 1 MiB without reading it', async () => {
    const file = tempFile('huge.yaml', `# ${'x'.repeat(1024 * 1024)}\n`);
    const result = await cli(['apply', 'podidentityassociation', '-f', file]);
    assert.equal(result.code, 2);
    assert.match(result.err, /config files are limited to 1 MiB \(1048576 bytes\)/);
  });

  it('refuses a file that would not fit in a workflow input', async () => {
    const entries = Array.from(
      { length: 1500 },
      (_, index) =>
        `    - {namespace: team-${index}, serviceAccountName: app-${index}, roleARN: "${ROLE}", tags: {owner: platform-team-with-a-long-name, cost-center: "0000000000${index}"}}`,
    );
    const file = tempFile(
      'many.yaml',
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n${entries.join('\n')}\n`,
    );
    const result = await cli(['apply', 'podidentityassociation', '-f', file]);
    assert.equal(result.code, 2);
    assert.match(result.err, /Step Functions accepts at most 262144 \(256 KiB\)/);
  });

  it('says when the file cannot be read', async () => {
    const result = await cli(['delete', 'podidentityassociation', '-f', '/nonexistent/c.yaml']);
    assert.equal(result.code, 2);
    assert.match(result.err, /^Error: cannot read --config-file \/nonexistent\/c\.yaml: ENOENT/);
  });

  it('passes the validated file inline, with dry run and prune for apply', async () => {
    const started = await start([
      'apply',
      'podidentityassociation',
      '-f',
      APPLY_FILE,
      '--prune',
      '--dry-run',
    ]);
    assert.equal(started.input.operation, 'apply');
    assert.equal(started.input.prune, true);
    assert.equal(started.input.dryRun, true);
    const inline = (started.input.config as { inline: unknown }).inline;
    assert.deepEqual(inline, parseYaml(readFileSync(APPLY_FILE, 'utf8')));
    parseClusterConfigValue(inline, { operation: 'apply' });
    const parsed = parseWorkflowInput(started.input);
    assert.equal(parsed.kind, 'config');
  });

  it('leaves dry run and prune out unless asked', async () => {
    const started = await start([
      'update',
      'podidentityassociation',
      '-f',
      join(CONFIGS, 'update-userdocs-roles.yaml'),
    ]);
    assert.deepEqual(Object.keys(started.input).sort(), ['config', 'operation', 'scope']);
  });

  it('takes the region from metadata.region, and refuses a different --region', async () => {
    const local = await start(['create', 'podidentityassociation', '-f', APPLY_FILE]);
    assert.equal(local.engineRegion, 'us-west-2');
    const simulated = await start([
      'create',
      'podidentityassociation',
      '-f',
      APPLY_FILE,
      '--simulate',
      'world.yaml',
    ]);
    assert.equal(simulated.engineRegion, undefined);
    const result = await cli([
      '--region',
      'eu-west-1',
      'create',
      'podidentityassociation',
      '-f',
      APPLY_FILE,
    ]);
    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      `Error: --region eu-west-1 differs from metadata.region us-west-2 in ${APPLY_FILE}; with --config-file/-f the region comes from the file\n`,
    );
  });

  it('get -f lists the cluster the file names, filtered by the flags', async () => {
    const started = await start([
      'get',
      'podidentityassociation',
      '-f',
      join(CONFIGS, 'get-demo.yaml'),
      '--namespace',
      'payments',
      '--service-account-name',
      'api',
    ]);
    assert.deepEqual(started.input, {
      operation: 'get',
      clusterName: 'demo',
      region: 'us-west-2',
      namespace: 'payments',
      serviceAccountName: 'api',
    });
  });

  it('apply needs -f', async () => {
    const result = await cli(['apply', 'podidentityassociation', '--prune']);
    assert.equal(result.code, 2);
    assert.match(result.err, /required option '-f, --config-file <file>' not specified/);
  });
});

describe('--timeout', () => {
  it('reads Go durations', () => {
    assert.equal(parseDuration('25m'), 25 * 60_000);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('250ms'), 250);
  });

  it('exits 2 on a duration it cannot read', async () => {
    const result = await cli(['delete', 'podidentityassociation', ...WHO, '--timeout', '10']);
    assert.equal(result.code, 2);
    assert.equal(
      result.err,
      'Error: invalid argument "10" for "--timeout" flag: time: invalid duration "10"; write it like 25m, 1h30m or 90s\n',
    );
    const zero = await cli(['delete', 'podidentityassociation', ...WHO, '--timeout', '0s']);
    assert.equal(zero.err, 'Error: --timeout must be longer than 0, got "0s"\n');
  });

  it('hands the run its timeout, and none when not given', async () => {
    const limited = await start(['delete', 'podidentityassociation', ...WHO, '--timeout', '1h30m']);
    assert.deepEqual(limited.timeout, { text: '1h30m', ms: 90 * 60_000 });
    const unlimited = await start(['delete', 'podidentityassociation', ...WHO]);
    assert.equal(unlimited.timeout, undefined);
  });

  it('stops waiting for a run that outlives it, saying which run was left', async () => {
    await assert.rejects(
      runWithin(new Promise(() => undefined), { text: '20ms', ms: 20 }, () => 'the run r-1'),
      (error: unknown) =>
        error instanceof RunTimeoutError &&
        error.message === 'timed out after 20ms (--timeout) waiting for the run r-1',
    );
  });
});

const ROWS: AssociationRow[] = [
  {
    AssociationARN: 'arn:aws:eks:us-west-2:111122223333:podidentityassociation/demo/a-1',
    Namespace: 'payments',
    ServiceAccountName: 'api',
    RoleARN: 'arn:aws:iam::111122223333:role/eks-pia/payments-api',
    OwnerARN: '',
    TargetRoleARN: 'arn:aws:iam::444455556666:role/data',
    DisableSessionTags: true,
    ManagedByEksPia: true,
  },
  {
    AssociationARN: 'arn:aws:eks:us-west-2:111122223333:podidentityassociation/demo/a-2',
    Namespace: 'kube-system',
    ServiceAccountName: 'aws-node',
    RoleARN: 'arn:aws:iam::111122223333:role/vpc-cni',
    OwnerARN: 'arn:aws:eks:us-west-2:111122223333:addon/demo/vpc-cni/x',
    TargetRoleARN: '',
    DisableSessionTags: false,
    ManagedByEksPia: false,
  },
];

function getReport(rows: AssociationRow[]): GetReport {
  return {
    workflow: 'associations',
    operation: 'get',
    clusterName: 'demo',
    region: 'us-west-2',
    count: rows.length,
    associations: rows,
  };
}

describe('get output', () => {
  it("prints eksctl's columns, then target role, session tags and manager", () => {
    const lines = formatAssociationsTable(ROWS).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const header = lines[0] ?? '';
    assert.match(
      header,
      /^ASSOCIATION ARN +NAMESPACE +SERVICE ACCOUNT NAME +IAM ROLE ARN +OWNER ARN +TARGET ROLE ARN +SESSION TAGS +MANAGED BY$/,
    );
    const columnAt = (name: string): number => header.indexOf(name);
    const cell = (line: string, name: string): string =>
      line.slice(columnAt(name)).split(/ {3,}/)[0] ?? '';
    const [first, second] = [lines[1] ?? '', lines[2] ?? ''];
    assert.equal(cell(first, 'ASSOCIATION ARN'), ROWS[0]?.AssociationARN);
    assert.equal(cell(first, 'NAMESPACE'), 'payments');
    assert.equal(cell(first, 'SERVICE ACCOUNT NAME'), 'api');
    assert.equal(cell(first, 'IAM ROLE ARN'), ROWS[0]?.RoleARN);
    assert.equal(cell(first, 'TARGET ROLE ARN'), 'arn:aws:iam::444455556666:role/data');
    assert.equal(cell(first, 'SESSION TAGS'), 'disabled');
    assert.equal(cell(first, 'MANAGED BY'), 'eks-pia');
    assert.equal(
      cell(second, 'OWNER ARN'),
      'arn:aws:eks:us-west-2:111122223333:addon/demo/vpc-cni/x',
    );
    assert.equal(cell(second, 'SESSION TAGS'), 'enabled');
    assert.equal(second.length, columnAt('SESSION TAGS') + 'enabled'.length, 'no manager shown');
  });

  it('says so when there is nothing to list', async () => {
    const started = await start(['get', 'podidentityassociation', '--cluster', 'demo'], {
      report: getReport([]),
    });
    assert.equal(started.out, 'No podidentityassociations found\n');
  });

  it('prints the list itself with -o json and -o yaml, [] when empty', async () => {
    const json = await start(['-o', 'json', 'get', 'podidentityassociation', '--cluster', 'demo'], {
      report: getReport(ROWS),
    });
    assert.deepEqual(JSON.parse(json.out), ROWS);
    const yaml = await start(['-o', 'yaml', 'get', 'podidentityassociation', '--cluster', 'demo'], {
      report: getReport(ROWS),
    });
    assert.deepEqual(parseYaml(yaml.out), ROWS);
    const empty = await start(
      ['get', 'podidentityassociation', '--cluster', 'demo', '-o', 'json'],
      {
        report: getReport([]),
      },
    );
    assert.equal(empty.out, '[]\n');
  });

  it('prints the table through the report renderer too, for `run associations`', () => {
    assert.equal(describeAssociationsReport(getReport(ROWS)), formatAssociationsTable(ROWS));
  });
});

describe('change report output', () => {
  const roleArn = 'arn:aws:iam::111122223333:role/eks-pia/demo-payments-api';
  const report: AssociationsReport = {
    workflow: 'associations',
    clusterName: 'demo',
    region: 'us-west-2',
    operation: 'apply',
    dryRun: false,
    source: 'inline config',
    counts: { created: 1, updated: 1, deleted: 0, unchanged: 1, skipped: 0, failed: 0 },
    items: [
      {
        namespace: 'payments',
        serviceAccount: 'api',
        action: 'create',
        result: 'created',
        reason: `created pod identity association for service account "api" in namespace "payments" with new IAM role ${roleArn}`,
        roleArn,
        roleCreated: true,
        serviceAccountCreated: true,
      },
      {
        namespace: 'payments',
        serviceAccount: 'worker',
        action: 'update',
        result: 'updated',
        reason:
          'updated role ARN "arn:aws:iam::111122223333:role/payments-worker" for pod identity association "payments/worker"',
        roleArn: 'arn:aws:iam::111122223333:role/payments-worker',
      },
      { namespace: 'default', serviceAccount: 'web', action: 'unchanged', result: 'unchanged' },
    ],
    warnings: ['payments/api: the cluster has 2 associations eks-pia did not create'],
    nextSteps: ['restart the pods using payments/api to pick up Pod Identity credentials'],
    access: {
      principalArn: 'arn:aws:iam::111122223333:role/eks-pia-automation',
      accessPolicyArns: ['arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy'],
      changed: true,
    },
  };

  it("prints the report's eksctl-worded lines, then the counts, access, warnings and next steps", () => {
    assert.equal(
      describeAssociationsReport(report),
      [
        `created pod identity association for service account "api" in namespace "payments" with new IAM role ${roleArn}`,
        '    service account created',
        'updated role ARN "arn:aws:iam::111122223333:role/payments-worker" for pod identity association "payments/worker"',
        'pod identity association "default/web" is already up-to-date',
        'Summary: 1 created, 1 updated, 0 deleted, 1 unchanged, 0 skipped, 0 failed',
        'Kubernetes access: arn:aws:iam::111122223333:role/eks-pia-automation through an EKS access entry with arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy (granted by this run)',
        'Warning: payments/api: the cluster has 2 associations eks-pia did not create',
        'Next steps:',
        '  - restart the pods using payments/api to pick up Pod Identity credentials',
        '',
      ].join('\n'),
    );
  });

  it('words a dry run as what would happen, with its steps', () => {
    const { access: _, ...withoutAccess } = report;
    const text = describeAssociationsReport({
      ...withoutAccess,
      dryRun: true,
      items: [
        {
          namespace: 'payments',
          serviceAccount: 'api',
          action: 'create',
          result: 'created',
          reason:
            'pod identity association for service account "payments/api" does not exist; it will be created',
          steps: [
            'create IAM role "demo-payments-api" for pod identity association for service account "payments/api"',
            'create pod identity association for service account "payments/api"',
          ],
        },
        {
          namespace: 'payments',
          serviceAccount: 'old',
          action: 'refused',
          result: 'failed',
          reason: 'cannot update podidentityassociation payments/old as it is in use by addon x',
        },
      ],
      counts: { created: 1, updated: 0, deleted: 0, unchanged: 0, skipped: 0, failed: 1 },
      warnings: [],
      nextSteps: [],
    });
    assert.equal(
      text,
      [
        '(dry run) would create pod identity association for service account "api" in namespace "payments"',
        '    pod identity association for service account "payments/api" does not exist; it will be created',
        '    - create IAM role "demo-payments-api" for pod identity association for service account "payments/api"',
        '    - create pod identity association for service account "payments/api"',
        '(dry run) would fail: cannot update podidentityassociation payments/old as it is in use by addon x',
        'Dry run, nothing was changed. Planned: 1 created, 0 updated, 0 deleted, 0 unchanged, 0 skipped, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('prints the report and then fails the command when an item failed', async () => {
    const failing: AssociationsReport = {
      ...report,
      counts: { created: 0, updated: 0, deleted: 0, unchanged: 0, skipped: 0, failed: 1 },
      items: [
        {
          namespace: 'payments',
          serviceAccount: 'api',
          action: 'create',
          result: 'failed',
          reason:
            'creating IAM role for pod identity association for service account api in namespace payments: AccessDenied',
        },
      ],
    };
    await assert.rejects(
      start(['create', 'podidentityassociation', ...WHO, '--role-arn', ROLE], { report: failing }),
      (error) =>
        error instanceof AssociationItemsFailedError &&
        error.message ===
          '1 pod identity association(s) could not be changed; see the report above',
    );
  });
});

describe('console inputs in events/inputs', () => {
  const files = readdirSync(INPUTS).filter((name) => /^associations-.*\.json$/.test(name));
  const context = (text?: string) => ({
    deploymentRegion: 'us-west-2',
    account: '111122223333',
    configText: text,
  });

  it('cover every operation from S3 and inline, create from flags, and apply with prune and dry run', () => {
    for (const operation of ['create', 'update', 'delete', 'apply', 'get']) {
      assert.ok(files.includes(`associations-${operation}-s3.json`), operation);
      assert.ok(files.includes(`associations-${operation}-inline.json`), operation);
    }
    assert.ok(files.includes('associations-create-flags.json'));
    const prune = JSON.parse(
      readFileSync(join(INPUTS, 'associations-apply-prune-dry-run.json'), 'utf8'),
    );
    assert.equal(prune.prune, true);
    assert.equal(prune.dryRun, true);
  });

  for (const name of files) {
    it(`${name} builds a request with the workflow's own parser`, () => {
      const input: unknown = JSON.parse(readFileSync(join(INPUTS, name), 'utf8'));
      const parsed = parseWorkflowInput(input);
      assert.notEqual(parsed.kind, 'ignored');
      const runnable = parsed as RunnableInput;
      let text: string | undefined;
      if (runnable.kind === 'config' && 's3' in runnable.config) {
        assert.equal(runnable.config.s3.bucket, 'eks-pia-configs-111122223333');
        // The S3 samples point at copies of events/configs, outside the trigger prefixes.
        assert.match(runnable.config.s3.key, /^configs\//);
        text = readFileSync(join(CONFIGS, basename(runnable.config.s3.key)), 'utf8');
      }
      const request = requestFrom(runnable, context(text));
      assert.equal(request.clusterName, 'demo');
      assert.equal(request.region, 'us-west-2');
      assert.equal(request.operation, (input as { operation: string }).operation);
      if (request.operation !== 'get')
        assert.ok(request.entries.length + (request.addons?.addons.length ?? 0) > 0);
    });
  }
});

describe('S3 events in events/eventbridge', () => {
  it('start apply for apply/demo.yaml', () => {
    const event: unknown = JSON.parse(
      readFileSync(join(EVENTS, 's3-object-created-apply.json'), 'utf8'),
    );
    const parsed = parseWorkflowInput(event);
    assert.equal(parsed.kind, 'config');
    assert.equal(parsed.kind === 'config' && parsed.operation, 'apply');
    assert.deepEqual(parsed.kind === 'config' && parsed.config, {
      s3: {
        bucket: 'eks-pia-configs-111122223333',
        key: 'apply/demo.yaml',
        versionId: 'p8q_fvg_ySp12L7aoPl4cMA4PlRFAf0K',
      },
    });
  });

  it('decode a URL-encoded key, + being a space', () => {
    const event: unknown = JSON.parse(
      readFileSync(join(EVENTS, 's3-object-created-apply-encoded-key.json'), 'utf8'),
    );
    const parsed = parseWorkflowInput(event);
    assert.equal(
      parsed.kind === 'config' && 's3' in parsed.config && parsed.config.s3.key,
      'apply/team a/demo.yaml',
    );
  });
});
