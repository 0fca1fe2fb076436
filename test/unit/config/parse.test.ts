import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type ClusterConfig,
  ConfigValidationError,
  issueLine,
  MAX_CONFIG_BYTES,
  type Operation,
  parseClusterConfig,
  parseClusterConfigValue,
} from '../../../functions/core/config/index.ts';

const configsDir = join(import.meta.dirname, '../../../events/configs');
const invalidDir = join(import.meta.dirname, 'invalid');

function sample(name: string): string {
  return readFileSync(join(configsDir, name), 'utf8');
}

const HEADER = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: demo
  region: us-west-2
`;

/** The problem lines of the ConfigValidationError that `read` throws. */
function problems(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError, `unexpected ${String(error)}`);
    return error.issues.map(issueLine);
  }
  assert.fail('the config was accepted');
}

function parse(text: string, operation: Operation): ClusterConfig {
  return parseClusterConfig(text, { operation });
}

describe('parseClusterConfig: rules by operation', () => {
  it('accepts the userdocs delete file for delete but not for create, which needs a role source', () => {
    const text = sample('delete-userdocs-associations.yaml');

    const config = parse(text, 'delete');

    assert.deepEqual(
      config.iam?.podIdentityAssociations?.map((entry) => [
        entry.namespace,
        entry.serviceAccountName,
      ]),
      [
        ['default', 's3-reader'],
        ['dev', 'app-cache-access'],
      ],
    );
    assert.deepEqual(
      problems(() => parse(text, 'create')),
      [0, 1].map(
        (i) =>
          `at least one of the following must be specified: iam.podIdentityAssociations[${i}].roleARN, iam.podIdentityAssociations[${i}].permissionPolicy, iam.podIdentityAssociations[${i}].permissionPolicyARNs, iam.podIdentityAssociations[${i}].wellKnownPolicies`,
      ),
    );
  });

  it('holds apply to the create rules', () => {
    const text = sample('delete-userdocs-associations.yaml');
    assert.equal(problems(() => parse(text, 'apply')).length, 2);
  });

  it('requires disableSessionTags with a session policy on create only, as eksctl does', () => {
    const text = `${HEADER}iam:
  podIdentityAssociations:
    - namespace: default
      serviceAccountName: s3-reader
      roleARN: arn:aws:iam::111122223333:role/s3-reader
      permissionPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
      policy: '{"Version": "2012-10-17", "Statement": []}'
`;

    const updated = parse(text, 'update');

    assert.equal(
      updated.iam?.podIdentityAssociations?.[0]?.policy,
      '{"Version": "2012-10-17", "Statement": []}',
    );
    assert.deepEqual(
      problems(() => parse(text, 'create')),
      [
        'iam.podIdentityAssociations[0].permissionPolicyARNs cannot be specified when iam.podIdentityAssociations[0].roleARN is set',
        'iam.podIdentityAssociations[0].disableSessionTags: --disable-session-tags must be set to true when using --policy',
      ],
    );
  });

  it('checks only metadata for get, whatever the associations say', () => {
    const text = `${HEADER}iam:
  podIdentityAssociations:
    - roleARN: not-an-arn
`;
    assert.equal(parse(text, 'get').metadata.name, 'demo');
    assert.deepEqual(
      problems(() => parse(text, 'delete')),
      [
        'iam.podIdentityAssociations[0].namespace must be set',
        'iam.podIdentityAssociations[0].serviceAccountName must be set',
        'iam.podIdentityAssociations[0].roleARN: "not-an-arn" is not a valid IAM role ARN; write it as arn:<partition>:iam::<12-digit account ID>:role/<name>, where the name may follow a path (role/teams/app) and the partition is aws, aws-cn or aws-us-gov',
      ],
    );
  });

  it("holds metadata.tags to IAM's tag characters when an entry has eks-pia build or tag its role", () => {
    const tags = `  tags: {owner: "platform, payments"}\n`;
    const refusal = [
      'metadata.tags: the value of tag "owner" has ","; roles eks-pia creates or manages carry this tag, and IAM allows in tag keys and values only letters, digits, spaces and _ . : / = + - @',
    ];
    // Roles named by roleARN, and add-ons' recommended roles, which are checked once EKS names
    // them (a create may build none: an add-on without pod identity, a serviceAccountRoleARN).
    const noEntryRole = `${HEADER}${tags}addonsConfig: {autoApplyPodIdentityAssociations: true}\niam:\n  podIdentityAssociations:\n    - {namespace: default, serviceAccountName: app, roleARN: "arn:aws:iam::111122223333:role/app"}\naddons:\n  - {name: vpc-cni, useDefaultPodIdentityAssociations: true}\n  - {name: coredns}\n`;
    for (const operation of ['create', 'update', 'apply'] as const) {
      for (const scope of ['associations', 'addons', 'all'] as const) {
        assert.equal(
          parseClusterConfig(noEntryRole, { operation, scope }).metadata.name,
          'demo',
          `${operation} ${scope}`,
        );
      }
    }
    const withPermissions = noEntryRole.replace(
      'roleARN: "arn:aws:iam::111122223333:role/app"',
      'permissionPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]',
    );
    assert.deepEqual(
      problems(() => parse(withPermissions, 'update')),
      refusal,
    );
    // The add-ons alone: that entry is not acted on.
    assert.equal(
      parseClusterConfig(withPermissions, { operation: 'apply', scope: 'addons' }).metadata.name,
      'demo',
    );
    assert.equal(parse(withPermissions, 'delete').metadata.name, 'demo');
  });

  it('still rejects unknown fields for get, because the file is decoded strictly', () => {
    const text = `${HEADER}iam:
  podIdentityAssociations:
    - namespace: default
      serviceAccount: s3-reader
