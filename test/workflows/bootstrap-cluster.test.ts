import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type {
  BootstrapReport,
  IgnoredBootstrapReport,
} from '../../functions/core/bootstrap/report.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const ACCOUNT = '111122223333';
const BUCKET = `eks-pia-configs-${ACCOUNT}`;
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

function sampleEvent(): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(
    readFileSync(join(EVENTS, 'eventbridge', 'cloudtrail-create-cluster.json'), 'utf8'),
  );
}

function consoleInput(): unknown {
  return JSON.parse(readFileSync(join(EVENTS, 'inputs', 'bootstrap-cluster.json'), 'utf8'));
}

function world({
  status = 'CREATING',
  activeAfterDescribes = 3,
  objects = {} as Record<string, string>,
  tags = {} as Record<string, string>,
} = {}): string {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    status: ${status}
    activeAfterDescribes: ${activeAfterDescribes}
    version: "1.31"
    namespaces: [default, payments, monitoring]
    tags: ${JSON.stringify(tags)}
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: app-data-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
buckets:
  - name: ${BUCKET}
    objects: ${JSON.stringify(objects)}
`;
}

const CLUSTER_FILE = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: demo
  region: us-west-2
iam:
  podIdentityAssociations:
    - namespace: payments
      serviceAccountName: reports
      roleARN: arn:aws:iam::${ACCOUNT}:role/app-data-reader
    - namespace: default
      serviceAccountName: web
      permissionPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
`;

function associationsOf(sim: SimulatedRun): string[] {
  return (sim.simulator.dump().clusters[0]?.podIdentityAssociations ?? [])
    .map((association) => `${association.namespace}/${association.serviceAccount}`)
    .sort();
}

/** The config a run handed to the nested associations run, read back from the run store. */
function appliedConfig(sim: SimulatedRun, report: BootstrapReport): Record<string, unknown> {
  const prefix = `s3://${BUCKET}/`;
  const location = report.config.appliedLocation ?? '';
  assert.ok(location.startsWith(prefix), location);
  const key = location.slice(prefix.length);
  const bucket = sim.simulator.dump().buckets.find((candidate) => candidate.name === BUCKET);
  const text = bucket?.objects[key];
  assert.ok(text, `${key} is in the run store`);
  return JSON.parse(text);
}

function describeClusterCalls(sim: SimulatedRun): number {
  return sim.simulator.calls.filter((call) => call.operation === 'DescribeCluster').length;
}

async function failure(run: Promise<unknown>): Promise<WorkflowFailedError> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof WorkflowFailedError, String(error));
    return error;
  }
  assert.fail('the workflow succeeded');
}

