/**
 * The guardrails as a person at the CLI meets them: a role the association already has passes
 * (update, apply), and what the real run could not carry out (a customer managed policy IAM does
 * not have, another account's roleARN) is refused before any change, dry run included.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../local/runner/definition.ts';
import {
  LEDGER_WRITER,
  MIGRATED_ACCOUNT,
  migratedWorld,
  WORKER_ROLE,
} from '../../migrated-world.ts';
import { cli, scratch } from './run-cli.ts';

const ACCOUNT = MIGRATED_ACCOUNT;
const SAMPLES = join(PROJECT_ROOT, 'events', 'worlds', 'samples.yaml');
const MIGRATED = migratedWorld();

interface Call {
  service: string;
  operation: string;
  status: number;
  mutating: boolean;
}

/** Runs the CLI on `world` (a file, or YAML text); what it printed and its mutating calls. */
async function run(world: string, ...args: string[]) {
  const dir = scratch();
  let worldFile = world;
  if (world.includes('\n')) {
    worldFile = join(dir, 'world.yaml');
    writeFileSync(worldFile, world);
  }
  const calls = join(dir, 'calls.json');
  const result = await cli(...args, '--simulate', worldFile, '--calls-out', calls);
  const log = JSON.parse(readFileSync(calls, 'utf8')) as Call[];
  const mutating = log
    .filter((call) => call.mutating && call.status < 400)
    .map((call) => `${call.service}:${call.operation}`);
  return { ...result, mutating };
}

const UPDATE_LEDGER = [
  'update',
  'podidentityassociation',
  '--cluster',
  'demo',
  '--namespace',
  'payments',
  '--service-account-name',
  'ledger',
  '--role-arn',
  LEDGER_WRITER,
  '--disable-session-tags',
];

describe("the association's current role", () => {
  it('update --role-arn of the role the association has passes, and the dry run plans what the run does', async () => {
    const dry = await run(MIGRATED, ...UPDATE_LEDGER, '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /\(dry run\) would update pod identity association "payments\/ledger"/);
    assert.match(dry.out, /disableSessionTags → true/);
    assert.deepEqual(dry.mutating, []);

    const real = await run(MIGRATED, ...UPDATE_LEDGER);
    assert.equal(real.code, 0, real.err);
    assert.match(real.out, /updated pod identity association "payments\/ledger"/);
    assert.doesNotMatch(real.err, /PolicyGuardViolation/);
    assert.deepEqual(real.mutating, ['eks:UpdatePodIdentityAssociation']);
  });

  it('apply of a file declaring the association with the role it has passes, changing nothing', async () => {
    const file = join(scratch(), 'ledger.yaml');
    writeFileSync(
      file,
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n    - {namespace: payments, serviceAccountName: ledger, roleARN: "${LEDGER_WRITER}"}\n    - {namespace: payments, serviceAccountName: worker, roleARN: "${WORKER_ROLE}", disableSessionTags: true}\n`,
    );
    for (const dryRun of [['--dry-run'], []]) {
      // payments-worker is neither tagged nor allowed either: each association keeps its own.
      const applied = await run(MIGRATED, 'apply', 'podidentityassociation', '-f', file, ...dryRun);
      assert.equal(applied.code, 0, applied.err);
      assert.match(applied.out, /1 updated, 0 deleted, 1 unchanged/);
      assert.deepEqual(
        applied.mutating,
        dryRun.length > 0 ? [] : ['eks:UpdatePodIdentityAssociation'],
      );
    }
  });

  it('moving another association to that role is refused by Plan before any change, dry run too', async () => {
    const args = UPDATE_LEDGER.map((arg) => (arg === 'ledger' ? 'worker' : arg));
    for (const dryRun of [['--dry-run'], []]) {
      const refused = await run(MIGRATED, ...args, ...dryRun);
      assert.equal(refused.code, 2, refused.err);
      assert.match(
        refused.err,
        /PolicyGuardViolation: the flags were rejected as a whole and nothing was changed: 1 guardrail violation:\n--role-arn: role arn:aws:iam::111122223333:role\/teams\/ledger-writer may not be associated: this deployment lets configs associate, besides the role the association already has, only .* \(the association of payments\/worker has role arn:aws:iam::111122223333:role\/payments-worker now, not this one\)\n {2}\(failed in state "Plan"\)/,
      );
      assert.deepEqual(refused.mutating, []);
    }
  });

  it('a new association with that role is refused, since it has none yet', async () => {
    const created = await run(
      MIGRATED,
      'create',
      'podidentityassociation',
      '--cluster',
      'demo',
      '--namespace',
      'payments',
      '--service-account-name',
      'auditor',
      '--role-arn',
      LEDGER_WRITER,
      '--create-service-account',
    );
    assert.equal(created.code, 2, created.err);
    assert.match(
      created.err,
      /ledger-writer may not be associated: .*\(payments\/auditor has no pod identity association yet, so the role is not its current one\)/,
    );
    assert.deepEqual(created.mutating, []);
  });
});

describe('what the real run could not carry out is refused by the dry run too', () => {
  const CREATE_X = [
    'create',
    'podidentityassociation',
    '--cluster',
    'demo',
    '--namespace',
    'default',
    '--service-account-name',
    'x',
  ];

  it('a customer managed policy IAM does not have: refused before CreateRole', async () => {
    for (const dryRun of [['--dry-run'], []]) {
      const result = await run(
        SAMPLES,
        ...CREATE_X,
        '--permission-policy-arns',
        `arn:aws:iam::${ACCOUNT}:policy/nope`,
        ...dryRun,
      );
      assert.equal(result.code, 2, result.err);
      assert.match(
        result.err,
        /PolicyGuardViolation: .*\n--permission-policy-arns: customer managed policy arn:aws:iam::111122223333:policy\/nope does not exist in account 111122223333 \(IAM GetPolicy found no such policy\), so it cannot be attached; create it first, or fix the ARN\n {2}\(failed in state "Load Request"\)/,
      );
      assert.deepEqual(result.mutating, []);
    }
  });

  it('a policy that exists, and AWS managed ones, still pass', async () => {
    const result = await run(
      SAMPLES,
      ...CREATE_X,
      '--permission-policy-arns',
      `arn:aws:iam::${ACCOUNT}:policy/permission-policy-1,arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`,
      '--well-known-policies',
      'autoScaler',
      '--dry-run',
    );
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /Planned: 1 created/);
  });

  it('a roleARN of another account: refused before the service account is created', async () => {
    for (const dryRun of [['--dry-run'], []]) {
      const result = await run(
        SAMPLES,
        ...CREATE_X,
        '--role-arn',
        'arn:aws:iam::999999999999:role/other',
        '--create-service-account',
        ...dryRun,
      );
      assert.equal(result.code, 2, result.err);
      assert.match(
        result.err,
        /--role-arn: role arn:aws:iam::999999999999:role\/other is in account 999999999999, but the association's role must be in account 111122223333, the cluster's: .*; name a role of account 111122223333 as roleARN, and to give pods the role of account 999999999999, name it as targetRoleARN/,
      );
      assert.deepEqual(result.mutating, []);
    }
  });
});
