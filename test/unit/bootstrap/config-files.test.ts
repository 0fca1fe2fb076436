import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationForKey } from '../../../functions/core/associations/request.ts';
import {
  CLUSTERS_PREFIX,
  ClusterConfigMismatchError,
  chooseClusterConfigKey,
  clusterConfigFromFile,
  clusterConfigPrefix,
  combinedConfig,
  DEFAULTS_PREFIX,
  decodeConfigFile,
  MAX_SHARED_FILES,
  SharedConfigError,
  sharedConfigKeys,
} from '../../../functions/core/bootstrap/config-files.ts';
import { ConfigValidationError } from '../../../functions/core/config/index.ts';

const IDENTITY = { clusterName: 'demo', region: 'us-west-2' };
const ROLE = 'arn:aws:iam::111122223333:role/app-data-reader';

function file(name: string, text: string) {
  return { source: `s3://configs/${name}`, text };
}

function decoded(name: string, text: string) {
  return decodeConfigFile(file(name, text));
}

function entry(namespace: string, serviceAccountName: string): string {
  return `    - {namespace: ${namespace}, serviceAccountName: ${serviceAccountName}, roleARN: "${ROLE}"}`;
}

function configText(metadata: string, ...entries: string[]): string {
  return `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n${metadata}iam:\n  podIdentityAssociations:\n${entries.join('\n')}\n`;
}

describe('bucket conventions', () => {
  it('keeps the cluster and defaults prefixes out of the upload triggers', () => {
    for (const key of [`${CLUSTERS_PREFIX}demo.yaml`, `${DEFAULTS_PREFIX}base.yaml`]) {
      assert.ok(
        'ignored' in operationForKey(key),
        `${key} must not start the associations workflow`,
      );
    }
  });

  it('lists a cluster by a prefix that ends at the name', () => {
    assert.equal(clusterConfigPrefix('demo'), 'clusters/demo.');
  });
});

describe('chooseClusterConfigKey', () => {
  it('prefers .yaml, then .yml, then .json and returns the others as ignored', () => {
    assert.deepEqual(
      chooseClusterConfigKey('demo', [
        'clusters/demo.json',
        'clusters/demo.yml',
        'clusters/demo.yaml',
      ]),
      { key: 'clusters/demo.yaml', ignored: ['clusters/demo.yml', 'clusters/demo.json'] },
    );
    assert.deepEqual(chooseClusterConfigKey('demo', ['clusters/demo.json']), {
      key: 'clusters/demo.json',
      ignored: [],
    });
  });

  it('accepts the extension in any case', () => {
    assert.equal(chooseClusterConfigKey('demo', ['clusters/demo.YAML'])?.key, 'clusters/demo.YAML');
  });

  it('takes only the exact file of this cluster', () => {
    const others = [
      'clusters/demo.yaml.bak',
      'clusters/demo.prod.yaml',
      'clusters/demo-2.yaml',
      'clusters/Demo.yaml',
      'clusters/team/demo.yaml',
      'defaults/demo.yaml',
    ];
    assert.equal(chooseClusterConfigKey('demo', others), undefined);
  });
});

describe('sharedConfigKeys', () => {
  it('takes config files under defaults/ (subfolders too) in S3 key order and sets the rest aside', () => {
    assert.deepEqual(
      sharedConfigKeys('defaults/', 'demo', [
        'defaults/b.yaml',
        'defaults/',
        'defaults/team/a.json',
        'defaults/A.yml',
        'defaults/notes.txt',
        'defaults/a.yaml',
      ]),
      {
        keys: ['defaults/A.yml', 'defaults/a.yaml', 'defaults/b.yaml', 'defaults/team/a.json'],
        ignored: ['defaults/notes.txt'],
      },
    );
  });

  it('refuses more files than one run reads', () => {
    const keys = Array.from(
      { length: MAX_SHARED_FILES + 1 },
      (_, index) => `defaults/${index}.yaml`,
    );
    assert.throws(
      () => sharedConfigKeys('defaults/', 'demo', keys),
      (error: unknown) =>
        error instanceof SharedConfigError &&
        /there are 101 config files under defaults\//.test(error.message),
    );
  });
});

describe('clusterConfigFromFile', () => {
  it('fills in a missing metadata.name and metadata.region and keeps the rest of the file', () => {
    const resolved = clusterConfigFromFile(
      file('clusters/demo.yaml', configText('metadata: {tags: {team: a}}\n', entry('a', 'one'))),
      IDENTITY,
    );
    assert.deepEqual(resolved.value.metadata, {
      name: 'demo',
      region: 'us-west-2',
      tags: { team: 'a' },
    });
    assert.equal(resolved.entryCount, 1);
    assert.deepEqual(resolved.value.iam, {
      podIdentityAssociations: [{ namespace: 'a', serviceAccountName: 'one', roleARN: ROLE }],
    });
  });

  it('fills a file with no metadata at all', () => {
    const resolved = clusterConfigFromFile(
      file('clusters/demo.yaml', configText('', entry('a', 'one'))),
      IDENTITY,
    );
    assert.deepEqual(resolved.value.metadata, { name: 'demo', region: 'us-west-2' });
  });

  it('refuses a file whose metadata names another cluster or region', () => {
    assert.throws(
      () =>
        clusterConfigFromFile(
          file(
            'clusters/demo.yaml',
            configText('metadata: {name: prod, region: eu-west-1}\n', entry('a', 'one')),
          ),
          IDENTITY,
        ),
      (error: unknown) =>
        error instanceof ClusterConfigMismatchError &&
        error.message.includes(
          's3://configs/clusters/demo.yaml is the config of cluster "demo" in us-west-2 by its key, but its metadata.name is "prod" and metadata.region is eu-west-1',
        ),
    );
  });

  it('reports YAML and validation problems against the file', () => {
    assert.throws(
      () => clusterConfigFromFile(file('clusters/demo.yaml', 'iam: [unclosed'), IDENTITY),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        error.source === 's3://configs/clusters/demo.yaml' &&
        /YAML syntax error/.test(error.message),
    );
    assert.throws(
      () =>
        clusterConfigFromFile(
          file('clusters/demo.yaml', configText('', '    - {namespace: a}')),
          IDENTITY,
        ),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        /iam\.podIdentityAssociations\[0\]\.serviceAccountName must be set/.test(error.message),
    );
  });
});

