import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type FindClusterConfigDeps,
  findClusterConfig,
} from '../../../functions/bootstrap/find-cluster-config/find-cluster-config.ts';
import { SharedConfigError } from '../../../functions/core/bootstrap/config-files.ts';
import { ConfigValidationError } from '../../../functions/core/config/index.ts';

const CONFIG = (entries: string) =>
  `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\niam:\n  podIdentityAssociations:\n${entries}\n`;
const ENTRY = (serviceAccount: string) =>
  `    - {namespace: default, serviceAccountName: ${serviceAccount}, roleARN: "arn:aws:iam::111122223333:role/reader"}`;

/** A bucket in memory; records what was listed, read and saved. */
function bucket(objects: Record<string, string>) {
  const lists: string[] = [];
  const reads: string[] = [];
  const saved: { runId: string; value: Record<string, unknown> }[] = [];
  const deps: FindClusterConfigDeps = {
    bucket: 'configs',
    listKeys: async (prefix) => {
      lists.push(prefix);
      return Object.keys(objects).filter((key) => key.startsWith(prefix));
    },
    readText: async (key) => {
      reads.push(key);
      return objects[key] ?? '';
    },
    saveConfig: async (runId, value) => {
      saved.push({ runId, value });
      return `runs/${runId}/cluster-config.json`;
    },
  };
  return { deps, lists, reads, saved };
}

