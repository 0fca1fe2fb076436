/**
 * Issue 9's escalations, tried by someone who can only drop a file in the config bucket or run
 * the CLI: each is refused as a whole (PolicyGuardViolation, exit 2) before any change, through
 * every drop prefix and CLI command that grants, and a run document changed after validation (or
 * a policy made admin after it) is refused by the task that would act on it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { main } from '../../local/cli/main.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const ACCOUNT = '111122223333';
const BUCKET = `eks-pia-configs-${ACCOUNT}`;
const ADMIN_POLICY = `arn:aws:iam::${ACCOUNT}:policy/platform-tools`;
const READER_POLICY = `arn:aws:iam::${ACCOUNT}:policy/reports-reader`;
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

const WORLD = `
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
  - {name: admin, assumeRolePolicyDocument: ${PODS_TRUST}, attachedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]}
  - {name: opted-in, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
  # A role chained into (targetRoleARN), opted in by its owner.
  - {name: data-reader, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::${ACCOUNT}:role/opted-in"}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}, tags: {eks-pia/assignable: "true"}}
managedPolicies:
  # An admin policy under a harmless name: only its document tells.
  - {arn: "${ADMIN_POLICY}", document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}}
  - {arn: "${READER_POLICY}", document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}}
buckets:
  - name: ${BUCKET}
    objects: {}
`;

const statement = (action: string, resource = '*') =>
  `permissionPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "${action}", Resource: "${resource}"}]}`;

/** Each escalation the issue lists, as one association entry, and what the refusal names. */
const ESCALATIONS: { name: string; entry: string; names: RegExp }[] = [
  ...[
    'iam:AttachRolePolicy',
    'iam:PutRolePolicy',
    'iam:UpdateAssumeRolePolicy',
    'iam:CreateRole',
  ].map((action) => ({
    name: `${action} on *`,
    entry: statement(action),
    names: new RegExp(action),
  })),
  {
    name: 'iam:PassRole on *',
    entry: statement('iam:PassRole'),
    names: /iam:PassRole on a wildcard resource/,
  },
  { name: 'iam:Cre*', entry: statement('iam:Cre*'), names: /iam:CreateAccessKey/ },
  { name: 'iam:*Role*', entry: statement('iam:*Role*'), names: /iam:AddRoleToInstanceProfile/ },
  { name: 'iam:P*', entry: statement('iam:P*'), names: /iam:PutGroupPolicy|iam:PutRolePolicy/ },
  {
    name: 'sts:AssumeRole on arn:aws:iam::*:role/*',
    entry: statement('sts:AssumeRole', 'arn:aws:iam::*:role/*'),
    names: /sts:AssumeRole on a wildcard resource/,
  },
  {
    name: 'sts:AssumeRole on arn:*',
    entry: statement('sts:AssumeRole', 'arn:*'),
    names: /sts:AssumeRole on a wildcard resource/,
  },
  {
    name: 'permissionPolicyARNs naming a customer managed admin policy',
    entry: `permissionPolicyARNs: ["${READER_POLICY}", "${ADMIN_POLICY}"]`,
    names:
      /permissionPolicyARNs\[1\]: customer managed policy arn:aws:iam::111122223333:policy\/platform-tools, Statement\[0\]: allows iam:/,
  },
  {
    name: 'roleARN naming an existing admin role',
    entry: `roleARN: "arn:aws:iam::${ACCOUNT}:role/admin"`,
    names: /role arn:aws:iam::111122223333:role\/admin may not be associated/,
  },
  {
    name: 'targetRoleARN naming an existing admin role of the account',
    entry: `roleARN: "arn:aws:iam::${ACCOUNT}:role/opted-in", targetRoleARN: "arn:aws:iam::${ACCOUNT}:role/admin"`,
    names: /target role arn:aws:iam::111122223333:role\/admin may not be assumed for pods/,
  },
  {
    name: 'targetRoleARN naming another account’s OrganizationAccountAccessRole',
    entry: `roleARN: "arn:aws:iam::${ACCOUNT}:role/opted-in", targetRoleARN: "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"`,
    names:
      /target role arn:aws:iam::444455556666:role\/OrganizationAccountAccessRole is in account 444455556666, .* only when it matches allowedRoleArnPatterns \(none are set\)/,
  },
];