`;
    assert.deepEqual(
      problems(() => parse(text, 'get')),
      [
        'iam.podIdentityAssociations[0]: unknown field "serviceAccount" (did you mean "serviceAccountName"?)',
      ],
    );
  });
});

describe('parseClusterConfig: decoding', () => {
  it('keeps an omitted addons[].podIdentityAssociations apart from an explicit empty list', () => {
    const config = parse(sample('create-addons.yaml'), 'create');

    const byName = new Map(config.addons?.map((addon) => [addon.name, addon]));
    assert.equal(byName.get('aws-ebs-csi-driver')?.podIdentityAssociations, undefined);
    assert.equal(byName.get('aws-ebs-csi-driver')?.useDefaultPodIdentityAssociations, true);
    assert.deepEqual(byName.get('coredns')?.podIdentityAssociations, []);
    assert.deepEqual(
      byName.get('vpc-cni')?.podIdentityAssociations?.[0]?.serviceAccountName,
      'aws-node',
    );
    assert.equal(config.addonsConfig?.autoApplyPodIdentityAssociations, false);
  });

  it('reads a field given as null as not set, like eksctl', () => {
    const config = parse(
      `${HEADER}iam:
  podIdentityAssociations:
    - namespace: default
      serviceAccountName: s3-reader
      roleARN: arn:aws:iam::111122223333:role/s3-reader
      permissionPolicyARNs:
      tags:
addons:
  - name: vpc-cni
    podIdentityAssociations:
`,
      'create',
    );

    const entry = config.iam?.podIdentityAssociations?.[0];
    assert.equal(entry?.permissionPolicyARNs, undefined);
    assert.equal(entry !== undefined && 'tags' in entry, false);
    assert.equal(config.addons?.[0]?.podIdentityAssociations, undefined);
  });

  it('returns all 14 association fields of create-all-fields.yaml', () => {
    const config = parse(sample('create-all-fields.yaml'), 'create');

    const fields = new Set(
      config.iam?.podIdentityAssociations?.flatMap((entry) => Object.keys(entry)),
    );
    assert.deepEqual([...fields].sort(), [
      'createServiceAccount',
      'disableSessionTags',
      'namespace',
      'permissionPolicy',
      'permissionPolicyARNs',
      'permissionPolicyName',
      'permissionsBoundaryARN',
      'policy',
      'roleARN',
      'roleName',
      'serviceAccountName',
      'tags',
      'targetRoleARN',
      'wellKnownPolicies',
    ]);
    assert.deepEqual(config.iam?.podIdentityAssociations?.[1]?.permissionPolicy, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ec2:DescribeTags'], Resource: '*' }],
    });
  });

  it('resolves YAML anchors and merge keys, as eksctl files use them', () => {
    const config = parse(sample('create-full-cluster.yaml'), 'create');

    assert.deepEqual(config.managedNodeGroups, [
      { name: 'general', instanceType: 'm6i.large', desiredCapacity: 3, privateNetworking: true },
      {
        name: 'general-arm',
        instanceType: 'm7g.large',
        desiredCapacity: 3,
        privateNetworking: true,
      },
    ]);
    assert.equal(config.iam?.withOIDC, true);
  });

  it('reads JSON as well as YAML', () => {
    const config = parse(sample('create-json-example.json'), 'create');

    assert.deepEqual(config.iam?.podIdentityAssociations, [
      {
        namespace: 'default',
        serviceAccountName: 's3-reader',
        roleARN: 'arn:aws:iam::111122223333:role/s3-reader',
      },
    ]);
  });

  it('matches resolveConflicts without regard to case and returns it in lower case', () => {
    const config = parse(
      `${HEADER}iam:
  podIdentityAssociations:
    - namespace: default
      serviceAccountName: s3-reader
      roleARN: arn:aws:iam::111122223333:role/s3-reader
addons:
  - name: coredns
    resolveConflicts: OVERWRITE
`,
      'create',
    );
    assert.equal(config.addons?.[0]?.resolveConflicts, 'overwrite');
  });

  it('reports type problems and rule problems of other entries together', () => {
    const text = `${HEADER}iam:
  podIdentityAssociations:
    - namespace: default
      serviceAccountName: s3-reader
      createServiceAccount: maybe
    - namespace: default
      serviceAccountName: s3-writer
