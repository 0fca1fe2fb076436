import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  paginateListRoles,
  paginateListRoleTags,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Simulator } from '../../../local/simulator/server.ts';
import { iamService } from '../../../local/simulator/services/iam.ts';
import {
  GRANTS_NOTHING_DOCUMENT,
  parseWorld,
  type WorldInput,
} from '../../../local/simulator/world.ts';

const account = '111122223333';
const issuerHost = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1';
const providerArn = `arn:aws:iam::${account}:oidc-provider/${issuerHost}`;

const podsTrust = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};

const irsaTrust = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${issuerHost}:aud`]: 'sts.amazonaws.com',
          [`${issuerHost}:sub`]: 'system:serviceaccount:default:s3-reader',
        },
      },
    },
  ],
};

const readPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::configs/*' }],
};

function baseWorld(overrides: Partial<WorldInput> = {}): WorldInput {
  return {
    account,
    region: 'us-west-2',
    caller: `arn:aws:iam::${account}:role/automation`,
    openIdConnectProviders: [providerArn],
    managedPolicies: [
      `arn:aws:iam::${account}:policy/boundary`,
      { arn: `arn:aws:iam::${account}:policy/read-configs`, document: readPolicy },
      `arn:aws:iam::${account}:policy/app/read-configs`,
      `arn:aws:iam::${account}:policy/write-logs`,
    ],
    roles: [
      {
        name: 's3-reader',
        assumeRolePolicyDocument: irsaTrust,
        attachedPolicies: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
        permissionsBoundary: `arn:aws:iam::${account}:policy/boundary`,
        tags: { team: 'data' },
      },
    ],
    ...overrides,
  };
}

interface Harness {
  sim: Simulator;
  iam: IAMClient;
}

async function start(
  world: WorldInput,
  clientOptions: Partial<ConstructorParameters<typeof IAMClient>[0]> = {},
) {
  const sim = await new Simulator(parseWorld(JSON.stringify(world)), [iamService]).start();
  const iam = new IAMClient({
    endpoint: sim.url,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
    retryStrategy: new ConfiguredRetryStrategy(4, (attempt) => 5 * attempt),
    ...clientOptions,
  });
  return { sim, iam } satisfies Harness;
}

async function stop({ sim, iam }: Harness): Promise<void> {
  iam.destroy();
  await sim.close();
}

/** Asserts the SDK threw the named exception with the HTTP status IAM uses for it. */
async function rejectsWith(call: Promise<unknown>, name: string, status: number, message?: RegExp) {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof Error, 'an Error');
    assert.equal(error.name, name);
    assert.equal(
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      status,
    );
    if (message) assert.match(error.message, message);
    return true;
  });
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const page of pages) collected.push(page);
  return collected;
}

function decodeDocument(encoded: string | undefined): unknown {
  assert.ok(encoded, 'a document');
  return JSON.parse(decodeURIComponent(encoded));
}

describe('simulated IAM roles through @aws-sdk/client-iam', () => {
  let harness: Harness;
  before(async () => {
    harness = await start(baseWorld());
  });
  after(() => stop(harness));

  it('creates a role with every CreateRole field and returns them from CreateRole and GetRole', async () => {
    const { iam } = harness;
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'pia-default-app',
        Path: '/eks-pia/',
        AssumeRolePolicyDocument: JSON.stringify(podsTrust),
        Description: 'created by the test',
        MaxSessionDuration: 7200,
        PermissionsBoundary: `arn:aws:iam::${account}:policy/boundary`,
        Tags: [
          { Key: 'eks-pia/cluster', Value: 'demo' },
          { Key: 'eks-pia/namespace', Value: 'default' },
        ],
      }),
    );
    const role = created.Role;
    assert.ok(role);
    assert.equal(role.Arn, `arn:aws:iam::${account}:role/eks-pia/pia-default-app`);
    assert.equal(role.Path, '/eks-pia/');
    assert.match(role.RoleId ?? '', /^AROA[A-Z0-9]{17}$/);
    assert.ok(role.CreateDate instanceof Date);
    assert.deepEqual(decodeDocument(role.AssumeRolePolicyDocument), podsTrust);

    const fetched = (await iam.send(new GetRoleCommand({ RoleName: 'pia-default-app' }))).Role;
    assert.ok(fetched);
    assert.equal(fetched.RoleId, role.RoleId);
    assert.equal(fetched.Description, 'created by the test');
    assert.equal(fetched.MaxSessionDuration, 7200);
    assert.deepEqual(fetched.PermissionsBoundary, {
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: `arn:aws:iam::${account}:policy/boundary`,
    });
    assert.deepEqual(fetched.Tags, [
      { Key: 'eks-pia/cluster', Value: 'demo' },
      { Key: 'eks-pia/namespace', Value: 'default' },
    ]);
    assert.deepEqual(fetched.RoleLastUsed, {});
    assert.equal(fetched.CreateDate?.getTime(), role.CreateDate.getTime());
  });

  it('returns trust policies URL-encoded, as IAM does, which decode to the stored document', async () => {
    const role = (await harness.iam.send(new GetRoleCommand({ RoleName: 's3-reader' }))).Role;
    const encoded = role?.AssumeRolePolicyDocument ?? '';
    assert.ok(!encoded.includes('{') && encoded.startsWith('%7B'), 'the document is URL-encoded');
    assert.equal(encoded, encodeURIComponent(JSON.stringify(irsaTrust)));
    assert.deepEqual(decodeDocument(encoded), irsaTrust);
  });

  it('marks roles created during the run for EKS eventual consistency, and world roles not', async () => {
    const { sim } = harness;
    assert.equal(
      sim.state.peek(`iam:created:arn:aws:iam::${account}:role/eks-pia/pia-default-app`),
      1,
    );
    assert.equal(sim.state.peek(`iam:created:arn:aws:iam::${account}:role/s3-reader`), 0);
  });

  it('finds a role by any casing of its name and refuses a second role differing only in case', async () => {
    const { iam } = harness;
    const role = (await iam.send(new GetRoleCommand({ RoleName: 'S3-READER' }))).Role;
    assert.equal(role?.RoleName, 's3-reader');
    await rejectsWith(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'S3-Reader',
          AssumeRolePolicyDocument: JSON.stringify(podsTrust),
        }),
      ),
      'EntityAlreadyExistsException',
      409,
      /^Role with name S3-Reader already exists\.$/,
    );
  });

  it('answers NoSuchEntity (404) with IAM message for a role that does not exist', async () => {
    await rejectsWith(
      harness.iam.send(new GetRoleCommand({ RoleName: 'ghost' })),
      'NoSuchEntityException',
      404,
      /^The role with name ghost cannot be found\.$/,
    );
  });

  it('rejects invalid role names and paths as IAM request validation does', async () => {
    const { iam } = harness;
    await rejectsWith(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'has space',
          AssumeRolePolicyDocument: JSON.stringify(podsTrust),
        }),
      ),
      'ValidationError',
      400,
      /at 'roleName' failed to satisfy constraint/,
    );
    await rejectsWith(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'x'.repeat(65),
          AssumeRolePolicyDocument: JSON.stringify(podsTrust),
        }),
      ),
      'ValidationError',
      400,
      /length less than or equal to 64/,
    );
    await rejectsWith(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'ok',
          Path: 'no-slashes',
          AssumeRolePolicyDocument: JSON.stringify(podsTrust),
        }),
      ),
      'ValidationError',
      400,
      /at 'path'/,
    );
  });

  it('replaces the whole trust policy on UpdateAssumeRolePolicy', async () => {
    const { iam } = harness;
    const combined = { ...irsaTrust, Statement: [...irsaTrust.Statement, ...podsTrust.Statement] };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 's3-reader',
        PolicyDocument: JSON.stringify(combined),
      }),
    );
    const role = (await iam.send(new GetRoleCommand({ RoleName: 's3-reader' }))).Role;
    assert.deepEqual(decodeDocument(role?.AssumeRolePolicyDocument), combined);
  });

  it('sets and removes a permissions boundary', async () => {
    const { iam } = harness;
    const boundary = 'arn:aws:iam::aws:policy/PowerUserAccess';
    await iam.send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: 's3-reader',
        PermissionsBoundary: boundary,
      }),
    );
    let role = (await iam.send(new GetRoleCommand({ RoleName: 's3-reader' }))).Role;
    assert.equal(role?.PermissionsBoundary?.PermissionsBoundaryArn, boundary);
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 's3-reader' }));
    role = (await iam.send(new GetRoleCommand({ RoleName: 's3-reader' }))).Role;
    assert.equal(role?.PermissionsBoundary, undefined);
  });

  it('refuses to delete a role that still has attached or inline policies, then deletes it once empty', async () => {
    const { iam } = harness;
    const name = 'to-delete';
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify(podsTrust),
      }),
    );
    const managed = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: managed }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: 'read',
        PolicyDocument: JSON.stringify(readPolicy),
      }),
    );
    await rejectsWith(
      iam.send(new DeleteRoleCommand({ RoleName: name })),
      'DeleteConflictException',
      409,
      /must detach all policies first/,
    );
    await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: managed }));
    await rejectsWith(
      iam.send(new DeleteRoleCommand({ RoleName: name })),
      'DeleteConflictException',
      409,
      /must delete policies first/,
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: 'read' }));
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
    await rejectsWith(
      iam.send(new GetRoleCommand({ RoleName: name })),
      'NoSuchEntityException',
      404,
    );
  });
});

describe('simulated IAM lists page with Marker/MaxItems through the SDK paginators', () => {
  const roleNames = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];
  let harness: Harness;
  before(async () => {
    harness = await start(
      baseWorld({
        roles: roleNames.map((name, index) => ({
          name,
          path: index % 2 === 0 ? '/team-a/' : '/',
          assumeRolePolicyDocument: {
            ...podsTrust,
            Statement: [{ ...podsTrust.Statement[0], Sid: name }],
          },
          attachedPolicies: [
            'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
            'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
            `arn:aws:iam::${account}:policy/app/read-configs`,
            `arn:aws:iam::${account}:policy/write-logs`,
            'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess',
            'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
            'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess',
          ],
          inlinePolicies: Object.fromEntries(
            ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'].map((p) => [p, readPolicy]),
          ),
          permissionsBoundary: `arn:aws:iam::${account}:policy/boundary`,
          tags: Object.fromEntries(
            ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].map((k) => [k, `value of ${k}`]),
          ),
        })),
      }),
    );
  });
  after(() => stop(harness));

  it('pages ListRoles in three or more pages whose union is every role, without tags or boundary', async () => {
    const pages = await collect(paginateListRoles({ client: harness.iam, pageSize: 2 }, {}));
    assert.ok(pages.length >= 3, `got ${pages.length} pages`);
    assert.deepEqual(
      pages.map((page) => page.IsTruncated),
      pages.map((_, index) => index < pages.length - 1),
    );
    const roles = pages.flatMap((page) => page.Roles ?? []);
    assert.deepEqual(roles.map((role) => role.RoleName).sort(), roleNames);
    for (const role of roles) {
      assert.deepEqual(decodeDocument(role.AssumeRolePolicyDocument), {
        ...podsTrust,
        Statement: [{ ...podsTrust.Statement[0], Sid: role.RoleName }],
      });
      assert.equal(role.Tags, undefined, 'ListRoles leaves tags out');
      assert.equal(role.PermissionsBoundary, undefined, 'ListRoles leaves the boundary out');
    }
  });

  it('filters ListRoles by PathPrefix', async () => {
    const listed = await harness.iam.send(new ListRolesCommand({ PathPrefix: '/team-a/' }));
    assert.deepEqual(
      listed.Roles?.map((role) => role.RoleName),
      ['alpha', 'charlie', 'echo', 'golf'],
    );
    assert.equal(listed.IsTruncated, false);
  });

  it('pages ListAttachedRolePolicies, ListRolePolicies and ListRoleTags in three or more pages', async () => {
    const { iam } = harness;
    const attached = await collect(
      paginateListAttachedRolePolicies({ client: iam, pageSize: 3 }, { RoleName: 'alpha' }),
    );
    assert.ok(attached.length >= 3);
    const policies = attached.flatMap((page) => page.AttachedPolicies ?? []);
    assert.equal(new Set(policies.map((policy) => policy.PolicyArn)).size, 7);
    assert.deepEqual(
      policies.find((policy) => policy.PolicyArn?.endsWith('AmazonEBSCSIDriverPolicy')),
      {
        PolicyName: 'AmazonEBSCSIDriverPolicy',
        PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
      },
    );

    const inline = await collect(
      paginateListRolePolicies({ client: iam, pageSize: 3 }, { RoleName: 'alpha' }),
    );
    assert.ok(inline.length >= 3);
    assert.deepEqual(
      inline.flatMap((page) => page.PolicyNames ?? []),
      ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'],
    );

    const tags = await collect(
      paginateListRoleTags({ client: iam, pageSize: 2 }, { RoleName: 'alpha' }),
    );
    assert.ok(tags.length >= 3);
    const allTags = tags.flatMap((page) => page.Tags ?? []);
    assert.equal(allTags.length, 7);
    assert.equal(new Set(allTags.map((tag) => tag.Key)).size, 7);
    assert.deepEqual(allTags[0], { Key: 'k1', Value: 'value of k1' });
  });

  it('filters ListAttachedRolePolicies by policy path', async () => {
    const pages = await collect(
      paginateListAttachedRolePolicies(
        { client: harness.iam },
        { RoleName: 'alpha', PathPrefix: '/service-role/' },
      ),
    );
    assert.deepEqual(
      pages.flatMap((page) => page.AttachedPolicies ?? []).map((policy) => policy.PolicyName),
      ['AmazonEBSCSIDriverPolicy'],
    );
  });

  it('rejects a MaxItems outside 1..1000', async () => {
    await rejectsWith(
      harness.iam.send(new ListRolesCommand({ MaxItems: 0 })),
      'ValidationError',
      400,
    );
  });
});

describe('simulated IAM managed and inline policies', () => {
  let harness: Harness;
  before(async () => {
    harness = await start(
      baseWorld({
        quotas: { attachedPoliciesPerRole: 3, rolePolicySize: 400 },
        roles: [{ name: 'app', assumeRolePolicyDocument: podsTrust }],
      }),
    );
  });
  after(() => stop(harness));

  it('attaches AWS and account policies once each and enforces PoliciesPerRole with IAM message', async () => {
    const { iam } = harness;
    const arns = [
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      `arn:aws:iam::${account}:policy/read-configs`,
      'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    ];
    for (const arn of arns)
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: arn }));
    // Attaching an attached policy again changes nothing and is not an error.
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: arns[0] }));
    await rejectsWith(
      iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'app',
          PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      ),
      'LimitExceededException',
      409,
      /^Cannot exceed quota for PoliciesPerRole: 3$/,
    );
    assert.deepEqual(harness.sim.state.role('app')?.attachedPolicies, arns);
  });

  it("refuses managed and boundary policies that do not exist: not in AWS's catalogue nor the world's own", async () => {
    const { iam } = harness;
    for (const PolicyArn of [
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccesss',
      `arn:aws:iam::${account}:policy/never-created`,
    ]) {
      await rejectsWith(
        iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn })),
        'NoSuchEntityException',
        404,
        new RegExp(`Policy ${PolicyArn} does not exist or is not attachable`),
      );
      await rejectsWith(
        iam.send(
          new PutRolePermissionsBoundaryCommand({
            RoleName: 'app',
            PermissionsBoundary: PolicyArn,
          }),
        ),
        'NoSuchEntityException',
        404,
      );
    }
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'app',
        PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
      }),
    );
  });

  it('refuses policy ARNs that are malformed, of another account, or not attached', async () => {
    const { iam } = harness;
    await rejectsWith(
      iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'app',
          PolicyArn: 'arn:aws:s3:::not-a-policy-arn',
        }),
      ),
      'InvalidInputException',
      400,
      /is not valid/,
    );
    await rejectsWith(
      iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'app',
          PolicyArn: 'arn:aws:iam::999988887777:policy/theirs',
        }),
      ),
      'NoSuchEntityException',
      404,
      /does not exist or is not attachable/,
    );
    await rejectsWith(
      iam.send(
        new DetachRolePolicyCommand({
          RoleName: 'app',
          PolicyArn: 'arn:aws:iam::aws:policy/NeverAttached',
        }),
      ),
      'NoSuchEntityException',
      404,
      /was not found/,
    );
  });

  it('answers GetPolicy and GetPolicyVersion with the world policy, its document URL-encoded', async () => {
    const { iam } = harness;
    const arn = `arn:aws:iam::${account}:policy/app/read-configs`;
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'app',
        PolicyArn: `arn:aws:iam::${account}:policy/read-configs`,
      }),
    );
    const policy = (
      await iam.send(
        new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${account}:policy/read-configs` }),
      )
    ).Policy;
    assert.equal(policy?.PolicyName, 'read-configs');
    assert.equal(policy?.Path, '/');
    assert.match(policy?.PolicyId ?? '', /^ANPA[A-Z0-9]{17}$/);
    assert.equal(policy?.AttachmentCount, 1);
    const version = (
      await iam.send(
        new GetPolicyVersionCommand({
          PolicyArn: `arn:aws:iam::${account}:policy/read-configs`,
          VersionId: policy?.DefaultVersionId,
        }),
      )
    ).PolicyVersion;
    assert.equal(version?.IsDefaultVersion, true);
    assert.ok(version?.Document?.startsWith('%7B'), 'the document is URL-encoded');
    assert.deepEqual(decodeDocument(version?.Document), readPolicy);

    // Listed by ARN alone (the older world format): a policy that grants nothing.
    const plain = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    assert.equal(plain?.Path, '/app/');
    const plainVersion = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: plain?.DefaultVersionId }),
    );
    assert.deepEqual(decodeDocument(plainVersion.PolicyVersion?.Document), GRANTS_NOTHING_DOCUMENT);
  });

  it('answers NoSuchEntity for a policy or version IAM does not have, and leaves AWS managed documents unsimulated', async () => {
    const { iam } = harness;
    await rejectsWith(
      iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${account}:policy/missing` })),
      'NoSuchEntityException',
      404,
      /Policy arn:aws:iam::111122223333:policy\/missing was not found/,
    );
    await rejectsWith(
      iam.send(
        new GetPolicyVersionCommand({
          PolicyArn: `arn:aws:iam::${account}:policy/read-configs`,
          VersionId: 'v2',
        }),
      ),
      'NoSuchEntityException',
      404,
    );
    await rejectsWith(
      iam.send(
        new GetPolicyVersionCommand({
          PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
          VersionId: 'v1',
        }),
      ),
      'NotImplemented',
      501,
    );
  });

  it('stores inline policies and returns them URL-encoded from GetRolePolicy', async () => {
    const { iam } = harness;
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'app',
        PolicyName: 'read',
        PolicyDocument: JSON.stringify(readPolicy),
      }),
    );
    const fetched = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'app', PolicyName: 'read' }),
    );
    assert.equal(fetched.RoleName, 'app');
    assert.equal(fetched.PolicyName, 'read');
    assert.equal(fetched.PolicyDocument, encodeURIComponent(JSON.stringify(readPolicy)));
    assert.deepEqual(decodeDocument(fetched.PolicyDocument), readPolicy);
  });

  it('answers NoSuchEntity for an inline policy the role does not have', async () => {
    const { iam } = harness;
    await rejectsWith(
      iam.send(new GetRolePolicyCommand({ RoleName: 'app', PolicyName: 'missing' })),
      'NoSuchEntityException',
      404,
      /^The role policy with name missing cannot be found\.$/,
    );
    // Names of Object.prototype members are ordinary policy names, not inherited properties.
    await rejectsWith(
      iam.send(new GetRolePolicyCommand({ RoleName: 'app', PolicyName: 'constructor' })),
      'NoSuchEntityException',
      404,
    );
    await rejectsWith(
      iam.send(new DeleteRolePolicyCommand({ RoleName: 'app', PolicyName: 'missing' })),
      'NoSuchEntityException',
      404,
    );
  });

  it('enforces the aggregate inline policy size per role', async () => {
    const big = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(300)}/*` },
      ],
    };
    await rejectsWith(
      harness.iam.send(
        new PutRolePolicyCommand({
          RoleName: 'app',
          PolicyName: 'big',
          PolicyDocument: JSON.stringify(big),
        }),
      ),
      'LimitExceededException',
      409,
      /^Maximum policy size of 400 bytes exceeded for role app$/,
    );
    assert.deepEqual(Object.keys(harness.sim.state.role('app')?.inlinePolicies ?? {}), ['read']);
  });

  it('rejects an inline policy that names a principal or has no resource', async () => {
    const { iam } = harness;
    const withPrincipal = {
      Version: '2012-10-17',
      Statement: [{ ...readPolicy.Statement[0], Principal: '*' }],
    };
    await rejectsWith(
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'app',
          PolicyName: 'p',
          PolicyDocument: JSON.stringify(withPrincipal),
        }),
      ),
      'MalformedPolicyDocumentException',
      400,
      /should not specify a principal/,
    );
    const noResource = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }],
    };
    await rejectsWith(
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'app',
          PolicyName: 'p',
          PolicyDocument: JSON.stringify(noResource),
        }),
      ),
      'MalformedPolicyDocumentException',
      400,
      /must contain resources/,
    );
  });
});