/**
 * The world an update acts on: default/attacker is associated with the opted-in role, so the
 * update would otherwise go ahead.
 */
const UPDATE_WORLD = WORLD.replace(
  'namespaces: [default]',
  `namespaces: [default]\n    podIdentityAssociations: [{namespace: default, serviceAccount: attacker, roleArn: "arn:aws:iam::${ACCOUNT}:role/opted-in"}]`,
);

function configFile(entry: string): string {
  return `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n    - {namespace: default, serviceAccountName: attacker, ${entry}}\n`;
}

function uploadEvent(key: string): unknown {
  return {
    version: '0',
    id: 'e0f3c7d5-8a1e-4b6f-9d2c-5e7a1b3c9f40',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: '2026-11-28T14:05:12Z',
    region: 'us-west-2',
    resources: [`arn:aws:s3:::${BUCKET}`],
    detail: { version: '0', bucket: { name: BUCKET }, object: { key }, reason: 'PutObject' },
  };
}

/** A console-style create of default/web in cluster demo with what `role` says of its role. */
function createRequest(role: Record<string, unknown>) {
  return {
    operation: 'create',
    config: {
      inline: {
        apiVersion: 'eksctl.io/v1alpha5',
        kind: 'ClusterConfig',
        metadata: { name: 'demo', region: 'us-west-2' },
        iam: {
          podIdentityAssociations: [{ namespace: 'default', serviceAccountName: 'web', ...role }],
        },
      },
    },
  };
}

describe('escalations through the service', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  for (const prefix of ['create', 'update', 'apply']) {
    for (const escalation of ESCALATIONS) {
      it(`refuses ${escalation.name} dropped under ${prefix}/, changing nothing`, async () => {
        const key = `${prefix}/attack.yaml`;
        sim = await simulate(
          (prefix === 'update' ? UPDATE_WORLD : WORLD).replace(
            'objects: {}',
            `objects: ${JSON.stringify({ [key]: configFile(escalation.entry) })}`,
          ),
        );
        await assert.rejects(sim.run('associations', uploadEvent(key)), (error: unknown) => {
          assert.ok(error instanceof WorkflowFailedError);
          assert.equal(error.error, 'PolicyGuardViolation');
          assert.match(error.cause, escalation.names);
          return true;
        });
        assert.deepEqual(sim.mutatingSince(0), []);
      });
    }
  }

  it('still associates a role its owner opted in by tag', async () => {
    const key = 'create/opted-in.yaml';
    sim = await simulate(
      WORLD.replace(
        'objects: {}',
        `objects: ${JSON.stringify({ [key]: configFile(`roleARN: "arn:aws:iam::${ACCOUNT}:role/opted-in"`) })}`,
      ),
    );
    const report = (await sim.run('associations', uploadEvent(key))) as {
      counts: { created: number };
    };
    assert.equal(report.counts.created, 1);
  });

  it('still chains into a target role its owner opted in by tag', async () => {
    const key = 'create/chained.yaml';
    sim = await simulate(
      WORLD.replace(
        'objects: {}',
        `objects: ${JSON.stringify({ [key]: configFile(`roleARN: "arn:aws:iam::${ACCOUNT}:role/opted-in", targetRoleARN: "arn:aws:iam::${ACCOUNT}:role/data-reader"`) })}`,
      ),
    );
    const report = (await sim.run('associations', uploadEvent(key))) as {
      counts: { created: number };
    };
    assert.equal(report.counts.created, 1);
  });

  it('refuses a request document changed after load-association-request validated it', async () => {
    sim = await simulate(WORLD);
    const { simulator } = sim;
    const input = createRequest({ roleARN: `arn:aws:iam::${ACCOUNT}:role/opted-in` });
    const report = (await sim.run('associations', input, {
      // Between validation and execution, someone with write access to runs/ swaps the role.
      onTaskInvoked: (task) => {
        if (task !== 'plan-associations') return;
        const bucket = simulator.state.world.buckets.find((candidate) => candidate.name === BUCKET);
        assert.ok(bucket);
        for (const [key, text] of Object.entries(bucket.objects)) {
          if (key.endsWith('/request.json')) {
            bucket.objects[key] = text.replaceAll('role/opted-in', 'role/admin');
          }
        }
      },
    })) as { counts: { created: number; failed: number }; warnings: string[]; items: unknown[] };
    assert.equal(report.counts.created, 0);
    assert.match(JSON.stringify(report), /RunDocumentTamperedError/);
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });
});

