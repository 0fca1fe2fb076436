import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type FindClusterConfigDeps,
  findClusterConfig,
} from '../../../functions/bootstrap/find-cluster-config/find-cluster-config.ts';

const CONFIG = (entries: string) =>
  `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\niam:\n  podIdentityAssociations:\n${entries}\n`;
const ENTRY = (serviceAccount: string) =>
  `    - {namespace: default, serviceAccountName: ${serviceAccount}, roleARN: "arn:aws:iam::111122223333:role/reader"}`;

/** A bucket in memory; records what was read and saved. */
function bucket(objects: Record<string, string>) {
  const reads: string[] = [];
  const saved: { runId: string; value: Record<string, unknown> }[] = [];
  const deps: FindClusterConfigDeps = {
    bucket: 'configs',
    listKeys: async (prefix) => Object.keys(objects).filter((key) => key.startsWith(prefix)),
    readText: async (key) => {
      reads.push(key);
      return objects[key] ?? '';
    },
    saveConfig: async (runId, value) => {
      saved.push({ runId, value });
      return `runs/${runId}/cluster-config.json`;
    },
  };
  return { deps, reads, saved };
}

const INPUT = { runId: 'run-1', clusterName: 'demo', region: 'us-west-2' };

describe('findClusterConfig', () => {
  it('uses the cluster file over the defaults and says which other cluster files were passed over', async () => {
    const { deps, reads, saved } = bucket({
      'clusters/demo.yaml': CONFIG(ENTRY('own')),
      'clusters/demo.json': '{}',
      'defaults/base.yaml': CONFIG(ENTRY('shared')),
    });
    const result = await findClusterConfig(INPUT, deps);
    assert.deepEqual(reads, ['clusters/demo.yaml']);
    assert.deepEqual(result, {
      found: true,
      kind: 'cluster',
      bucket: 'configs',
      location: 's3://configs/clusters/demo.yaml',
      files: ['s3://configs/clusters/demo.yaml'],
      appliedLocation: 's3://configs/runs/run-1/cluster-config.json',
      applied: { bucket: 'configs', key: 'runs/run-1/cluster-config.json' },
      entryCount: 1,
      warnings: [
        's3://configs/clusters/demo.json was not used: s3://configs/clusters/demo.yaml comes first (.yaml, then .yml, then .json)',
      ],
    });
    assert.deepEqual(saved[0]?.value.metadata, { name: 'demo', region: 'us-west-2' });
  });

  it('falls back to the defaults files when the cluster has no file of its own', async () => {
    const { deps, saved } = bucket({
      'clusters/other.yaml': CONFIG(ENTRY('other')),
      'defaults/2.yaml': CONFIG(ENTRY('second')),
      'defaults/1.yaml': CONFIG(ENTRY('first')),
    });
    const result = await findClusterConfig(INPUT, deps);
    assert.equal(result.kind, 'defaults');
    assert.equal(result.location, 's3://configs/defaults/');
    assert.deepEqual(result.files, [
      's3://configs/defaults/1.yaml',
      's3://configs/defaults/2.yaml',
    ]);
    const value = saved[0]?.value as {
      iam: { podIdentityAssociations: { serviceAccountName: string }[] };
    };
    assert.deepEqual(
      value.iam.podIdentityAssociations.map((entry) => entry.serviceAccountName),
      ['first', 'second'],
    );
  });

  it('finds nothing, saves nothing and keeps the warnings when there is no config', async () => {
    const { deps, saved } = bucket({ 'defaults/readme.md': 'not a config' });
    const result = await findClusterConfig(INPUT, deps);
    assert.equal(result.found, false);
    assert.equal(result.kind, 'none');
    assert.equal(result.applied, null);
    assert.deepEqual(result.warnings, [
      's3://configs/defaults/readme.md was not used: defaults files end in .yaml, .yml or .json',
    ]);
    assert.deepEqual(saved, []);
  });
});