describe('simulated IAM roles per account', () => {
  it('refuses CreateRole past the account quota with IAM message, creating nothing', async () => {
    const world = baseWorld();
    const quota = (world.roles?.length ?? 0) + 1;
    const harness = await start({ ...world, quotas: { roles: quota } });
    try {
      const create = (name: string) =>
        harness.iam.send(
          new CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: JSON.stringify(podsTrust),
          }),
        );
      await create('fits');
      await rejectsWith(
        create('one-too-many'),
        'LimitExceededException',
        409,
        new RegExp(`^Cannot exceed quota for RolesPerAccount: ${quota}$`),
      );
      assert.equal(harness.sim.state.role('one-too-many'), undefined);
      const summary = (await harness.iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
      assert.deepEqual([summary.Roles, summary.RolesQuota], [quota, quota]);
    } finally {
      await stop(harness);
    }
  });

  it("refuses tag keys and values with characters outside IAM's patterns, taking any letter", async () => {
    const harness = await start(baseWorld());
    try {
      const create = (name: string, tags: { Key: string; Value: string }[]) =>
        harness.iam.send(
          new CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: JSON.stringify(podsTrust),
            Tags: tags,
          }),
        );
      await rejectsWith(
        create('comma', [{ Key: 'owner', Value: 'platform, payments' }]),
        'ValidationError',
        400,
        /Value 'platform, payments' at 'tags.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\p\{L\}\\p\{Z\}\\p\{N\}_.:\/=\+\\-@\]\*/,
      );
      await rejectsWith(
        create('hash', [{ Key: 'cost#center', Value: '42' }]),
        'ValidationError',
        400,
        /at 'tags.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      );
      assert.equal(harness.sim.state.role('comma'), undefined);
      await create('letters', [{ Key: 'Équipe', Value: 'Paiements éàü 42 a@b.c:d/e=f+g-h_i' }]);
      assert.equal(
        harness.sim.state.role('letters')?.tags.Équipe,
        'Paiements éàü 42 a@b.c:d/e=f+g-h_i',
      );
    } finally {
      await stop(harness);
    }
  });

  it('refuses a world holding more roles than its quota, or a quota IAM never grants', () => {
    const world = baseWorld();
    const roles = [...(world.roles ?? []), { name: 'second', assumeRolePolicyDocument: podsTrust }];
    assert.throws(
      () => parseWorld(JSON.stringify({ ...world, roles, quotas: { roles: 1 } })),
      /roles, more than the account's quota of 1: raise quotas.roles \(IAM allows up to 5,000 by request\)/,
    );
    assert.throws(
      () => parseWorld(JSON.stringify({ ...world, quotas: { roles: 5001 } })),
      /quotas.roles: IAM allows at most 5,000 roles per account/,
    );
  });
});

