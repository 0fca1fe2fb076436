import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigValidationError,
  parseClusterConfigValue,
} from '../../../functions/core/config/index.ts';
import {
  configForCluster,
  describeSelector,
  describeUnknownNames,
  exclusionReasons,
  FleetSelectorError,
  fleetSelects,
  parseClustersFlag,
  readFleetConfig,
  unknownClusterNames,
} from '../../../functions/core/fleet/fleet-config.ts';

const SOURCE = 's3://configs/fleet/apps.yaml';

function fleetConfig(fields: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'eksctl.io/v1alpha5', kind: 'ClusterConfig', ...fields };
}

/** The paths and messages of the problems readFleetConfig reports for `value`. */
function problems(value: unknown): string[] {
  try {
    readFleetConfig(value, SOURCE);
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError);
    assert.equal(error.source, SOURCE);
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  assert.fail('the config was accepted');
}

const CLUSTER = { name: 'prod-eu', region: 'eu-west-1', tags: { env: 'prod', team: 'payments' } };

describe('readFleetConfig', () => {
  it('splits the fleet: block from the ClusterConfig and keeps metadata.region as a limit', () => {
    const config = readFleetConfig(
      fleetConfig({ fleet: { namePattern: 'prod-*' }, metadata: { region: 'eu-west-1' } }),
      SOURCE,
    );
    assert.deepEqual(config.selector, { namePattern: 'prod-*' });
    assert.equal(config.region, 'eu-west-1');
    assert.equal('fleet' in config.template, false);
  });

  it('requires a fleet: block that selects something, with known fields only', () => {
    assert.match(problems(fleetConfig({ metadata: {} }))[0] ?? '', /^fleet: fleet must be set/);
    assert.match(problems(fleetConfig({ fleet: {} }))[0] ?? '', /^fleet: fleet selects no cluster/);
    assert.match(
      problems(fleetConfig({ fleet: 'prod-*' }))[0] ?? '',
      /^fleet: fleet must be a mapping/,
    );
    assert.deepEqual(
      problems(fleetConfig({ fleet: { namePatern: 'prod-*', tags: { env: 'prod' } } })),
      [
        'fleet.namePatern: unknown field "namePatern"; a fleet selects clusters by clusters, namePattern, tags',
      ],
    );
  });

  it('checks each selector field for what could match an EKS cluster', () => {
    assert.deepEqual(
      problems(
        fleetConfig({
          fleet: { clusters: ['ok', 'not ok', 7], namePattern: 'prod/*', tags: { env: 1 } },
        }),
      ).map((line) => line.split(':')[0]),
      ['fleet.clusters[1]', 'fleet.clusters[2]', 'fleet.namePattern', 'fleet.tags.env'],
    );
    assert.match(problems(fleetConfig({ fleet: { clusters: [] } }))[0] ?? '', /non-empty list/);
    assert.match(problems(fleetConfig({ fleet: { tags: {} } }))[0] ?? '', /non-empty mapping/);
    const tooMany = Object.fromEntries(
      Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v']),
    );
    assert.match(problems(fleetConfig({ fleet: { tags: tooMany } }))[0] ?? '', /at most 50/);
  });

  it('refuses metadata.name, which the selector replaces, and a region that is not one', () => {
    assert.deepEqual(
      problems(
        fleetConfig({ fleet: { clusters: ['a'] }, metadata: { name: 'a', region: 'mars-1' } }),
      ).map((line) => line.split(':')[0]),
      ['metadata.name', 'metadata.region'],
    );
  });

  it('allows {{cluster}} only in namespaces, role names and tag values, and no other placeholder', () => {
    assert.deepEqual(
      problems(
        fleetConfig({
          fleet: { clusters: ['a'] },
          metadata: { tags: { owner: '{{cluster}}', '{{cluster}}': 'x' } },
          iam: {
            podIdentityAssociations: [
              {
                namespace: '{{ cluster }}',
                serviceAccountName: '{{cluster}}-sa',
                roleName: 'r-{{cluster}}-{{region}}',
              },
            ],
          },
        }),
      ),
      [
        'metadata.tags.{{cluster}}: {{cluster}} cannot be used as a key; {{cluster}} may stand only in a namespace, a role name (roleName, or the name at the end of roleARN or serviceAccountRoleARN) or a tag value',
        'iam.podIdentityAssociations[0].namespace: unknown placeholder {{ cluster }}; the one placeholder is {{cluster}}',
        'iam.podIdentityAssociations[0].serviceAccountName: {{cluster}} cannot be used here; {{cluster}} may stand only in a namespace, a role name (roleName, or the name at the end of roleARN or serviceAccountRoleARN) or a tag value',
        'iam.podIdentityAssociations[0].roleName: unknown placeholder {{region}}; the one placeholder is {{cluster}}',
      ],
    );
  });
});

