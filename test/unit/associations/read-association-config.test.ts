import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ReadAssociationConfigDeps,
  readAssociationConfig,
} from '../../../functions/associations/read-association-config/read-association-config.ts';
import { parseWorkflowInput } from '../../../functions/core/associations/request.ts';
import type { ClusterConfig } from '../../../functions/core/config/index.ts';
import { ConfigValidationError } from '../../../functions/core/config/index.ts';

const CONFIG_YAML = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: demo, region: us-west-2}
iam:
  podIdentityAssociations:
    - {namespace: default, serviceAccountName: reader, wellKnownPolicies: {autoScaler: true}}
`;

/** The deps with the calls they received: S3 objects by key, saved configs by run. */
function recordingDeps(objects: Record<string, string>) {
  const reads: string[] = [];
  const saved: { runId: string; config: ClusterConfig }[] = [];
  const deps: ReadAssociationConfigDeps = {
    parseInput: parseWorkflowInput,
    readConfig: async ({ key }) => {
      reads.push(key);
      const text = objects[key];
      if (text === undefined) throw new Error(`no object ${key} in this test`);
      return text;
    },
    saveConfig: async (runId, config) => {
      saved.push({ runId, config });
      return { location: `s3://configs/runs/${runId}/config.json`, sha256: 'f'.repeat(64) };
    },
  };
  return { deps, reads, saved };
}

describe('read-association-config', () => {
  it('ends a run started for a key outside the trigger prefixes, reading nothing', async () => {
    const { deps, reads, saved } = recordingDeps({});
    const event = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'configs' }, object: { key: 'notes/readme.txt' } },
    };
    const result = await readAssociationConfig('run-1', event, deps);
    assert.equal(result.ignored, true);
    assert.match(result.ignored ? result.reason : '', /notes\/readme\.txt|prefix/);
    assert.deepEqual([reads, saved], [[], []]);
  });

  it('hands flags on with no config', async () => {
    const { deps, saved } = recordingDeps({});
    const input = { operation: 'get', clusterName: 'demo' };
    assert.deepEqual(await readAssociationConfig('run-1', input, deps), {
      runId: 'run-1',
      ignored: false,
      config: null,
    });
    assert.deepEqual(saved, []);
  });

  it('reads an S3 config, validates it and hands on the sealed, validated config', async () => {
    const { deps, reads, saved } = recordingDeps({ 'apply/demo.yaml': CONFIG_YAML });
    const input = {
      operation: 'apply',
      config: { s3: { bucket: 'configs', key: 'apply/demo.yaml' } },
    };
    const result = await readAssociationConfig('run-2', input, deps);
    assert.deepEqual(reads, ['apply/demo.yaml']);
    assert.equal(saved.length, 1);
    assert.equal(saved[0]?.runId, 'run-2');
    assert.equal(saved[0]?.config.metadata.name, 'demo');
    assert.deepEqual(saved[0]?.config.iam?.podIdentityAssociations?.[0]?.wellKnownPolicies, {
      autoScaler: true,
    });
    assert.deepEqual(result, {
      runId: 'run-2',
      ignored: false,
      config: { location: 's3://configs/runs/run-2/config.json', sha256: 'f'.repeat(64) },
    });
  });

  it('refuses an invalid config with every problem listed, saving nothing', async () => {
    const { deps, saved } = recordingDeps({});
    const inline = {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'demo', region: 'us-west-2' },
      iam: { podIdentityAssociations: [{ namespace: 'default' }, { serviceAccountName: 'x' }] },
    };
    await assert.rejects(
      readAssociationConfig('run-3', { operation: 'create', config: { inline } }, deps),
      (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.deepEqual(
          error.issues.map((issue) => issue.message.replace(/:.*/, '')),
          [
            'iam.podIdentityAssociations[0].serviceAccountName must be set',
            'at least one of the following must be specified',
            'iam.podIdentityAssociations[1].namespace must be set',
            'at least one of the following must be specified',
          ],
        );
        return true;
      },
    );
    assert.deepEqual(saved, []);
  });
});
