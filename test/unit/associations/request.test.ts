import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  associationRequestFrom,
  decodeS3Key,
  describeSource,
  InvalidRequestError,
  operationForKey,
  parseWorkflowInput,
  type RunnableInput,
  type WorkflowInput,
} from '../../../functions/core/associations/request.ts';
import { ConfigValidationError } from '../../../functions/core/config/index.ts';
import { ACCOUNT, requestFrom, S3_READ, TARGET_ROLE, USER_ROLE } from './fixtures.ts';

const CONTEXT = { deploymentRegion: 'eu-west-1', account: ACCOUNT };

const CONFIG = {
  apiVersion: 'eksctl.io/v1alpha5',
  kind: 'ClusterConfig',
  metadata: { name: 'demo', region: 'us-west-2', tags: { env: 'prod' } },
  iam: {
    podIdentityAssociations: [
      { namespace: 'default', serviceAccountName: 'reader', permissionPolicyARNs: [S3_READ] },
      { namespace: 'default', serviceAccountName: 'given', roleARN: USER_ROLE, roleName: 'unused' },
    ],
  },
};

const CONFIG_YAML = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: demo
  region: us-west-2
iam:
  podIdentityAssociations:
    - namespace: default
      serviceAccountName: reader
      wellKnownPolicies:
        autoScaler: true