describe('a batch document changed after plan-associations wrote it', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  /**
   * Runs a create of default/web with the opted-in role, rewriting the batch document when `task`
   * (by default the batch's first) is invoked.
   */
  async function runWithBatchDocument(
    rewrite: (text: string) => string,
    task = 'prepare-association-batch',
  ) {
    sim = await simulate(WORLD);
    const { simulator } = sim;
    const input = createRequest({ roleARN: `arn:aws:iam::${ACCOUNT}:role/opted-in` });
    const report = (await sim.run('associations', input, {
      // Between planning and the batch, someone with write access to runs/ edits its document.
      onTaskInvoked: (invoked) => {
        if (invoked !== task) return;
        const bucket = simulator.state.world.buckets.find((candidate) => candidate.name === BUCKET);
        assert.ok(bucket);
        const keys = Object.keys(bucket.objects).filter((key) => key.endsWith('/batch-0.json'));
        assert.equal(keys.length, 1);
        for (const key of keys) bucket.objects[key] = rewrite(bucket.objects[key] ?? '');
      },
    })) as { counts: { created: number } };
    return report;
  }

  it('is refused when its entries break the guardrails, changing nothing', async () => {
    const report = await runWithBatchDocument((text) =>
      text.replaceAll('role/opted-in', 'role/admin'),
    );
    assert.equal(report.counts.created, 0);
    assert.match(
      JSON.stringify(report),
      /RunDocumentTamperedError.*batch-0\.json.*role\/admin may not be associated/,
    );
    assert.deepEqual(
      sim
        ?.mutatingSince(0)
        .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });

  it('is refused when it claims to be a get, which has no items, changing nothing', async () => {
    const report = await runWithBatchDocument((text) =>
      text.replace('"operation":"create"', '"operation":"get"'),
    );
    assert.equal(report.counts.created, 0);
    assert.match(JSON.stringify(report), /RunDocumentTamperedError.*is a get request/);
    assert.deepEqual(
      sim
        ?.mutatingSince(0)
        .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });

  it('is refused when it names another operation than the run, changing nothing', async () => {
    // A delete is checked for namespaces only: the guardrails alone would let it through.
    const report = await runWithBatchDocument((text) =>
      text.replace('"operation":"create"', '"operation":"delete"'),
    );
    assert.equal(report.counts.created, 0);
    assert.match(
      JSON.stringify(report),
      /RunDocumentTamperedError.*names operation delete, not create/,
    );
    assert.deepEqual(
      sim
        ?.mutatingSince(0)
        .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });
  it('is refused when it changes after prepare-association-batch checked it, changing nothing', async () => {
    // Between the batch's check and its changes: the seal the check handed on no longer matches.
    const report = await runWithBatchDocument(
      (text) => text.replaceAll('role/opted-in', 'role/admin'),
      'apply-association-batch',
    );
    assert.equal(report.counts.created, 0);
    assert.match(
      JSON.stringify(report),
      /RunDocumentChangedError.*batch-0\.json was changed.*SHA-256 differs/,
    );
    assert.deepEqual(
      sim
        ?.mutatingSince(0)
        .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });
});

describe('a customer managed policy made admin after load-association-request', () => {
  it('is refused by prepare-association-batch, which reads the policy again before the batch attaches it', async () => {
    const sim = await simulate(WORLD);
    try {
      const { simulator } = sim;
      const input = createRequest({ permissionPolicyARNs: [READER_POLICY] });
      const report = (await sim.run('associations', input, {
        // The policy's owner gives it admin rights once load-association-request has accepted the config.
        onTaskInvoked: (task) => {
          if (task !== 'plan-associations') return;
          const policy = simulator.state.world.managedPolicies.find(
            (candidate) => candidate.arn === READER_POLICY,
          );
          assert.ok(policy);
          policy.document = {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
          };
        },
      })) as { counts: { created: number } };
      assert.equal(report.counts.created, 0);
      assert.match(JSON.stringify(report), /RunDocumentTamperedError.*policy\/reports-reader/);
      assert.deepEqual(
        sim
          .mutatingSince(0)
          .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
        [],
      );
    } finally {
      await sim.close();
    }
  });
});

describe('a target role whose opt-in tag is removed after load-association-request', () => {
  it('is refused by prepare-association-batch, which reads the target’s tags again before the batch', async () => {
    const sim = await simulate(WORLD);
    try {
      const { simulator } = sim;
      const input = createRequest({
        roleARN: `arn:aws:iam::${ACCOUNT}:role/opted-in`,
        targetRoleARN: `arn:aws:iam::${ACCOUNT}:role/data-reader`,
      });
      const report = (await sim.run('associations', input, {
        // The target's owner withdraws the opt-in once load-association-request has accepted it.
        onTaskInvoked: (task) => {
          if (task !== 'plan-associations') return;
          const role = simulator.state.world.roles.find(
            (candidate) => candidate.name === 'data-reader',
          );
          assert.ok(role);
          delete role.tags['eks-pia/assignable'];
        },
      })) as { counts: { created: number } };
      assert.equal(report.counts.created, 0);
      assert.match(
        JSON.stringify(report),
        /RunDocumentTamperedError.*target role arn:aws:iam::111122223333:role\/data-reader may not be assumed for pods/,
      );
      assert.deepEqual(
        sim
          .mutatingSince(0)
          .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
        [],
      );
    } finally {
      await sim.close();
    }
  });
});

describe('escalations through the CLI', () => {
  /** Runs the CLI against `world`, `args` first; the exit code, standard error and mutating calls. */
  async function cli(
    args: string[],
    world: string,
    config?: string,
  ): Promise<{ code: number; err: string; mutating: unknown[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-escalation-'));
    const worldFile = join(dir, 'world.yaml');
    const calls = join(dir, 'calls.json');
    writeFileSync(worldFile, world);
    const file = join(dir, 'attack.yaml');
    if (config !== undefined) writeFileSync(file, config);
    let err = '';
    const code = await main(
      [
        ...args,
        ...(config === undefined ? [] : ['-f', file]),
        '--simulate',
        worldFile,
        '--calls-out',
        calls,
      ],
      { out: () => undefined, err: (text) => (err += text) },
    );
    const log = JSON.parse(readFileSync(calls, 'utf8')) as { mutating: boolean }[];
    return { code, err, mutating: log.filter((call) => call.mutating) };
  }

  for (const command of ['create', 'update', 'apply']) {
    for (const escalation of ESCALATIONS) {
      it(`${command}: exits 2 on ${escalation.name}, with no mutating call`, async () => {
        const { code, err, mutating } = await cli(
          [command, 'podidentityassociation'],
          command === 'update' ? UPDATE_WORLD : WORLD,
          configFile(escalation.entry),
        );
        assert.equal(code, 2, err);
        assert.match(err, /PolicyGuardViolation/);
        assert.match(err, escalation.names);
        assert.deepEqual(mutating, []);
      });
    }
  }

  it('update --role-arn: exits 2 on an existing admin role, naming the flag, with no mutating call', async () => {
    const { code, err, mutating } = await cli(
      [
        'update',
        'podidentityassociation',
        '--cluster',
        'demo',
        '--namespace',
        'default',
        '--service-account-name',
        'attacker',
        '--role-arn',
        `arn:aws:iam::${ACCOUNT}:role/admin`,
      ],
      UPDATE_WORLD,
    );
    assert.equal(code, 2, err);
    assert.match(err, /PolicyGuardViolation/);
    assert.match(
      err,
      /--role-arn: role arn:aws:iam::111122223333:role\/admin may not be associated/,
    );
    assert.deepEqual(mutating, []);
  });
});