describe('bootstrap-cluster workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("applies the config's addons: section too, from the defaults files, with the add-ons' recommended associations", async () => {
    const defaults = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
addonsConfig: {autoApplyPodIdentityAssociations: true}
addons:
  - name: aws-ebs-csi-driver
`;
    sim = await simulate(
      world({ status: 'ACTIVE', objects: { 'defaults/addons.yaml': defaults } }),
    );
    const report = (await sim.run('bootstrap-cluster', consoleInput())) as BootstrapReport;
    assert.equal(report.config.kind, 'defaults');
    assert.deepEqual(
      sim.simulator
        .dump()
        .clusters[0]?.addons.map((addon) => addon.name)
        .sort(),
      ['aws-ebs-csi-driver', 'eks-pod-identity-agent'],
    );
    assert.deepEqual(associationsOf(sim), ['kube-system/ebs-csi-controller-sa']);
    const mark = sim.simulator.calls.length;
    await sim.run('bootstrap-cluster', consoleInput());
    assert.deepEqual(
      sim
        .mutatingSince(mark)
        .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });

  it('waits for the cluster of the sample CloudTrail event, installs the agent and applies its config; a second delivery changes nothing', async () => {
    sim = await simulate(world({ objects: { 'clusters/demo.yaml': CLUSTER_FILE } }));
    const report = (await sim.run('bootstrap-cluster', sampleEvent())) as BootstrapReport;

    assert.equal(sim.simulator.dump().clusters[0]?.status, 'ACTIVE');
    assert.equal(report.cluster.statusChecks, 4, 'three checks saw CREATING, the fourth ACTIVE');
    assert.equal(describeClusterCalls(sim) >= 4, true);
    assert.equal(report.trigger.kind, 'event');
    assert.deepEqual(
      { created: report.agent.created, status: report.agent.status },
      { created: true, status: 'ACTIVE' },
    );
    assert.deepEqual(
      sim.simulator.dump().clusters[0]?.addons.map((addon) => addon.name),
      ['eks-pod-identity-agent'],
    );
    assert.equal(report.config.kind, 'cluster');
    assert.equal(report.config.location, `s3://${BUCKET}/clusters/demo.yaml`);
    assert.equal(report.associations?.counts.created, 2);
    assert.deepEqual(associationsOf(sim), ['default/web', 'payments/reports']);
    const published = sim.simulator.state.events.filter(
      (event) => event.detailType === 'Pod Identity Automation Run Completed',
    );
    assert.deepEqual(
      published.map((event) => (event.detail as { workflow: string }).workflow).sort(),
      ['associations', 'bootstrap-cluster'],
    );

    const mark = sim.simulator.calls.length;
    const again = (await sim.run('bootstrap-cluster', sampleEvent())) as BootstrapReport;
    assert.deepEqual(sim.mutatingSince(mark), []);
    assert.equal(again.agent.created, false);
    assert.equal(again.associations?.counts.unchanged, 2);
    assert.equal(again.cluster.statusChecks, 1);
  });

  it('applies the defaults files in key order with the cluster name and region filled in', async () => {
    sim = await simulate(
      world({
        status: 'ACTIVE',
        objects: {
          'defaults/20-observability.yml': `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: template, tags: {owner: platform}}\niam:\n  podIdentityAssociations:\n    - {namespace: monitoring, serviceAccountName: cloudwatch-agent, permissionPolicyARNs: [arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy]}\n`,
          'defaults/10-payments.yaml': `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\niam:\n  podIdentityAssociations:\n    - {namespace: payments, serviceAccountName: reports, roleARN: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}\n`,
          'defaults/README.md': 'Configs here are applied to every new cluster.',
          'apply/other.yaml': 'not read by the bootstrap',
        },
      }),
    );
    const report = (await sim.run('bootstrap-cluster', consoleInput())) as BootstrapReport;

    assert.equal(report.trigger.kind, 'input');
    assert.equal(report.config.kind, 'defaults');
    assert.deepEqual(report.config.files, [
      `s3://${BUCKET}/defaults/10-payments.yaml`,
      `s3://${BUCKET}/defaults/20-observability.yml`,
    ]);
    const applied = appliedConfig(sim, report) as {
      metadata: Record<string, unknown>;
      iam: { podIdentityAssociations: { serviceAccountName: string }[] };
    };
    assert.deepEqual(applied.metadata, {
      name: 'demo',
      region: 'us-west-2',
      tags: { owner: 'platform' },
    });
    assert.deepEqual(
      applied.iam.podIdentityAssociations.map((entry) => entry.serviceAccountName),
      ['reports', 'cloudwatch-agent'],
    );
    assert.deepEqual(associationsOf(sim), ['monitoring/cloudwatch-agent', 'payments/reports']);
    assert.match(report.warnings.join('\n'), /defaults\/README\.md was not used/);
  });

  it('applies the fleet configs that select the new cluster by its tags, {{cluster}} filled in; a rerun changes nothing', async () => {
    const fleet = (selector: string, entry: string) =>
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nfleet: ${selector}\niam:\n  podIdentityAssociations:\n    - ${entry}\n`;
    sim = await simulate(
      world({
        status: 'ACTIVE',
        tags: { env: 'prod', team: 'payments' },
        objects: {
          'fleet/payments.yaml': fleet(
            '{tags: {env: prod, team: payments}}',
            '{namespace: payments, serviceAccountName: reports, roleName: "{{cluster}}-reports", permissionPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess], tags: {cluster: "{{cluster}}"}}',
          ),
          'fleet/staging.yaml': fleet(
            '{tags: {env: staging}}',
            '{namespace: default, serviceAccountName: web, roleName: "{{cluster}}-web"}',
          ),
          'fleet/named.yaml': fleet(
            '{namePattern: "prod-*"}',
            '{namespace: default, serviceAccountName: api, roleName: "{{cluster}}-api"}',
          ),
        },
      }),
    );
    const report = (await sim.run('bootstrap-cluster', consoleInput())) as BootstrapReport;

    assert.equal(report.config.kind, 'fleet');
    assert.deepEqual(report.config.files, [`s3://${BUCKET}/fleet/payments.yaml`]);
    assert.deepEqual(associationsOf(sim), ['payments/reports']);
    const world_ = sim.simulator.dump();
    const association = world_.clusters[0]?.podIdentityAssociations[0];
    assert.match(association?.roleArn ?? '', /:role\/(?:.+\/)?demo-reports$/);
    assert.equal(association?.tags.cluster, 'demo');
    assert.ok(world_.roles.some((role) => role.name === 'demo-reports'));

    const mark = sim.simulator.calls.length;
    const again = (await sim.run('bootstrap-cluster', consoleInput())) as BootstrapReport;
    assert.equal(again.associations?.counts.unchanged, 1);
    assert.deepEqual(
      sim
        .mutatingSince(mark)
        .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });

  it('applies the cluster file alone, and warns of each fleet config that selects the cluster, with how to apply it', async () => {
    const fleet = (selector: string, serviceAccount: string) =>
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nfleet: ${selector}\niam:\n  podIdentityAssociations:\n    - {namespace: monitoring, serviceAccountName: ${serviceAccount}, roleName: "{{cluster}}-${serviceAccount}", permissionPolicyARNs: [arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy]}\n`;
    sim = await simulate(
      world({
        status: 'ACTIVE',
        tags: { env: 'prod' },
        objects: {
          'clusters/demo.yaml': CLUSTER_FILE,
          'fleet/monitoring.yaml': fleet('{tags: {env: prod}}', 'agent'),
          'fleet/staging.yaml': fleet('{tags: {env: staging}}', 'staging-agent'),
        },
      }),
    );
    const report = (await sim.run('bootstrap-cluster', consoleInput())) as BootstrapReport;

    assert.equal(report.config.kind, 'cluster');
    assert.deepEqual(report.config.files, [`s3://${BUCKET}/clusters/demo.yaml`]);
    assert.deepEqual(associationsOf(sim), ['default/web', 'payments/reports']);
    const fleetWarnings = report.warnings.filter((warning) => warning.includes('/fleet/'));
    assert.deepEqual(fleetWarnings, [
      `s3://${BUCKET}/fleet/monitoring.yaml selects cluster "demo" but was not applied: the cluster's own file s3://${BUCKET}/clusters/demo.yaml replaces the defaults and fleet configs. ` +
        `To apply it too, run aws s3 cp s3://${BUCKET}/fleet/monitoring.yaml - | eks-pia apply podidentityassociation -f - --clusters demo --region us-west-2; ` +
        `or copy its entries into s3://${BUCKET}/clusters/demo.yaml`,
    ]);

    // What the warning says to run: the fleet config, applied to this cluster alone.
    await sim.run('fleet-associations', {
      config: { s3: { bucket: BUCKET, key: 'fleet/monitoring.yaml' } },
      clusters: 'demo',
    });
    assert.deepEqual(associationsOf(sim), ['default/web', 'monitoring/agent', 'payments/reports']);
  });

  it('gives a cluster without a config the agent only, and says how to add one', async () => {
    sim = await simulate(world({ status: 'ACTIVE' }));
    const report = (await sim.run('bootstrap-cluster', consoleInput())) as BootstrapReport;

    assert.equal(report.config.kind, 'none');
    assert.equal(report.config.location, null);
    assert.equal(report.associations, null);
    assert.match(report.nextSteps[0] ?? '', /no config for cluster "demo"/);
    assert.match(report.nextSteps[0] ?? '', /clusters\/demo\.yaml/);
    assert.deepEqual(sim.mutatingSince(0), ['eks:CreateAddon']);
    assert.deepEqual(associationsOf(sim), []);
  });

  it('ignores a failed CreateCluster call without calling anything', async () => {
    sim = await simulate(world());
    const event = sampleEvent();
    event.detail.errorCode = 'ResourceInUseException';
    event.detail.errorMessage = 'Cluster already exists with name: demo';
    event.detail.responseElements = null;

    const output = (await sim.run('bootstrap-cluster', event)) as IgnoredBootstrapReport;
    assert.deepEqual(
      { ...output, reason: undefined },
      {
        workflow: 'bootstrap-cluster',
        ignored: true,
        reason: undefined,
        clusterName: 'demo',
        region: 'us-west-2',
      },
    );
    assert.match(output.reason, /ResourceInUseException: Cluster already exists/);
    assert.deepEqual(sim.simulator.calls, []);
  });

  it('ignores an event of another source, naming no cluster', async () => {
    sim = await simulate(world());
    const event = JSON.parse(
      readFileSync(join(EVENTS, 'eventbridge', 's3-object-created-apply.json'), 'utf8'),
    );
    const output = (await sim.run('bootstrap-cluster', event)) as IgnoredBootstrapReport;
    assert.equal(output.ignored, true);
    assert.equal(output.clusterName, null);
    assert.match(output.reason, /only the CloudTrail record/);
    assert.deepEqual(sim.simulator.calls, []);
  });

  it('fails with the status when the cluster failed to create', async () => {
    sim = await simulate(world({ status: 'FAILED' }));
    const error = await failure(sim.run('bootstrap-cluster', sampleEvent()));
    assert.equal(error.error, 'ClusterCreationFailedError');
    assert.match(error.cause, /cluster "demo" in us-west-2 is FAILED/);
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('fails with ClusterWaitTimeout when the cluster never becomes ACTIVE', async () => {
    sim = await simulate(world({ activeAfterDescribes: 1000 }));
    const error = await failure(sim.run('bootstrap-cluster', sampleEvent()));
    assert.equal(error.error, 'ClusterWaitTimeout');
    assert.match(error.cause, /cluster demo in us-west-2 did not become ACTIVE within 30 minutes/);
    assert.match(error.cause, /last status CREATING/);
    assert.equal(describeClusterCalls(sim), 61, 'one check, then one after each of 60 waits');
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('fails with ClusterNotFoundError for a cluster that does not exist', async () => {
    sim = await simulate(world());
    const error = await failure(
      sim.run('bootstrap-cluster', { clusterName: 'missing', region: 'us-west-2' }),
    );
    assert.equal(error.error, 'ClusterNotFoundError');
    assert.match(error.cause, /cluster "missing" does not exist in region us-west-2/);
  });

  it('refuses a cluster of another region before calling anything', async () => {
    sim = await simulate(world());
    const event = sampleEvent();
    event.detail.awsRegion = 'eu-west-1';
    const error = await failure(sim.run('bootstrap-cluster', event));
    assert.equal(error.error, 'RegionMismatchError');
    assert.match(
      error.cause,
      /is in eu-west-1, but this deployment bootstraps clusters in us-west-2/,
    );
    assert.deepEqual(sim.simulator.calls, []);
  });

  it('fails on an invalid cluster config before installing the agent', async () => {
    const broken = CLUSTER_FILE.replace('namespace: payments', 'namespace: ""');
    sim = await simulate(world({ status: 'ACTIVE', objects: { 'clusters/demo.yaml': broken } }));
    const error = await failure(sim.run('bootstrap-cluster', consoleInput()));
    assert.equal(error.error, 'ConfigValidationError');
    assert.match(error.cause, /s3:\/\/eks-pia-configs-111122223333\/clusters\/demo\.yaml/);
    assert.match(error.cause, /iam\.podIdentityAssociations\[0\]\.namespace must be set/);
    assert.deepEqual(sim.mutatingSince(0), []);
  });
});