`;

function s3Event(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: '2026-01-01T00:00:00Z',
    region: 'us-west-2',
    resources: ['arn:aws:s3:::configs'],
    detail: {
      version: '0',
      bucket: { name: 'configs' },
      object: { key, size: 120, etag: 'abc', 'version-id': 'v1', sequencer: '1' },
      reason: 'PutObject',
      ...extra,
    },
  };
}

function runnable(input: WorkflowInput): RunnableInput {
  if (input.kind === 'ignored') throw new Error(`unexpectedly ignored: ${input.reason}`);
  return input;
}

function invalid(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof InvalidRequestError && pattern.test(error.message);
}

describe('console input naming a config', () => {
  it('reads an inline config: cluster and region from metadata, every entry normalised', () => {
    const input = parseWorkflowInput({
      operation: 'apply',
      config: { inline: CONFIG },
      dryRun: true,
      prune: true,
    });
    const request = requestFrom(runnable(input), CONTEXT);
    assert.equal(request.operation, 'apply');
    assert.equal(request.clusterName, 'demo');
    assert.equal(request.region, 'us-west-2');
    assert.equal(request.partition, 'aws');
    assert.equal(request.dryRun, true);
    assert.equal(request.prune, true);
    assert.deepEqual(request.source, { kind: 'inline' });
    assert.deepEqual(
      request.entries.map((entry) => [entry.path, entry.role.kind]),
      [
        ['iam.podIdentityAssociations[0]', 'managed'],
        ['iam.podIdentityAssociations[1]', 'existing'],
      ],
    );
    assert.deepEqual(request.warnings, [
      'iam.podIdentityAssociations[1].roleName is ignored: iam.podIdentityAssociations[1].roleARN is set, so no role is created',
    ]);
    const [first] = request.entries;
    assert.ok(first?.role.kind === 'managed');
    assert.equal(first.role.role.tags.env, 'prod');
  });

  it('defaults dryRun and prune to false', () => {
    const input = runnable(parseWorkflowInput({ operation: 'create', config: { inline: CONFIG } }));
    assert.ok(input.kind === 'config');
    assert.equal(input.dryRun, false);
    assert.equal(input.prune, false);
  });

  it('lets metadata.region win over the input region, with a warning', () => {
    const input = parseWorkflowInput({
      operation: 'create',
      config: { inline: CONFIG },
      region: 'us-east-1',
    });
    const request = requestFrom(runnable(input), CONTEXT);
    assert.equal(request.region, 'us-west-2');
    assert.match(request.warnings.join('\n'), /region us-east-1 from the input was ignored/);
  });

  it('reads an S3 config from the fetched text and names it s3://bucket/key', () => {
    const input = parseWorkflowInput({
      operation: 'create',
      config: { s3: { bucket: 'configs', key: 'teams/demo.yaml', versionId: '3' } },
    });
    const request = requestFrom(runnable(input), {
      ...CONTEXT,
      configText: CONFIG_YAML,
    });
    assert.deepEqual(request.source, {
      kind: 's3',
      bucket: 'configs',
      key: 'teams/demo.yaml',
      versionId: '3',
      trigger: 'input',
    });
    assert.equal(describeSource(request.source), 's3://configs/teams/demo.yaml (version 3)');
    assert.equal(request.entries.length, 1);
  });

  it('refuses to build an S3 request whose text was not read', () => {
    const input = parseWorkflowInput({
      operation: 'create',
      config: { s3: { bucket: 'b', key: 'k.yaml' } },
    });
    assert.throws(() => requestFrom(runnable(input), CONTEXT), invalid(/was not read/));
  });

  it('refuses to build a config request from a config that was not validated', () => {
    const input = parseWorkflowInput({ operation: 'create', config: { inline: {} } });
    assert.throws(
      () => associationRequestFrom(runnable(input), CONTEXT),
      invalid(/the config of inline config was not read and validated/),
    );
  });

  it('rejects prune with any operation but apply', () => {
    assert.throws(
      () => parseWorkflowInput({ operation: 'create', config: { inline: CONFIG }, prune: true }),
      (error: unknown) =>
        error instanceof InvalidRequestError &&
        error.issues[0]?.path === 'prune' &&
        /only valid with operation apply/.test(error.message),
    );
    assert.doesNotThrow(() =>
      parseWorkflowInput({ operation: 'create', config: { inline: CONFIG }, prune: false }),
    );
  });

  it('rejects a config location that is neither or both of s3 and inline', () => {
    assert.throws(
      () => parseWorkflowInput({ operation: 'create', config: {} }),
      invalid(/config: must be \{"s3"/),
    );
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'create',
          config: { s3: { bucket: 'b', key: 'k' }, inline: CONFIG },
        }),
      invalid(/config: must be/),
    );
    assert.throws(
      () => parseWorkflowInput({ operation: 'create', config: { s3: { bucket: '', key: 'k' } } }),
      invalid(/config\.s3\.bucket: must name the bucket/),
    );
  });

  it('names unknown fields and wrong types in the input', () => {
    assert.throws(
      () => parseWorkflowInput({ operation: 'create', config: { inline: CONFIG }, dryrun: true }),
      invalid(/unknown field "dryrun"/),
    );
    assert.throws(
      () => parseWorkflowInput({ operation: 'create', config: { inline: CONFIG }, dryRun: 'yes' }),
      invalid(/dryRun: must be true or false, got the string "yes"/),
    );
    assert.throws(
      () => parseWorkflowInput({ operation: 'upsert', config: { inline: CONFIG } }),
      invalid(/operation: must be one of "create", "update", "delete", "apply", "get"/),
    );
  });

  it('reports every problem of the config at once, as ConfigValidationError', () => {
    const broken = {
      ...CONFIG,
      iam: {
        podIdentityAssociations: [
          { serviceAccountName: 'a', roleARN: USER_ROLE },
          { namespace: 'default' },
        ],
      },
    };
    const input = parseWorkflowInput({ operation: 'create', config: { inline: broken } });
    assert.throws(
      () => requestFrom(runnable(input), CONTEXT),
      (error: unknown) => error instanceof ConfigValidationError && error.issues.length >= 2,
    );
  });

  it('reads the cluster of a get from the config and lists no entries', () => {
    const input = parseWorkflowInput({ operation: 'get', config: { inline: CONFIG } });
    const request = requestFrom(runnable(input), CONTEXT);
    assert.equal(request.clusterName, 'demo');
    assert.deepEqual(request.entries, []);
  });
});

describe('one association from flags', () => {
  it("takes eksctl's create flag set, with well-known policies as a list of names in any case", () => {
    const input = parseWorkflowInput({
      operation: 'create',
      clusterName: 'demo',
      region: 'us-west-2',
      association: {
        namespace: 'default',
        serviceAccountName: 'app',
        roleName: 'app-role',
        permissionsBoundaryARN: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
        permissionPolicyARNs: [S3_READ],
        wellKnownPolicies: ['AUTOSCALER', 'certManager'],
        createServiceAccount: true,
        tags: { team: 'a' },
        targetRoleARN: TARGET_ROLE,
        disableSessionTags: true,
        policy: '{"Version":"2012-10-17","Statement":[]}',
      },
    });
    assert.ok(input.kind === 'flags');
    assert.deepEqual(input.association.wellKnownPolicies, { autoScaler: true, certManager: true });
    const request = requestFrom(input, CONTEXT);
    assert.equal(request.region, 'us-west-2');
    const [entry] = request.entries;
    assert.equal(entry?.path, 'association');
    assert.ok(entry?.role.kind === 'managed');
    assert.equal(entry.role.role.roleName, 'app-role');
    assert.equal(entry.createServiceAccount, true);
    assert.equal(entry.targetRoleArn, TARGET_ROLE);
  });

  it("rejects an unknown well-known policy with eksctl's message", () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'create',
          clusterName: 'demo',
          association: {
            namespace: 'default',
            serviceAccountName: 'app',
            wellKnownPolicies: ['dns'],
          },
        }),
      invalid(/invalid wellKnownPolicy: dns/),
    );
  });

  it('has no inline permissionPolicy from flags, as eksctl has no such flag', () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'create',
          clusterName: 'demo',
          association: {
            namespace: 'default',
            serviceAccountName: 'app',
            permissionPolicy: { Statement: [] },
          },
        }),
      invalid(
        /association\.permissionPolicy: cannot be used with operation create from flags.*config file/,
      ),
    );
  });

  it('updates from flags only roleARN, targetRoleARN, disableSessionTags and policy', () => {
    const input = parseWorkflowInput({
      operation: 'update',
      clusterName: 'demo',
      association: { namespace: 'default', serviceAccountName: 'app', targetRoleARN: TARGET_ROLE },
    });
    const request = requestFrom(runnable(input), CONTEXT);
    assert.deepEqual(request.entries[0]?.role, { kind: 'unspecified' });
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'update',
          clusterName: 'demo',
          association: {
            namespace: 'default',
            serviceAccountName: 'app',
            permissionPolicyARNs: [S3_READ],
          },
        }),
      invalid(/association\.permissionPolicyARNs: cannot be used with operation update from flags/),
    );
  });

  it("applies eksctl's update rule: a policy with session tags turned on is refused", () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'update',
          clusterName: 'demo',
          association: {
            namespace: 'default',
            serviceAccountName: 'app',
            roleARN: USER_ROLE,
            disableSessionTags: false,
            policy: '{"Statement":[]}',
          },
        }),
      invalid(/--disable-session-tags must be set to true when using --policy/),
    );
  });

  it('deletes from flags with namespace and service account only', () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'delete',
          clusterName: 'demo',
          association: { namespace: 'default', serviceAccountName: 'app', roleARN: USER_ROLE },
        }),
      invalid(
        /association\.roleARN: cannot be used with operation delete from flags; allowed fields: namespace, serviceAccountName/,
      ),
    );
  });

  it("validates the association with the config rules (eksctl's messages)", () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'create',
          clusterName: 'demo',
          association: { namespace: 'default', serviceAccountName: 'app' },
        }),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        /at least one of the following must be specified/.test(error.message),
    );
  });

  it('requires a valid cluster name', () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'delete',
          clusterName: '',
          association: { namespace: 'a', serviceAccountName: 'b' },
        }),
      invalid(/clusterName must be set/),
    );
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'delete',
          clusterName: '-x',
          association: { namespace: 'a', serviceAccountName: 'b' },
        }),
      invalid(/is not a valid EKS cluster name/),
    );
  });

  it('takes the region from the input, else from the deployment, and derives the partition', () => {
    const flags = {
      operation: 'delete',
      clusterName: 'demo',
      association: { namespace: 'a', serviceAccountName: 'b' },
    };
    assert.equal(requestFrom(runnable(parseWorkflowInput(flags)), CONTEXT).region, 'eu-west-1');
    const china = requestFrom(
      runnable(parseWorkflowInput({ ...flags, region: 'cn-north-1' })),
      CONTEXT,
    );
    assert.equal(china.partition, 'aws-cn');
    assert.throws(
      () => requestFrom(runnable(parseWorkflowInput({ ...flags, region: 'mars' })), CONTEXT),
      (error: unknown) =>
        error instanceof InvalidRequestError &&
        error.issues[0]?.path === 'region' &&
        /"mars" is not a valid AWS region name/.test(error.message),
    );
    assert.throws(
      () =>
        requestFrom(runnable(parseWorkflowInput({ ...flags, region: 'us-iso-east-1' })), CONTEXT),
      invalid(/isolated AWS partition/),
    );
  });

  it('rejects prune from flags', () => {
    assert.throws(
      () =>
        parseWorkflowInput({
          operation: 'delete',
          clusterName: 'demo',
          association: { namespace: 'a', serviceAccountName: 'b' },
          prune: true,
        }),
      invalid(/prune is only valid with operation apply/),
    );
  });

  it('lists for get with optional filters, needing the namespace for a service account', () => {
    const request = requestFrom(
      runnable(
        parseWorkflowInput({
          operation: 'get',
          clusterName: 'demo',
          namespace: 'default',
          serviceAccountName: 'app',
        }),
      ),
      CONTEXT,
    );
    assert.deepEqual(request.filter, { namespace: 'default', serviceAccount: 'app' });
    assert.equal(request.operation, 'get');
    assert.throws(
      () =>
        parseWorkflowInput({ operation: 'get', clusterName: 'demo', serviceAccountName: 'app' }),
      invalid(/namespace must be set in order to specify serviceAccountName/),
    );
  });
});

describe('inputs of no accepted shape', () => {
  it('say which shapes are accepted', () => {
    for (const input of [null, 42, 'apply', [], {}]) {
      assert.throws(() => parseWorkflowInput(input), invalid(/expected \{operation, config/));
    }
  });

  it('refuse config and association together', () => {
    assert.throws(
      () =>
        parseWorkflowInput({ operation: 'create', config: { inline: CONFIG }, association: {} }),
      invalid(/not both/),
    );
  });

  it('name a missing config or association', () => {
    assert.throws(
      () => parseWorkflowInput({ operation: 'apply' }),
      invalid(/needs a config or an association/),
    );
  });
});

describe('S3 Object Created events', () => {
  it('start the operation of the key prefix on that exact object version', () => {
    const input = parseWorkflowInput(s3Event('apply/demo.yaml'));
    assert.deepEqual(input, {
      kind: 'config',
      operation: 'apply',
      config: { s3: { bucket: 'configs', key: 'apply/demo.yaml', versionId: 'v1' } },
      scope: 'all',
      trigger: 'event',
      dryRun: false,
      prune: false,
    });
    const request = requestFrom(runnable(input), {
      ...CONTEXT,
      configText: CONFIG_YAML,
    });
    assert.equal(request.source.kind === 's3' && request.source.trigger, 'event');
  });

  it('decode keys: + is a space, %2B a plus, %2F a slash', () => {
    const input = parseWorkflowInput(s3Event('delete%2Fteam+a%2Fdemo%2Bprod.yml'));
    assert.ok(input.kind === 'config' && 's3' in input.config);
    assert.equal(input.config.s3.key, 'delete/team a/demo+prod.yml');
    assert.equal(input.operation, 'delete');
  });

  it('ignore keys outside the prefixes, other files, folder markers and other events, with the reason', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [s3Event('runs/abc/plan.json'), /is not under create\/, update\/, delete\/, apply\//],
      [s3Event('apply/README.md'), /does not end in \.yaml, \.yml, \.json/],
      [s3Event('apply/'), /folder marker/],
      [s3Event('Apply/demo.yaml'), /is not under/],
      [{ ...s3Event('apply/demo.yaml'), 'detail-type': 'Object Deleted' }, /only Object Created/],
    ];
    for (const [event, reason] of cases) {
      const input = parseWorkflowInput(event);
      assert.equal(input.kind, 'ignored');
      assert.ok(input.kind === 'ignored');
      assert.match(input.reason, reason);
      assert.equal(input.bucket, 'configs');
    }
  });

  it('reject an event that is not an S3 event of the expected shape', () => {
    assert.throws(
      () => parseWorkflowInput({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }),
      invalid(/detail\.bucket: must be set/),
    );
  });
});

describe('operationForKey and decodeS3Key', () => {
  it('map each prefix to its operation, with any config extension in any case', () => {
    assert.deepEqual(operationForKey('create/a.yaml'), { operation: 'create' });
    assert.deepEqual(operationForKey('update/x/y/a.YML'), { operation: 'update' });
    assert.deepEqual(operationForKey('delete/a.json'), { operation: 'delete' });
    assert.deepEqual(operationForKey('apply/a.Yaml'), { operation: 'apply' });
    assert.ok('ignored' in operationForKey('get/a.yaml'));
  });

  it('round-trip any key encoded the way S3 events encode it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (key) => {
        const encoded = encodeURIComponent(key).replace(/%20/g, '+');
        assert.equal(decodeS3Key(encoded), key);
      }),
    );
  });

  it('reject malformed percent-encoding', () => {
    assert.throws(
      () => decodeS3Key('apply/%E0%A4%A.yaml'),
      invalid(/not a valid URL-encoded S3 object key/),
    );
  });
});