`;
    assert.deepEqual(
      problems(() => parse(text, 'create')),
      [
        'iam.podIdentityAssociations[0].createServiceAccount: must be true or false, got the string "maybe"; write true or false without quotes',
        'at least one of the following must be specified: iam.podIdentityAssociations[1].roleARN, iam.podIdentityAssociations[1].permissionPolicy, iam.podIdentityAssociations[1].permissionPolicyARNs, iam.podIdentityAssociations[1].wellKnownPolicies',
      ],
    );
  });
});

describe('parseClusterConfig: defences', () => {
  const sizeMessage = (bytes: number): string =>
    `the file is ${bytes} bytes; config files are limited to 1 MiB (1048576 bytes), so split the associations across several files`;

  it('refuses a file over 1 MiB before parsing it', () => {
    const text = `a: [${'x'.repeat(MAX_CONFIG_BYTES)}`;
    assert.deepEqual(
      problems(() => parse(text, 'create')),
      [sizeMessage(MAX_CONFIG_BYTES + 4)],
    );
  });

  it('counts the limit in bytes, not characters', () => {
    const text = `# ${'é'.repeat(MAX_CONFIG_BYTES / 2)}\n`;
    assert.ok(text.length < MAX_CONFIG_BYTES);
    assert.deepEqual(
      problems(() => parse(text, 'create')),
      [sizeMessage(MAX_CONFIG_BYTES + 3)],
    );
  });

  it('accepts a file of exactly 1 MiB', () => {
    const body = sample('create-userdocs-flags.yaml');
    const padding = MAX_CONFIG_BYTES - Buffer.byteLength(body) - 3;
    const text = `${body}# ${'.'.repeat(padding)}\n`;
    assert.equal(Buffer.byteLength(text), MAX_CONFIG_BYTES);

    assert.equal(parse(text, 'create').metadata.name, 'demo');
  });

  it('stops a "billion laughs" file fast instead of expanding it', () => {
    const text = readFileSync(join(invalidDir, 'create-alias-bomb.yaml'), 'utf8');
    const started = performance.now();

    const found = problems(() => parse(text, 'create'));

    assert.match(found.join('\n'), /expands YAML aliases \(\*name\) more than 100 times/);
    assert.ok(performance.now() - started < 2000, 'took longer than 2 s');
  });

  it('reports nesting too deep to read as a problem at its position', () => {
    const depth = 20_000;
    const text = `${HEADER}vpc: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;

    const found = problems(() => parse(text, 'create'));

    assert.equal(found.length, 1);
    assert.match(
      found[0] ?? '',
      /^YAML syntax error at line 6, column \d+: lists or mappings are nested too deeply to read$/,
    );
  });

  it('lists at most ten unknown fields of one mapping', () => {
    const strays = Array.from({ length: 12 }, (_, i) => `  stray${i}: x\n`).join('');
    assert.deepEqual(
      problems(() => parse(`${HEADER}${strays}`, 'get')),
      [
        'metadata: unknown fields "stray0", "stray1", "stray2", "stray3", "stray4", "stray5", "stray6", "stray7", "stray8", "stray9" and 2 more',
      ],
    );
  });

  it('names the source in the first line of the message, when given', () => {
    const text = `${HEADER}iam: {}\n`;
    const read = (source?: string): string => {
      try {
        parseClusterConfig(text, { operation: 'delete', source });
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      return 'accepted';
    };

    assert.equal(
      read('s3://configs/apply/demo.yaml'),
      'ClusterConfig s3://configs/apply/demo.yaml has 1 problem:\nno iam.podIdentityAssociations specified in the config file',
    );
    assert.equal(
      read(),
      'ClusterConfig has 1 problem:\nno iam.podIdentityAssociations specified in the config file',
    );
  });
});

describe('parseClusterConfigValue', () => {
  it('validates a decoded config object with the same rules as text', () => {
    const value = {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'demo', region: 'us-west-2' },
      iam: {
        podIdentityAssociations: [
          {
            namespace: 'default',
            serviceAccountName: 's3-reader',
            roleArn: 'arn:aws:iam::111122223333:role/x',
          },
        ],
      },
    };
    assert.deepEqual(
      problems(() => parseClusterConfigValue(value, { operation: 'create' })),
      ['iam.podIdentityAssociations[0]: unknown field "roleArn" (did you mean "roleARN"?)'],
    );
  });

  it('returns the typed config for a valid object', () => {
    const value = {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'demo', region: 'us-west-2' },
    };
    assert.deepEqual(parseClusterConfigValue(value, { operation: 'get' }), value);
  });

  it('refuses a value that is not a mapping', () => {
    assert.deepEqual(
      problems(() => parseClusterConfigValue('demo', { operation: 'get' })),
      [
        'the config must be a mapping of apiVersion, kind, metadata, iam, ...; got the string "demo"',
      ],
    );
  });
});
