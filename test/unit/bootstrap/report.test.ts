import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BootstrapReportInput,
  buildBootstrapReport,
  runCompletedDetail,
} from '../../../functions/core/bootstrap/report.ts';

const COUNTS = { created: 2, updated: 0, deleted: 0, unchanged: 1, skipped: 0, failed: 0 };

function input(overrides: Partial<BootstrapReportInput> = {}): BootstrapReportInput {
  return {
    clusterName: 'demo',
    region: 'us-west-2',
    trigger: { kind: 'input' },
    cluster: {
      arn: 'arn:aws:eks:us-west-2:111122223333:cluster/demo',
      version: '1.31',
      autoMode: false,
    },
    statusChecks: 3,
    agent: {
      addonName: 'eks-pod-identity-agent',
      status: 'ACTIVE',
      version: 'v1.3.4-eksbuild.1',
      autoMode: false,
      reason: 'status ACTIVE',
      created: true,
    },
    config: {
      kind: 'cluster',
      bucket: 'configs',
      location: 's3://configs/clusters/demo.yaml',
      files: ['s3://configs/clusters/demo.yaml'],
      appliedLocation: 's3://configs/runs/r/cluster-config.json',
      entryCount: 3,
      warnings: ['config warning'],
    },
    associations: {
      counts: COUNTS,
      reportLocation: 's3://configs/runs/a/report.json',
      warnings: ['associations warning'],
      nextSteps: ['restart the pods using "default/web" to pick up Pod Identity credentials'],
    },
    ...overrides,
  };
}

describe('buildBootstrapReport', () => {
  it('carries the associations counts and next steps and puts every warning together', () => {
    const report = buildBootstrapReport(input());
    assert.deepEqual(report.associations, {
      counts: COUNTS,
      reportLocation: 's3://configs/runs/a/report.json',
    });
    assert.deepEqual(report.warnings, ['config warning', 'associations warning']);
    assert.deepEqual(report.nextSteps, [
      'restart the pods using "default/web" to pick up Pod Identity credentials',
    ]);
    assert.equal(report.cluster.statusChecks, 3);
    assert.equal('bucket' in report.config, false);
  });

  it('tells where to put a config when the cluster had none', () => {
    const report = buildBootstrapReport(
      input({
        associations: null,
        config: {
          kind: 'none',
          bucket: 'configs',
          location: null,
          files: [],
          appliedLocation: null,
          entryCount: 0,
          warnings: [],
        },
      }),
    );
    assert.equal(report.associations, null);
    assert.equal(report.config.location, null);
    assert.match(report.nextSteps[0] ?? '', /s3:\/\/configs\/clusters\/demo\.yaml/);
    assert.match(report.nextSteps[0] ?? '', /s3:\/\/configs\/defaults\//);
    assert.match(report.nextSteps[0] ?? '', /\{"clusterName":"demo","region":"us-west-2"\}/);
  });
});

describe('runCompletedDetail', () => {
  it('names the run and points to the associations report instead of carrying it', () => {
    const detail = runCompletedDetail('run-1', buildBootstrapReport(input()));
    assert.deepEqual(detail, {
      workflow: 'bootstrap-cluster',
      runId: 'run-1',
      clusterName: 'demo',
      region: 'us-west-2',
      trigger: 'input',
      agent: {
        addonName: 'eks-pod-identity-agent',
        status: 'ACTIVE',
        version: 'v1.3.4-eksbuild.1',
        created: true,
      },
      config: { kind: 'cluster', location: 's3://configs/clusters/demo.yaml' },
      associations: { counts: COUNTS, reportLocation: 's3://configs/runs/a/report.json' },
    });
  });
});
