/**
 * 5,000 associations per workflow, the scale the design promises: create, get, apply and an
 * approved migration, each with every state's input and output measured (Map iterations and
 * nested runs included), and none may reach Step Functions' 256 KiB limit. Large data goes through
 * the run store; nothing a state carries may grow with the work.
 *
 * Delete at 5,000 is left out of CI: it runs the same batches as apply but, reading and removing
 * roles and service accounts per item, takes minutes on the simulator, which CI's time budget does
 * not carry. The associations suite covers delete at small scale.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withStoredPages } from '../../local/cli/associations-output.ts';
import {
  AUTOMATION_ROLE,
  irsaWorkloads,
  POD_IDENTITY_TRUST,
} from '../../local/simulator/synthetic-worlds.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const COUNT = 5000;
const STATE_DATA_LIMIT_BYTES = 256 * 1024;
const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/SCALE';
/** Migration: teams share a role between ten workloads. */
const SERVICE_ACCOUNTS_PER_ROLE = 10;

/** The largest state input or output of a run, as the runner measured them. */
function measured() {
  let largest = { state: 'none', data: 'input', bytes: 0 };
  return {
    onStateData: (state: string, data: 'input' | 'output', bytes: number) => {
      if (bytes > largest.bytes) largest = { state, data, bytes };
    },
    assertUnderLimit() {
      assert.ok(largest.bytes > 0, 'the runner measured no state');
      assert.ok(
        largest.bytes < STATE_DATA_LIMIT_BYTES,
        `${largest.state} ${largest.data} is ${largest.bytes} bytes`,
      );
    },
  };
}

/**
 * A config of every association, each naming the role `roleOf` gives it; JSON is YAML too, and
 * parses far faster than block YAML at this size.
 */
function associationsConfig(roleOf: (index: number) => string): string {
  return JSON.stringify({
    apiVersion: 'eksctl.io/v1alpha5',
    kind: 'ClusterConfig',
    metadata: { name: 'scale', region: REGION },
    iam: {
      podIdentityAssociations: Array.from({ length: COUNT }, (_, index) => ({
        namespace: `team-${index % 50}`,
        serviceAccountName: `app-${index}`,
        roleARN: `arn:aws:iam::${ACCOUNT}:role/${roleOf(index)}`,
      })),
    },
  });
}

/** The configs are dropped in the config bucket: at this size they are far over 256 KiB inline. */
const CONFIG_BUCKET = `eks-pia-configs-${ACCOUNT}`;
const CREATE_KEY = 'scale/create.yaml';
const APPLY_KEY = 'scale/apply.yaml';

function associationsWorld(): string {
  const opted = { 'eks-pia/assignable': 'true' };
  return JSON.stringify({
    account: ACCOUNT,
    region: REGION,
    caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
    clusters: [
      {
        name: 'scale',
        version: '1.31',
        addons: [{ name: 'eks-pod-identity-agent', version: 'v1.3.4-eksbuild.1' }],
      },
    ],
    roles: [
      AUTOMATION_ROLE,
      { name: 'shared-app', assumeRolePolicyDocument: POD_IDENTITY_TRUST, tags: opted },
      { name: 'other-app', assumeRolePolicyDocument: POD_IDENTITY_TRUST, tags: opted },
    ],
    buckets: [
      {
        name: CONFIG_BUCKET,
        objects: {
          [CREATE_KEY]: associationsConfig(() => 'shared-app'),
          // A tenth of the associations move to another role.
          [APPLY_KEY]: associationsConfig((index) =>
            index % 10 === 0 ? 'other-app' : 'shared-app',
          ),
        },
      },
    ],
  });
}

function associationsInput(operation: string, key: string): unknown {
  return { operation, config: { s3: { bucket: CONFIG_BUCKET, key } } };
}

function irsaWorld(): string {
  const { provider, serviceAccounts, roles } = irsaWorkloads({
    account: ACCOUNT,
    issuer: ISSUER,
    count: COUNT,
    perRole: SERVICE_ACCOUNTS_PER_ROLE,
    namespaces: 50,
    rolePrefix: 'irsa-',
  });
  return JSON.stringify({
    account: ACCOUNT,
    region: REGION,
    caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
    clusters: [
      { name: 'scale', version: '1.31', oidcIssuer: `https://${ISSUER}`, serviceAccounts },
    ],
    openIdConnectProviders: [provider],
    roles: [AUTOMATION_ROLE, ...roles],
  });
}

interface Counts {
  counts: Record<string, number>;
}

describe(`associations workflow at ${COUNT.toLocaleString('en-US')} associations`, () => {
  // One world through create, get and apply, as a platform team's cluster would go.
  let sim: SimulatedRun;
  before(async () => {
    sim = await simulate(associationsWorld());
  });
  after(() => sim.close());

  it('creates them all, every state under 256 KiB', async () => {
    const sizes = measured();
    const report = (await sim.run('associations', associationsInput('create', CREATE_KEY), {
      onStateData: sizes.onStateData,
    })) as Counts;
    assert.deepEqual([report.counts.created, report.counts.failed], [COUNT, 0]);
    assert.equal(sim.simulator.dump().clusters[0]?.podIdentityAssociations.length, COUNT);
    sizes.assertUnderLimit();
  });

  it('gets them all through the run store, every state under 256 KiB', async () => {
    const sizes = measured();
    const output = (await sim.run(
      'associations',
      { operation: 'get', clusterName: 'scale' },
      { onStateData: sizes.onStateData },
    )) as { count: number; associations: unknown[] };
    assert.equal(output.count, COUNT);
    // The output holds what fits; the rest is in run-store pages the CLI reads back.
    assert.ok(output.associations.length < COUNT);
    const full = (await withStoredPages(output)) as {
      associations: { ServiceAccountName: string }[];
    };
    assert.equal(new Set(full.associations.map((row) => row.ServiceAccountName)).size, COUNT);
    sizes.assertUnderLimit();
  });

  it('applies a change to a tenth of them, every state under 256 KiB', async () => {
    const sizes = measured();
    const report = (await sim.run('associations', associationsInput('apply', APPLY_KEY), {
      onStateData: sizes.onStateData,
    })) as Counts;
    assert.deepEqual(
      [report.counts.updated, report.counts.unchanged, report.counts.failed],
      [COUNT / 10, COUNT - COUNT / 10, 0],
    );
    sizes.assertUnderLimit();
  });
});

describe(`migrate-to-pod-identity workflow at ${COUNT.toLocaleString('en-US')} service accounts`, () => {
  it('migrates them all and removes their OIDC trust, every state under 256 KiB', async () => {
    const sim = await simulate(irsaWorld());
    try {
      const sizes = measured();
      const report = (await sim.run(
        'migrate-to-pod-identity',
        { clusterName: 'scale', approve: true, removeOidcProviderTrustRelationship: true },
        { onStateData: sizes.onStateData },
      )) as { counts: { serviceAccounts: Record<string, number> } };
      assert.equal(report.counts.serviceAccounts.migrated, COUNT);
      assert.equal(report.counts.serviceAccounts.failed ?? 0, 0);
      assert.equal(sim.simulator.dump().clusters[0]?.podIdentityAssociations.length, COUNT);
      sizes.assertUnderLimit();
    } finally {
      await sim.close();
    }
  });
});