const INPUT = { runId: 'run-1', clusterName: 'demo', region: 'us-west-2', tags: {} };

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
      's3://configs/defaults/readme.md was not used: config files end in .yaml, .yml or .json',
    ]);
    assert.deepEqual(saved, []);
  });

  describe('fleet configs', () => {
    const FLEET = (selector: string, entries: string) =>
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nfleet: ${selector}\niam:\n  podIdentityAssociations:\n${entries}\n`;
    const OWN_ROLE = `    - {namespace: "{{cluster}}-apps", serviceAccountName: api, roleName: "{{cluster}}-api", permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], tags: {cluster: "{{cluster}}"}}`;
    const saNames = (value: Record<string, unknown> | undefined) =>
      (
        value as { iam: { podIdentityAssociations: { serviceAccountName: string }[] } }
      ).iam.podIdentityAssociations.map((entry) => entry.serviceAccountName);

    it('applies, with the defaults, each fleet config whose selector matches the cluster by name, pattern and tags', async () => {
      const { deps, saved } = bucket({
        'defaults/base.yaml': CONFIG(ENTRY('shared')),
        'fleet/by-name.yaml': FLEET('{clusters: [demo, other]}', ENTRY('named')),
        'fleet/by-pattern.yaml': FLEET('{namePattern: "de*"}', ENTRY('patterned')),
        'fleet/by-tags.yaml': FLEET('{tags: {env: prod, team: a}}', ENTRY('tagged')),
        'fleet/all-conditions.yaml': FLEET(
          '{clusters: [demo], namePattern: "d?mo", tags: {env: prod}}',
          ENTRY('all'),
        ),
        'fleet/not-this-name.yaml': FLEET('{clusters: [other]}', ENTRY('other-name')),
        'fleet/not-this-pattern.yaml': FLEET('{namePattern: "prod-*"}', ENTRY('other-pattern')),
        'fleet/not-every-tag.yaml': FLEET('{tags: {env: prod, team: b}}', ENTRY('other-team')),
        'fleet/name-but-not-tags.yaml': FLEET('{clusters: [demo], tags: {env: dev}}', ENTRY('dev')),
        'fleet/other-region.yaml': `${FLEET('{clusters: [demo]}', ENTRY('elsewhere'))}metadata: {region: eu-west-1}\n`,
      });
      const result = await findClusterConfig(
        { ...INPUT, tags: { env: 'prod', team: 'a', cost: 'x' } },
        deps,
      );
      assert.equal(result.kind, 'fleet');
      assert.equal(result.location, 's3://configs/fleet/');
      assert.deepEqual(result.files, [
        's3://configs/defaults/base.yaml',
        's3://configs/fleet/all-conditions.yaml',
        's3://configs/fleet/by-name.yaml',
        's3://configs/fleet/by-pattern.yaml',
        's3://configs/fleet/by-tags.yaml',
      ]);
      assert.deepEqual(saNames(saved[0]?.value), ['shared', 'all', 'named', 'patterned', 'tagged']);
      assert.deepEqual(saved[0]?.value.metadata, { name: 'demo', region: 'us-west-2' });
      assert.equal(result.entryCount, 5);
    });

    it("fills {{cluster}} in with the cluster's name", async () => {
      const { deps, saved } = bucket({ 'fleet/apps.yaml': FLEET('{namePattern: "*"}', OWN_ROLE) });
      await findClusterConfig(INPUT, deps);
      const value = saved[0]?.value as { iam: { podIdentityAssociations: unknown[] } } | undefined;
      const [entry] = value?.iam.podIdentityAssociations ?? [];
      assert.deepEqual(entry, {
        namespace: 'demo-apps',
        serviceAccountName: 'api',
        roleName: 'demo-api',
        permissionPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
        tags: { cluster: 'demo' },
      });
    });

    it('finds nothing when no fleet config selects the cluster and there are no defaults', async () => {
      const { deps, saved } = bucket({
        'fleet/prod.yaml': FLEET('{namePattern: "prod-*"}', ENTRY('a')),
      });
      const result = await findClusterConfig(INPUT, deps);
      assert.equal(result.kind, 'none');
      assert.deepEqual(saved, []);
    });

    it('uses the cluster file alone, and names each fleet config that selects the cluster with how to apply it', async () => {
      const { deps, lists, reads, saved } = bucket({
        'clusters/demo.yaml': CONFIG(ENTRY('own')),
        'defaults/base.yaml': CONFIG(ENTRY('shared')),
        'fleet/all.yaml': FLEET('{namePattern: "*"}', ENTRY('fleet')),
        'fleet/by-tags.yaml': FLEET('{tags: {env: prod}}', ENTRY('tagged')),
        'fleet/other.yaml': FLEET('{clusters: [other]}', ENTRY('other')),
      });
      const result = await findClusterConfig({ ...INPUT, tags: { env: 'prod' } }, deps);
      assert.equal(result.kind, 'cluster');
      assert.deepEqual(result.files, ['s3://configs/clusters/demo.yaml']);
      assert.deepEqual(saNames(saved[0]?.value), ['own']);
      const passedOver = (file: string) =>
        `s3://configs/fleet/${file} selects cluster "demo" but was not applied: the cluster's own file s3://configs/clusters/demo.yaml replaces the defaults and fleet configs. ` +
        `To apply it too, run aws s3 cp s3://configs/fleet/${file} - | eks-pia apply podidentityassociation -f - --clusters demo --region us-west-2; ` +
        'or copy its entries into s3://configs/clusters/demo.yaml';
      assert.deepEqual(result.warnings, [passedOver('all.yaml'), passedOver('by-tags.yaml')]);
      // The tags came with the input: selecting costs the fleet/ listing and reads, nothing else.
      assert.deepEqual(lists.sort(), ['clusters/demo.', 'fleet/']);
      assert.deepEqual(reads.sort(), [
        'clusters/demo.yaml',
        'fleet/all.yaml',
        'fleet/by-tags.yaml',
        'fleet/other.yaml',
      ]);
    });

    it('only warns of a broken fleet config when the cluster has its own file, which it applies', async () => {
      const { deps, saved } = bucket({
        'clusters/demo.yaml': CONFIG(ENTRY('own')),
        'fleet/broken.yaml': FLEET('{namePatern: "*"}', ENTRY('a')),
      });
      const result = await findClusterConfig(INPUT, deps);
      assert.equal(result.kind, 'cluster');
      assert.deepEqual(saNames(saved[0]?.value), ['own']);
      assert.deepEqual(result.warnings, [
        [
          's3://configs/fleet/broken.yaml could not be read to tell whether it selects cluster "demo"; fix it, or a new cluster without a file of its own fails to bootstrap on it:',
          'fleet.namePatern: unknown field "namePatern"; a fleet selects clusters by clusters, namePattern, tags',
          'fleet selects no cluster; give clusters, namePattern or tags (a cluster must match every one given)',
        ].join('\n- '),
      ]);
    });

    it('only warns of a fleet config it cannot read (gone since the listing), and of five problems of a broken one at most', async () => {
      const many = Array.from({ length: 7 }, (_, index) => `  label${index}: x`).join('\n');
      const { deps, saved } = bucket({
        'clusters/demo.yaml': CONFIG(ENTRY('own')),
        'fleet/gone.yaml': FLEET('{namePattern: "*"}', ENTRY('a')),
        'fleet/wordy.yaml': FLEET(`{namePattern: "*"}\n${many}`, ENTRY('b')),
      });
      const readText = deps.readText;
      deps.readText = async (key) => {
        if (key === 'fleet/gone.yaml')
          throw new Error('NoSuchKey: The specified key does not exist.');
        return readText(key);
      };
      const result = await findClusterConfig(INPUT, deps);
      assert.equal(result.kind, 'cluster');
      assert.deepEqual(saNames(saved[0]?.value), ['own']);
      const [gone, wordy] = result.warnings;
      assert.match(
        gone ?? '',
        /^s3:\/\/configs\/fleet\/gone\.yaml could not be read .*\n- NoSuchKey: The specified key does not exist\.$/s,
      );
      assert.equal((wordy ?? '').split('\n- ').length, 1 + 5 + 1);
      assert.match(wordy ?? '', /\n- and 2 more problems$/);
    });

    it('only warns of more fleet configs than are read when the cluster has its own file', async () => {
      const fleet = Object.fromEntries(
        Array.from({ length: 101 }, (_, index) => [
          `fleet/${index}.yaml`,
          FLEET('{namePattern: "*"}', ENTRY('a')),
        ]),
      );
      const { deps, reads } = bucket({ 'clusters/demo.yaml': CONFIG(ENTRY('own')), ...fleet });
      const result = await findClusterConfig(INPUT, deps);
      assert.equal(result.kind, 'cluster');
      assert.deepEqual(reads, ['clusters/demo.yaml']);
      assert.deepEqual(result.warnings, [
        's3://configs/fleet/ could not be read to tell whether it selects cluster "demo"; fix it, or a new cluster without a file of its own fails to bootstrap on it:\n- there are 101 config files under fleet/; at most 100 are read, so combine some of them',
      ]);
    });

    it('refuses a fleet config that is broken, whichever clusters it was meant for, saving nothing', async () => {
      const { deps, saved } = bucket({
        'fleet/broken.yaml': `${FLEET('{namePattern: "prod-*", label: x}', ENTRY('a'))}metadata: {name: prod-1}\n`,
      });
      await assert.rejects(findClusterConfig(INPUT, deps), (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.equal(error.source, 's3://configs/fleet/broken.yaml');
        assert.deepEqual(
          error.issues.map((issue) => issue.path),
          ['fleet.label', 'metadata.name'],
        );
        return true;
      });
      assert.deepEqual(saved, []);
    });

    it('names both files when a fleet config and a defaults file declare the same service account', async () => {
      const { deps, saved } = bucket({
        'defaults/base.yaml': CONFIG(ENTRY('api')),
        'fleet/apps.yaml': FLEET('{clusters: [demo]}', ENTRY('api')),
      });
      await assert.rejects(
        findClusterConfig(INPUT, deps),
        (error: unknown) =>
          error instanceof SharedConfigError &&
          error.problems[0] ===
            'service account default/api is in both s3://configs/defaults/base.yaml and s3://configs/fleet/apps.yaml; keep it in one of them',
      );
      assert.deepEqual(saved, []);
    });

    it('reports a role name too long once the cluster name is filled in against the fleet file', async () => {
      const { deps } = bucket({
        'fleet/apps.yaml': FLEET(
          '{namePattern: "*"}',
          `    - {namespace: apps, serviceAccountName: api, roleName: "{{cluster}}-${'r'.repeat(60)}"}`,
        ),
      });
      await assert.rejects(
        findClusterConfig(INPUT, deps),
        (error: unknown) =>
          error instanceof ConfigValidationError &&
          error.source === 's3://configs/fleet/apps.yaml' &&
          /roleName/.test(error.message),
      );
    });
  });
});