describe('{{cluster}} in role ARNs and add-on associations', () => {
  const ARN = (resource: string) => `arn:aws:iam::111122223333:role/${resource}`;
  const withRoles = (roleARN: string, addon: Record<string, unknown> = {}) =>
    fleetConfig({
      fleet: { namePattern: '*' },
      iam: { podIdentityAssociations: [{ namespace: 'apps', serviceAccountName: 'api', roleARN }] },
      addons: [
        { name: 'aws-ebs-csi-driver', serviceAccountRoleARN: ARN('{{cluster}}-ebs') },
        {
          name: 'aws-efs-csi-driver',
          podIdentityAssociations: [
            {
              namespace: 'kube-system',
              serviceAccountName: 'efs-csi-controller-sa',
              roleARN: ARN('{{cluster}}-efs'),
            },
            {
              namespace: 'kube-system',
              serviceAccountName: 'efs-csi-node-sa',
              roleName: '{{cluster}}-efs-node',
              permissionPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
              ...addon,
            },
          ],
        },
      ],
    });

  it("allows it in the role's name, after role/ and any path, and fills it in there", () => {
    const config = readFleetConfig(withRoles(ARN('teams/apps/{{cluster}}-reader')), SOURCE);
    const filled = configForCluster(config, CLUSTER) as {
      iam: { podIdentityAssociations: { roleARN: string }[] };
      addons: {
        serviceAccountRoleARN?: string;
        podIdentityAssociations?: { roleARN?: string; roleName?: string }[];
      }[];
    };
    assert.equal(filled.iam.podIdentityAssociations[0]?.roleARN, ARN('teams/apps/prod-eu-reader'));
    assert.equal(filled.addons[0]?.serviceAccountRoleARN, ARN('prod-eu-ebs'));
    assert.deepEqual(
      filled.addons[1]?.podIdentityAssociations?.map((entry) => entry.roleARN ?? entry.roleName),
      [ARN('prod-eu-efs'), 'prod-eu-efs-node'],
    );
  });

  it('refuses it in the partition, account or service of a role ARN, and in its path', () => {
    const roleArnIssue = (roleARN: string) => problems(withRoles(roleARN));
    for (const arn of [
      'arn:{{cluster}}:iam::111122223333:role/reader',
      'arn:aws:iam::{{cluster}}:role/reader',
      'arn:aws:{{cluster}}::111122223333:role/reader',
    ]) {
      assert.deepEqual(
        roleArnIssue(arn),
        [
          "iam.podIdentityAssociations[0].roleARN: {{cluster}} cannot stand in the partition, account or service of a role ARN, which are the same for every cluster; {{cluster}} may stand only in the role's name, after role/ and any path, e.g. arn:aws:iam::111122223333:role/{{cluster}}-reader",
        ],
        arn,
      );
    }
    assert.deepEqual(roleArnIssue(ARN('{{cluster}}/reader')), [
      "iam.podIdentityAssociations[0].roleARN: {{cluster}} cannot stand in the role's path: IAM knows a role by its name alone, so put {{cluster}} in the name after the path, e.g. arn:aws:iam::111122223333:role/{{cluster}}-reader",
    ]);
    assert.deepEqual(roleArnIssue(ARN('{{cluster}}-{{region}}')), [
      'iam.podIdentityAssociations[0].roleARN: unknown placeholder {{region}}; the one placeholder is {{cluster}}',
    ]);
    assert.match(
      problems(withRoles(ARN('r'), { namespace: '{{cluster}}' }))[0] ?? '',
      /^addons\[1\]\.podIdentityAssociations\[1\]\.namespace: \{\{cluster\}\} cannot be used here/,
    );
  });

  it("checks the role ARN's name for length once the cluster's name is in it", () => {
    const name = `{{cluster}}-${'r'.repeat(57)}`;
    const config = readFleetConfig(withRoles(ARN(name)), SOURCE);
    const apply = (cluster: typeof CLUSTER) =>
      parseClusterConfigValue(configForCluster(config, cluster), {
        operation: 'apply',
        scope: 'all',
        source: SOURCE,
      });
    assert.doesNotThrow(() => apply({ ...CLUSTER, name: 'prod-1' }));
    assert.throws(
      () => apply(CLUSTER),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        error.issues.some(
          (issue) =>
            issue.path === 'iam.podIdentityAssociations[0].roleARN' &&
            issue.message ===
              `"${ARN(`prod-eu-${'r'.repeat(57)}`)}" names a role of 65 characters, and IAM allows at most 64 in a role name; shorten the name after role/`,
        ),
    );
  });
});

