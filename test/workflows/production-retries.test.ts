/**
 * The workflows with the SDK retry the deployed Lambdas use (adaptive, 8 attempts, backoff in
 * seconds) rather than the other suites' millisecond retries, against rate limits tight enough
 * that those would give up: every throttled call must be absorbed by the backoff, none may end as
 * a failed item. The limits are a few calls a second, so each run takes seconds, not minutes.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  AUTOMATION_ROLE,
  irsaWorkloads,
  POD_IDENTITY_TRUST,
} from '../../local/simulator/synthetic-worlds.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const CALLER = `arn:aws:iam::${ACCOUNT}:role/automation`;
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/RETRIES';
const S3_READ_ONLY = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
/** Associations: every fifth entry gets a role of its own (and a service account), the rest share one. */
const ENTRIES = 30;
const OWN_ROLE_EVERY = 5;
/** Migration: service accounts, ten to a role. */
const SERVICE_ACCOUNTS = 20;
const PER_ROLE = 10;

function world(
  cluster: Record<string, unknown>,
  roles: unknown[],
  rateLimits: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return stringify({
    account: ACCOUNT,
    region: REGION,
    caller: CALLER,
    clusters: [{ name: 'demo', version: '1.31', ...cluster }],
    roles: [AUTOMATION_ROLE, ...roles],
    behaviour: { rateLimits },
    ...extra,
  });
}

function associationsConfig(): unknown {
  return {
    apiVersion: 'eksctl.io/v1alpha5',
    kind: 'ClusterConfig',
    metadata: { name: 'demo', region: REGION },
    iam: {
      podIdentityAssociations: Array.from({ length: ENTRIES }, (_, index) => {
        const base = { namespace: `team-${index % 3}`, serviceAccountName: `app-${index}` };
        return index % OWN_ROLE_EVERY === 0
          ? { ...base, createServiceAccount: true, permissionPolicyARNs: [S3_READ_ONLY] }
          : { ...base, roleARN: `arn:aws:iam::${ACCOUNT}:role/shared-app` };
      }),
    },
  };
}

function irsaWorld(rateLimits: Record<string, unknown>): string {
  const { provider, serviceAccounts, roles } = irsaWorkloads({
    account: ACCOUNT,
    issuer: ISSUER,
    count: SERVICE_ACCOUNTS,
    perRole: PER_ROLE,
    namespaces: 2,
    rolePrefix: 'irsa-',
  });
  return world({ oidcIssuer: `https://${ISSUER}`, serviceAccounts }, roles, rateLimits, {
    openIdConnectProviders: [provider],
  });
}

describe('workflows with the production SDK retry, under rate limits', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  /** Requests the given limits refused, so a test can show they bit. */
  const throttled = (operation: string) => sim?.simulator.throttled.get(operation) ?? 0;

  it('creates associations, roles and service accounts with every throttled call absorbed; the rerun changes nothing', async () => {
    sim = await simulate(
      world(
        { addons: [{ name: 'eks-pod-identity-agent', version: 'v1.3.4-eksbuild.1' }] },
        [
          {
            name: 'shared-app',
            assumeRolePolicyDocument: POD_IDENTITY_TRUST,
            tags: { 'eks-pia/assignable': 'true' },
          },
        ],
        {
          'iam:CreateRole': { rate: 1, burst: 1 },
          'iam:AttachRolePolicy': { rate: 1, burst: 1 },
          'eks:CreatePodIdentityAssociation': { rate: 5, burst: 2 },
          'kubernetes:*': { rate: 5, burst: 2 },
        },
      ),
      { retries: 'production' },
    );
    const input = { operation: 'create', config: { inline: associationsConfig() } };
    const report = (await sim.run('associations', input)) as {
      counts: Record<string, number>;
      items: { result: string; reason?: string }[];
    };
    assert.equal(
      report.counts.created,
      ENTRIES,
      JSON.stringify(report.items.filter((item) => item.result !== 'created')),
    );
    assert.equal(report.counts.failed, 0);
    assert.ok(throttled('iam:CreateRole') > 0, 'the IAM limit refused calls');
    assert.ok(throttled('eks:CreatePodIdentityAssociation') > 0, 'the EKS limit refused calls');
    const dump = sim.simulator.dump();
    assert.equal(dump.roles.length, 2 + ENTRIES / OWN_ROLE_EVERY);
    assert.equal(dump.clusters[0]?.podIdentityAssociations.length, ENTRIES);

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run('associations', input)) as { counts: Record<string, number> };
    assert.equal(rerun.counts.unchanged, ENTRIES);
    assert.deepEqual(sim.mutatingSince(mark), []);
  });

  it('migrates IRSA service accounts and removes their OIDC trust with every throttled call absorbed; the rerun changes nothing', async () => {
    sim = await simulate(
      irsaWorld({
        'iam:UpdateAssumeRolePolicy': { rate: 1, burst: 1 },
        'eks:CreatePodIdentityAssociation': { rate: 5, burst: 2 },
        'kubernetes:patch serviceaccounts': { rate: 5, burst: 2 },
      }),
      { retries: 'production' },
    );
    const input = { clusterName: 'demo', approve: true, removeOidcProviderTrustRelationship: true };
    const report = (await sim.run('migrate-to-pod-identity', input)) as {
      counts: { serviceAccounts: Record<string, number> };
    };
    assert.equal(report.counts.serviceAccounts.migrated, SERVICE_ACCOUNTS);
    assert.equal(report.counts.serviceAccounts.failed ?? 0, 0);
    assert.ok(throttled('iam:UpdateAssumeRolePolicy') > 0, 'the IAM limit refused calls');
    assert.ok(throttled('eks:CreatePodIdentityAssociation') > 0, 'the EKS limit refused calls');
    const cluster = sim.simulator.dump().clusters[0];
    assert.equal(cluster?.podIdentityAssociations.length, SERVICE_ACCOUNTS);
    assert.ok(
      cluster?.serviceAccounts.every(
        (sa) => sa.annotations?.['eks.amazonaws.com/role-arn'] === undefined,
      ),
      'every IRSA annotation was removed',
    );

    const mark = sim.simulator.calls.length;
    await sim.run('migrate-to-pod-identity', input);
    assert.deepEqual(sim.mutatingSince(mark), []);
  });
});
