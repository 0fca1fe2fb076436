import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BootstrapReport } from '../../../functions/core/bootstrap/report.ts';
import { describeBootstrapReport } from '../../../local/cli/bootstrap-output.ts';
import { main } from '../../../local/cli/main.ts';

const SAMPLE_EVENT = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'events',
  'eventbridge',
  'cloudtrail-create-cluster.json',
);

const WORLD = `
account: "111122223333"
region: us-west-2
caller: arn:aws:iam::111122223333:role/automation
clusters:
  - {name: demo, status: CREATING, activeAfterDescribes: 1, namespaces: [payments]}
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}}
  - {name: reader, tags: {eks-pia/assignable: "true"}, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
buckets:
  - name: eks-pia-configs-111122223333
    objects:
      clusters/demo.yaml: |
        apiVersion: eksctl.io/v1alpha5
        kind: ClusterConfig
        iam:
          podIdentityAssociations:
            - {namespace: payments, serviceAccountName: reports, roleARN: "arn:aws:iam::111122223333:role/reader"}
`;

const REPORT: BootstrapReport = {
  workflow: 'bootstrap-cluster',
  ignored: false,
  clusterName: 'auto',
  region: 'us-west-2',
  trigger: { kind: 'input' },
  cluster: {
    arn: 'arn:aws:eks:us-west-2:111122223333:cluster/auto',
    version: '1.32',
    autoMode: true,
    statusChecks: 1,
  },
  agent: {
    addonName: 'eks-pod-identity-agent',
    status: null,
    version: null,
    autoMode: true,
    reason: 'built into EKS Auto Mode',
    created: false,
  },
  config: { kind: 'none', location: null, files: [], appliedLocation: null, entryCount: 0 },
  associations: null,
  warnings: [],
  nextSteps: ['upload a config'],
};

describe('eks-pia run bootstrap-cluster', () => {
  it('runs the sample CloudTrail event and prints the cluster, the agent, the config and the counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-bootstrap-'));
    const world = join(dir, 'world.yaml');
    writeFileSync(world, WORLD);
    let out = '';
    let err = '';
    const code = await main(
      ['run', 'bootstrap-cluster', '--input', SAMPLE_EVENT, '--simulate', world],
      { out: (text) => (out += text), err: (text) => (err += text) },
    );
    assert.equal(code, 0, err);
    const lines = out.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'cluster "demo" in us-west-2: ACTIVE, Kubernetes 1.31',
      'add-on "eks-pod-identity-agent": ACTIVE at v1.3.4-eksbuild.1 (installed by this run)',
      'config: s3://eks-pia-configs-111122223333/clusters/demo.yaml (1 association)',
      'associations: 1 created, 0 updated, 0 deleted, 0 unchanged, 0 skipped, 0 failed',
    ]);
    assert.match(
      lines[4] ?? '',
      /^ {4}report: s3:\/\/eks-pia-configs-111122223333\/runs\/.+\/report\.json$/,
    );
    assert.match(out, /Next steps:\n {2}- restart the pods using payments\/reports/);
  });
});

describe('describeBootstrapReport', () => {
  it('says the agent is built in on EKS Auto Mode and that no config was found', () => {
    assert.equal(
      describeBootstrapReport(REPORT),
      [
        'cluster "auto" in us-west-2: ACTIVE, Kubernetes 1.32',
        'add-on "eks-pod-identity-agent": not needed, built into EKS Auto Mode',
        'config: none found',
        'Next steps:',
        '  - upload a config',
        '',
      ].join('\n'),
    );
  });

  it('prints why an input was ignored', () => {
    assert.equal(
      describeBootstrapReport({
        workflow: 'bootstrap-cluster',
        ignored: true,
        reason: 'the CreateCluster call for cluster "demo" failed (ResourceInUseException)',
        clusterName: 'demo',
        region: 'us-west-2',
      }),
      'bootstrap ignored the cluster "demo": the CreateCluster call for cluster "demo" failed (ResourceInUseException)\n',
    );
  });
});