describe('combinedConfig', () => {
  it('combines the files in order, replacing name and region and merging tags', () => {
    const resolved = combinedConfig(
      [
        decoded(
          'defaults/1.yaml',
          configText(
            'metadata: {name: template, region: eu-west-1, tags: {env: prod}}\n',
            entry('a', 'one'),
          ),
        ),
        decoded(
          'defaults/2.yaml',
          configText(
            'metadata: {tags: {env: prod, team: b}}\n',
            entry('b', 'two'),
            entry('b', 'three'),
          ),
        ),
      ],
      IDENTITY,
    );
    assert.deepEqual(resolved.value, {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'demo', region: 'us-west-2', tags: { env: 'prod', team: 'b' } },
      iam: {
        podIdentityAssociations: [
          { namespace: 'a', serviceAccountName: 'one', roleARN: ROLE },
          { namespace: 'b', serviceAccountName: 'two', roleARN: ROLE },
          { namespace: 'b', serviceAccountName: 'three', roleARN: ROLE },
        ],
      },
    });
    assert.equal(resolved.entryCount, 3);
  });

  it('uses the tags, associations and add-ons of a defaults file', () => {
    const resolved = combinedConfig(
      [
        decoded(
          'defaults/1.yaml',
          `${configText('', entry('a', 'one'))}addons:\n  - {name: vpc-cni}\n`,
        ),
      ],
      IDENTITY,
    );
    assert.deepEqual(Object.keys(resolved.value).sort(), [
      'addons',
      'apiVersion',
      'iam',
      'kind',
      'metadata',
    ]);
    assert.deepEqual(resolved.value.addons, [{ name: 'vpc-cni' }]);
    assert.deepEqual(resolved.value.metadata, { name: 'demo', region: 'us-west-2' });
    assert.throws(
      () =>
        combinedConfig(
          [
            decoded(
              'defaults/1.yaml',
              `${configText('', entry('a', 'one'))}addons:\n  - {name: vpc-cni}\n`,
            ),
            decoded(
              'defaults/2.yaml',
              `${configText('', entry('b', 'two'))}addons:\n  - {name: vpc-cni}\n`,
            ),
          ],
          IDENTITY,
        ),
      /addon vpc-cni is in both s3:\/\/configs\/defaults\/1\.yaml and s3:\/\/configs\/defaults\/2\.yaml/,
    );
  });

  it('names both files when they share a service account or disagree on a tag', () => {
    assert.throws(
      () =>
        combinedConfig(
          [
            decoded(
              'defaults/1.yaml',
              configText('metadata: {tags: {team: a}}\n', entry('a', 'one')),
            ),
            decoded(
              'defaults/2.yaml',
              configText('metadata: {tags: {team: b}}\n', entry('a', 'one')),
            ),
          ],
          IDENTITY,
        ),
      (error: unknown) =>
        error instanceof SharedConfigError &&
        error.problems.length === 2 &&
        error.message.includes(
          'service account a/one is in both s3://configs/defaults/1.yaml and s3://configs/defaults/2.yaml',
        ) &&
        error.message.includes(
          'metadata.tags.team is "a" in s3://configs/defaults/1.yaml but "b" in s3://configs/defaults/2.yaml',
        ),
    );
  });

  it('reports an invalid defaults file against that file', () => {
    assert.throws(
      () =>
        combinedConfig(
          [
            decoded('defaults/1.yaml', configText('', entry('a', 'one'))),
            decoded('defaults/2.yaml', configText('', '    - {serviceAccountName: two}')),
          ],
          IDENTITY,
        ),
      (error: unknown) =>
        error instanceof ConfigValidationError && error.source === 's3://configs/defaults/2.yaml',
    );
  });

  it('refuses files that together exceed the config size limit', () => {
    const policy = `{Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObject"], Resource: "arn:aws:s3:::${'x'.repeat(3000)}/*"}]}`;
    const files = Array.from({ length: 90 }, (_, index) =>
      decoded(
        `defaults/${index}.yaml`,
        configText(
          '',
          ...Array.from(
            { length: 4 },
            (_, slot) =>
              `    - {namespace: ns${index}, serviceAccountName: sa${slot}, permissionPolicy: ${policy}}`,
          ),
        ),
      ),
    );
    assert.throws(
      () => combinedConfig(files, IDENTITY),
      (error: unknown) =>
        error instanceof SharedConfigError &&
        /config is limited to 1048576 bytes/.test(error.message),
    );
  });
});