describe('simulated IAM trust policy validation and quotas', () => {
  let harness: Harness;
  before(async () => {
    harness = await start(
      baseWorld({
        quotas: { assumeRolePolicySize: 350 },
        roles: [{ name: 'app', assumeRolePolicyDocument: podsTrust }],
      }),
    );
  });
  after(() => stop(harness));

  const update = (document: string) =>
    harness.iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'app', PolicyDocument: document }),
    );

  it('rejects documents that are not JSON, lack statements, have a bad Effect or no Principal', async () => {
    const cases: [string, RegExp][] = [
      ['{"Version": "2012-10-17", "Statement": [', /invalid Json/],
      [JSON.stringify({ Version: '2012-10-17' }), /Syntax errors/],
      [
        JSON.stringify({ Statement: [{ ...podsTrust.Statement[0], Effect: 'Alow' }] }),
        /Syntax errors/,
      ],
      [
        JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }),
        /statement with no principals/,
      ],
      [
        JSON.stringify({ Statement: [{ ...podsTrust.Statement[0], Resource: '*' }] }),
        /prohibited field Resource/,
      ],
    ];
    for (const [document, message] of cases) {
      await rejectsWith(update(document), 'MalformedPolicyDocumentException', 400, message);
    }
    assert.deepEqual(
      harness.sim.state.role('app')?.assumeRolePolicyDocument,
      podsTrust,
      'trust unchanged',
    );
  });

  it('rejects a trust policy naming an OIDC provider or a role of the account that does not exist', async () => {
    const missingProvider = `arn:aws:iam::${account}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/MISSING`;
    await rejectsWith(
      update(
        JSON.stringify({
          ...irsaTrust,
          Statement: [{ ...irsaTrust.Statement[0], Principal: { Federated: missingProvider } }],
        }),
      ),
      'MalformedPolicyDocumentException',
      400,
      /^Invalid principal in policy: "Federated":"arn:aws:iam::111122223333:oidc-provider\/.*MISSING"$/,
    );
    await rejectsWith(
      update(
        JSON.stringify({
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${account}:role/deleted` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      ),
      'MalformedPolicyDocumentException',
      400,
      /Invalid principal in policy: "AWS"/,
    );
    // The world's own provider is accepted.
    await update(
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: providerArn },
            Action: 'sts:AssumeRoleWithWebIdentity',
          },
        ],
      }),
    );
  });

  it('counts the trust policy size without whitespace and answers LimitExceeded over the quota', async () => {
    const statement = (sid: string) => ({ ...podsTrust.Statement[0], Sid: sid });
    const fits = { Version: '2012-10-17', Statement: [statement('a'), statement('b')] };
    const compact = JSON.stringify(fits).length;
    assert.ok(compact <= 350, `fixture of ${compact} characters fits`);
    // Indented, the same document is far over the quota; IAM does not count the whitespace.
    assert.ok(JSON.stringify(fits, null, 8).length > 350);
    await update(JSON.stringify(fits, null, 8));

    const tooBig = {
      Version: '2012-10-17',
      Statement: [statement('a'), statement('b'), statement('c')],
    };
    assert.ok(JSON.stringify(tooBig).length > 350);
    await rejectsWith(
      update(JSON.stringify(tooBig)),
      'LimitExceededException',
      409,
      /^Cannot exceed quota for ACLSizePerRole: 350$/,
    );
    await rejectsWith(
      harness.iam.send(
        new CreateRoleCommand({
          RoleName: 'big-trust',
          AssumeRolePolicyDocument: JSON.stringify(tooBig),
        }),
      ),
      'LimitExceededException',
      409,
    );
    assert.equal(harness.sim.state.role('big-trust'), undefined);
  });
});

describe('simulated IAM tags', () => {
  let harness: Harness;
  before(async () => {
    harness = await start(
      baseWorld({
        roles: [{ name: 'app', assumeRolePolicyDocument: podsTrust, tags: { Team: 'a' } }],
      }),
    );
  });
  after(() => stop(harness));

  it('adds, replaces case-insensitively and removes tags', async () => {
    const { iam, sim } = harness;
    await iam.send(
      new TagRoleCommand({
        RoleName: 'app',
        Tags: [
          { Key: 'team', Value: 'b' },
          { Key: 'owner', Value: 'eks-pia' },
        ],
      }),
    );
    assert.deepEqual(sim.state.role('app')?.tags, { team: 'b', owner: 'eks-pia' });
    await iam.send(new UntagRoleCommand({ RoleName: 'app', TagKeys: ['OWNER'] }));
    assert.deepEqual(sim.state.role('app')?.tags, { team: 'b' });
  });

  it('refuses more than 50 tags on a role', async () => {
    const tags = Array.from({ length: 50 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));
    await rejectsWith(
      harness.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: tags })),
      'LimitExceededException',
      409,
      /TagsPerRole: 50/,
    );
    await rejectsWith(
      harness.iam.send(
        new TagRoleCommand({ RoleName: 'app', Tags: [...tags, { Key: 'k50', Value: 'v' }] }),
      ),
      'ValidationError',
      400,
    );
  });
});

describe('simulated IAM account, OIDC providers and protected roles', () => {
  let harness: Harness;
  before(async () => {
    harness = await start(
      baseWorld({
        quotas: { assumeRolePolicySize: 4096, attachedPoliciesPerRole: 20, rolePolicySize: 10240 },
        roles: [
          {
            name: 'AWSServiceRoleForAmazonEKS',
            path: '/aws-service-role/eks.amazonaws.com/',
            assumeRolePolicyDocument: podsTrust,
          },
        ],
      }),
    );
  });
  after(() => stop(harness));

  it('lists and describes OIDC providers as IAM reports EKS issuers', async () => {
    const { iam } = harness;
    const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    assert.deepEqual(listed.OpenIDConnectProviderList, [{ Arn: providerArn }]);
    const provider = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }),
    );
    assert.equal(provider.Url, issuerHost);
    assert.deepEqual(provider.ClientIDList, ['sts.amazonaws.com']);
    assert.equal(provider.ThumbprintList?.length, 1);
    assert.match(provider.ThumbprintList?.[0] ?? '', /^[0-9a-f]{40}$/);
    assert.ok(provider.CreateDate instanceof Date);
    await rejectsWith(
      iam.send(
        new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `${providerArn}X` }),
      ),
      'NoSuchEntityException',
      404,
    );
  });

  it('reports the world quotas and role count in the account summary map', async () => {
    const summary = (await harness.iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    assert.equal(summary.AssumeRolePolicySizeQuota, 4096);
    assert.equal(summary.AttachedPoliciesPerRoleQuota, 20);
    assert.equal(summary.RolePolicySizeQuota, 10240);
    assert.equal(summary.Roles, 1);
    assert.equal(summary.RolesQuota, 1000);
    assert.equal(summary.Providers, 1);
  });

  it('refuses to change a service-linked role', async () => {
    await rejectsWith(
      harness.iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'AWSServiceRoleForAmazonEKS',
          PolicyDocument: JSON.stringify(podsTrust),
        }),
      ),
      'UnmodifiableEntityException',
      400,
      /protected role/,
    );
  });
});

describe('simulated IAM behaviour: faults, throttling, call log and dump', () => {
  it('surfaces an injected fault as the SDK exception after the retries, changing nothing', async () => {
    const harness = await start(
      baseWorld({
        behaviour: {
          faults: [
            { operation: 'iam:AttachRolePolicy', nth: 1, times: 10, error: 'ServiceFailure' },
          ],
        },
      }),
    );
    try {
      await assert.rejects(
        harness.iam.send(
          new AttachRolePolicyCommand({
            RoleName: 's3-reader',
            PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
          }),
        ),
        (error: Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }) => {
          assert.equal(error.name, 'ServiceFailureException');
          assert.equal(error.$metadata?.httpStatusCode, 500);
          assert.equal(error.$metadata?.attempts, 4, 'a 500 is retried by the SDK');
          return true;
        },
      );
      assert.deepEqual(harness.sim.state.role('s3-reader')?.attachedPolicies, [
        'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      ]);
    } finally {
      await stop(harness);
    }
  });

  it('throttles UpdateAssumeRolePolicy over its rate with IAM Throttling, which the SDK retries', async () => {
    const harness = await start(
      baseWorld({ behaviour: { rateLimits: { 'iam:UpdateAssumeRolePolicy': 2 } } }),
      {
        retryStrategy: new ConfiguredRetryStrategy(6, () => 200),
      },
    );
    try {
      const results = [];
      for (let index = 0; index < 4; index += 1) {
        results.push(
          await harness.iam.send(
            new UpdateAssumeRolePolicyCommand({
              RoleName: 's3-reader',
              PolicyDocument: JSON.stringify(irsaTrust),
            }),
          ),
        );
      }
      assert.ok(
        results.some((result) => (result.$metadata.attempts ?? 1) > 1),
        'some call was retried',
      );
      const throttled = harness.sim.calls.filter(
        (call) => call.operation === 'UpdateAssumeRolePolicy' && call.status === 400,
      );
      assert.ok(throttled.length >= 1, 'the simulator answered Throttling at least once');

      const impatient = new IAMClient({
        endpoint: harness.sim.url,
        region: 'us-west-2',
        credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
        maxAttempts: 1,
      });
      const burst = Array.from({ length: 4 }, () =>
        impatient.send(
          new UpdateAssumeRolePolicyCommand({
            RoleName: 's3-reader',
            PolicyDocument: JSON.stringify(irsaTrust),
          }),
        ),
      );
      const outcomes = await Promise.allSettled(burst);
      const rejected = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as Error] : [],
      );
      assert.ok(rejected.length >= 1);
      for (const error of rejected) {
        assert.equal(error.name, 'Throttling');
        assert.equal(
          (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
          400,
        );
      }
      impatient.destroy();
    } finally {
      await stop(harness);
    }
  });

  it('logs mutating calls as mutating and reads as not, and dumps created roles as JSON documents', async () => {
    const harness = await start(baseWorld());
    try {
      const { iam, sim } = harness;
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'created',
          Path: '/eks-pia/',
          AssumeRolePolicyDocument: JSON.stringify(podsTrust),
          Tags: [{ Key: 'eks-pia/cluster', Value: 'demo' }],
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'created',
          PolicyName: 'read',
          PolicyDocument: JSON.stringify(readPolicy),
        }),
      );
      await iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'created',
          PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      );
      await iam.send(new GetRoleCommand({ RoleName: 'created' }));
      await iam.send(new ListRolesCommand({}));
      await iam.send(new TagRoleCommand({ RoleName: 'created', Tags: [{ Key: 'x', Value: 'y' }] }));
      await iam.send(new GetAccountSummaryCommand({}));

      assert.deepEqual(
        sim.calls.map(({ service, operation, status, mutating }) => [
          service,
          operation,
          status,
          mutating,
        ]),
        [
          ['iam', 'CreateRole', 200, true],
          ['iam', 'PutRolePolicy', 200, true],
          ['iam', 'AttachRolePolicy', 200, true],
          ['iam', 'GetRole', 200, false],
          ['iam', 'ListRoles', 200, false],
          ['iam', 'TagRole', 200, true],
          ['iam', 'GetAccountSummary', 200, false],
        ],
      );

      const dumped = sim.dump();
      const role = dumped.roles.find((candidate) => candidate.name === 'created');
      assert.ok(role);
      assert.deepEqual(role.assumeRolePolicyDocument, podsTrust);
      assert.deepEqual(role.inlinePolicies, { read: readPolicy });
      assert.deepEqual(role.attachedPolicies, ['arn:aws:iam::aws:policy/ReadOnlyAccess']);
      assert.deepEqual(role.tags, { 'eks-pia/cluster': 'demo', x: 'y' });
      const reloaded = parseWorld(JSON.stringify(dumped), 'dump');
      assert.deepEqual(
        reloaded.roles.find((candidate) => candidate.name === 'created'),
        role,
      );
    } finally {
      await stop(harness);
    }
  });
});