describe('fleetSelects', () => {
  const select = (selector: Record<string, unknown>, region?: string) =>
    fleetSelects({ selector, region }, CLUSTER);

  it('matches a cluster only when every condition given holds', () => {
    assert.equal(select({ clusters: ['prod-us', 'prod-eu'] }), true);
    assert.equal(select({ clusters: ['prod-us'] }), false);
    assert.equal(select({ namePattern: 'prod-*' }), true);
    assert.equal(select({ namePattern: 'prod-??' }), true);
    assert.equal(select({ namePattern: 'prod' }), false);
    assert.equal(select({ namePattern: 'PROD-*' }), false);
    assert.equal(select({ tags: { env: 'prod' } }), true);
    assert.equal(select({ tags: { env: 'prod', team: 'search' } }), false);
    assert.equal(select({ tags: { owner: 'prod' } }), false);
    assert.equal(select({ namePattern: 'prod-*', tags: { env: 'dev' } }), false);
    assert.equal(
      select({ clusters: ['prod-eu'], namePattern: 'prod-*', tags: { env: 'prod' } }),
      true,
    );
  });

  it("limits a config with metadata.region to that region's clusters", () => {
    assert.equal(select({ namePattern: '*' }, 'eu-west-1'), true);
    assert.equal(select({ namePattern: '*' }, 'us-east-1'), false);
  });
});

describe('exclusionReasons and the names a selector gives', () => {
  it('says each condition a cluster fails', () => {
    assert.deepEqual(
      exclusionReasons(
        {
          selector: { namePattern: 'dev-*', tags: { env: 'dev', owner: 'x' } },
          region: 'us-east-1',
        },
        CLUSTER,
      ),
      [
        'it is in region eu-west-1, and the config is limited to us-east-1',
        'its name does not match namePattern "dev-*"',
        'its tag env is "prod", not "dev"',
        'it has no tag owner (the selector wants owner=x)',
      ],
    );
    assert.deepEqual(exclusionReasons({ selector: { clusters: ['prod-eu'] } }, CLUSTER), []);
  });

  it('finds the names that are not clusters, each once, and lists at most ten of them', () => {
    const existing = ['prod-eu', 'prod-us'];
    assert.deepEqual(
      unknownClusterNames({ clusters: ['prod-eu', 'x', 'x', 'prod-uss'] }, existing),
      ['x', 'prod-uss'],
    );
    assert.deepEqual(unknownClusterNames({ namePattern: 'nope-*' }, existing), []);
    const many = Array.from({ length: 12 }, (_, index) => `c${index}`);
    assert.equal(
      describeUnknownNames(many, existing),
      '"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9" and 2 more',
    );
    assert.equal(
      describeUnknownNames(['prod-uss'], existing),
      '"prod-uss" (did you mean "prod-us"?)',
    );
  });
});

describe('configForCluster', () => {
  it("fills every {{cluster}} and sets the cluster's name and region", () => {
    const config = readFleetConfig(
      fleetConfig({
        fleet: { namePattern: '*' },
        metadata: { tags: { owner: 'team-{{cluster}}' } },
        iam: {
          podIdentityAssociations: [
            {
              namespace: '{{cluster}}',
              serviceAccountName: 'sa',
              roleName: '{{cluster}}-{{cluster}}',
            },
          ],
        },
      }),
      SOURCE,
    );
    assert.deepEqual(configForCluster(config, CLUSTER), {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { tags: { owner: 'team-prod-eu' }, name: 'prod-eu', region: 'eu-west-1' },
      iam: {
        podIdentityAssociations: [
          { namespace: 'prod-eu', serviceAccountName: 'sa', roleName: 'prod-eu-prod-eu' },
        ],
      },
    });
  });
});

describe('parseClustersFlag', () => {
  it('reads names, one pattern and tags, separated by commas', () => {
    assert.deepEqual(parseClustersFlag('a, b'), { clusters: ['a', 'b'] });
    assert.deepEqual(parseClustersFlag('prod-*'), { namePattern: 'prod-*' });
    assert.deepEqual(parseClustersFlag('tag:env=prod,tag:team=a=b'), {
      tags: { env: 'prod', team: 'a=b' },
    });
    assert.deepEqual(parseClustersFlag('prod-?,tag:env=prod'), {
      namePattern: 'prod-?',
      tags: { env: 'prod' },
    });
  });

  it('refuses what selects nothing, with what to write instead', () => {
    for (const [text, pattern] of [
      [' , ', /is empty/],
      ['tag:env', /not tag:key=value/],
      ['tag:=prod', /not tag:key=value/],
      ['a-*,b-*', /2 name patterns/],
      ['not a name', /not an EKS cluster name/],
    ] as const) {
      assert.throws(
        () => parseClustersFlag(text),
        (error: unknown) => error instanceof FleetSelectorError && pattern.test(error.message),
        text,
      );
    }
  });
});

describe('describeSelector', () => {
  it('names every condition of the selector', () => {
    assert.equal(
      describeSelector({ clusters: ['a', 'b'], namePattern: 'p-*', tags: { env: 'prod' } }),
      'clusters a, b; names p-*; tags env=prod',
    );
  });
});
