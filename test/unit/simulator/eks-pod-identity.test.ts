import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreatePodIdentityAssociationCommand,
  type CreatePodIdentityAssociationCommandInput,
  DeletePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  type PodIdentityAssociationSummary,
  paginateListPodIdentityAssociations,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { MAX_SESSION_POLICY_LENGTH } from '../../../functions/core/config/rules.ts';
import { Simulator } from '../../../local/simulator/server.ts';
import { cloudFormationService } from '../../../local/simulator/services/cloudformation.ts';
import { eksService } from '../../../local/simulator/services/eks.ts';
import { iamService } from '../../../local/simulator/services/iam.ts';
import { parseWorld } from '../../../local/simulator/world.ts';
import { expectAwsError, startEks } from './eks-helpers.ts';

const ACCOUNT = '111122223333';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const ADDON_ARN = `arn:aws:eks:us-west-2:${ACCOUNT}:addon/demo/vpc-cni/0b0f2b8c-1111-2222-3333-444455556666`;

function world(behaviour = '', quotas = '') {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    podIdentityAssociations:
      - {namespace: kube-system, serviceAccount: aws-node, roleArn: ${role('cni')}, ownerArn: ${ADDON_ARN}}
roles:
  - {name: app, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
  - {name: other, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
  - {name: cni, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
  - {name: pathed, path: /pods/, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
  - {name: fresh, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
  - {name: ec2only, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}}
${behaviour}
${quotas}
`;
}

function create(
  eks: EKSClient,
  fields: Omit<CreatePodIdentityAssociationCommandInput, 'clusterName'>,
) {
  return eks.send(new CreatePodIdentityAssociationCommand({ clusterName: 'demo', ...fields }));
}

/** EKS refuses the create twice with `message` (eventual consistency), then accepts it. */
async function refusedTwiceThenCreated(
  eks: EKSClient,
  fields: { namespace: string; serviceAccount: string; roleArn: string },
  message: RegExp,
) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    await expectAwsError(create(eks, fields), 'InvalidParameterException', 400, message);
  }
  const { association } = await create(eks, fields);
  assert.equal(association?.roleArn, fields.roleArn);
}

/** The statement that lets pods assume and tag a role, as EKS requires. */
const PODS_STATEMENT = {
  Effect: 'Allow',
  Principal: { Service: 'pods.eks.amazonaws.com' },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
};

/** ec2only's new trust reaches EKS on the third create (trustVisibleToEksAfterCalls: 2). */
function lateTrustSeenOnThirdCreate(eks: EKSClient): Promise<void> {
  return refusedTwiceThenCreated(
    eks,
    { namespace: 'default', serviceAccount: 'late', roleArn: role('ec2only') },
    /^Trust policy of the role provided is invalid$/,
  );
}

/** SDK client settings for `sim` with no retry, so each refusal shows. */
function oneAttemptClients(sim: Simulator) {
  return {
    endpoint: sim.url,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated' },
    maxAttempts: 1,
  };
}

describe('simulated EKS pod identity associations through the real SDK', () => {
  let sim: Simulator;
  let eks: EKSClient;

  before(async () => {
    ({ sim, eks } = await startEks(world()));
  });

  after(async () => {
    eks.destroy();
    await sim.close();
  });

  it('creates, describes, updates and deletes an association with every field round-tripping', async () => {
    const { association: created } = await create(eks, {
      namespace: 'default',
      serviceAccount: 'lifecycle',
      roleArn: role('app'),
      tags: { team: 'platform' },
    });
    assert.ok(created);
    const id = created.associationId ?? '';
    assert.match(id, /^a-[0-9a-z]{17}$/);
    assert.equal(
      created.associationArn,
      `arn:aws:eks:us-west-2:${ACCOUNT}:podidentityassociation/demo/${id}`,
    );
    assert.equal(created.clusterName, 'demo');
    assert.equal(created.roleArn, role('app'));
    assert.deepEqual(created.tags, { team: 'platform' });
    assert.equal(created.disableSessionTags, false);
    assert.ok(created.createdAt instanceof Date && created.modifiedAt instanceof Date);
    assert.equal(created.externalId, undefined);

    const { association: described } = await eks.send(
      new DescribePodIdentityAssociationCommand({ clusterName: 'demo', associationId: id }),
    );
    assert.deepEqual(described, created);

    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    const { association: updated } = await eks.send(
      new UpdatePodIdentityAssociationCommand({
        clusterName: 'demo',
        associationId: id,
        roleArn: role('other'),
        targetRoleArn: 'arn:aws:iam::444455556666:role/target',
        disableSessionTags: true,
        policy,
      }),
    );
    assert.equal(updated?.roleArn, role('other'));
    assert.equal(updated?.targetRoleArn, 'arn:aws:iam::444455556666:role/target');
    assert.match(
      updated?.externalId ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    assert.equal(updated?.disableSessionTags, true);
    assert.equal(updated?.policy, policy);

    const { association: deleted } = await eks.send(
      new DeletePodIdentityAssociationCommand({ clusterName: 'demo', associationId: id }),
    );
    assert.equal(deleted?.associationId, id);
    await expectAwsError(
      eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName: 'demo', associationId: id }),
      ),
      'ResourceNotFoundException',
      404,
    );
  });

  it('accepts a role with an IAM path only under its full ARN', async () => {
    await expectAwsError(
      create(eks, { namespace: 'default', serviceAccount: 'pathed', roleArn: role('pathed') }),
      'InvalidParameterException',
      400,
      /^Role provided in the request does not exist$/,
    );
    const { association } = await create(eks, {
      namespace: 'default',
      serviceAccount: 'pathed',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/pods/pathed`,
    });
    assert.equal(association?.roleArn, `arn:aws:iam::${ACCOUNT}:role/pods/pathed`);
  });

  it('refuses a second association for the same service account with 409 naming the existing id', async () => {
    const { association } = await create(eks, {
      namespace: 'default',
      serviceAccount: 'twice',
      roleArn: role('app'),
    });
    await expectAwsError(
      create(eks, { namespace: 'default', serviceAccount: 'twice', roleArn: role('other') }),
      'ResourceInUseException',
      409,
      new RegExp(`^Association already exists: ${association?.associationId}$`),
    );
  });

  it('returns the existing association for a repeated clientRequestToken with the same input', async () => {
    const fields = {
      namespace: 'default',
      serviceAccount: 'idempotent',
      roleArn: role('app'),
      clientRequestToken: 'tok-1',
    };
    const first = await create(eks, fields);
    const second = await create(eks, fields);
    assert.equal(second.association?.associationId, first.association?.associationId);
    await expectAwsError(
      create(eks, { ...fields, roleArn: role('other') }),
      'InvalidParameterException',
      400,
      /client request token/,
    );
  });

  it('rejects roles that do not exist, live in another account or are empty', async () => {
    const base = { namespace: 'default', serviceAccount: 'bad-role' };
    await expectAwsError(
      create(eks, { ...base, roleArn: role('nope') }),
      'InvalidParameterException',
      400,
      /^Role provided in the request does not exist$/,
    );
    await expectAwsError(
      create(eks, { ...base, roleArn: 'arn:aws:iam::999999999999:role/app' }),
      'InvalidParameterException',
      400,
      /^Cross-account pass role is not allowed$/,
    );
    await expectAwsError(
      create(eks, { ...base, roleArn: '' }),
      'InvalidParameterException',
      400,
      /^Cross-account pass role is not allowed$/,
    );
  });

  it('rejects a session policy unless session tags are disabled', async () => {
    await expectAwsError(
      create(eks, {
        namespace: 'default',
        serviceAccount: 'policy',
        roleArn: role('app'),
        policy: '{"Version":"2012-10-17","Statement":[]}',
      }),
      'InvalidParameterException',
      400,
      /disableSessionTags/,
    );
  });

  it('refuses a session policy over 2,048 characters on create and update, counting as the product does', async () => {
    // A valid policy of exactly `length` code points; the emoji is one code point but two UTF-16
    // units, so a count of UTF-16 units would disagree with the product's config check.
    const policyOf = (length: number) => {
      const head =
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/🙂';
      const tail = '"}]}';
      return `${head}${'a'.repeat(length - [...head].length - tail.length)}${tail}`;
    };
    assert.equal(MAX_SESSION_POLICY_LENGTH, 2048);
    const longest = policyOf(MAX_SESSION_POLICY_LENGTH);
    assert.equal([...longest].length, 2048);
    assert.ok(longest.length > 2048, 'longer in UTF-16 units than in characters');
    const tooLong = policyOf(MAX_SESSION_POLICY_LENGTH + 1);
    const refusal = /^policy must be at most 2048 characters long, got 2049$/;

    const fields = {
      namespace: 'default',
      serviceAccount: 'long-policy',
      roleArn: role('app'),
      disableSessionTags: true,
    };
    await expectAwsError(
      create(eks, { ...fields, policy: tooLong }),
      'InvalidParameterException',
      400,
      refusal,
    );
    const { association } = await create(eks, { ...fields, policy: longest });
    assert.equal(association?.policy, longest);
    const associationId = association?.associationId ?? '';
    await expectAwsError(
      eks.send(
        new UpdatePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId,
          policy: tooLong,
        }),
      ),
      'InvalidParameterException',
      400,
      refusal,
    );
    const { association: unchanged } = await eks.send(
      new DescribePodIdentityAssociationCommand({ clusterName: 'demo', associationId }),
    );
    assert.equal(unchanged?.policy, longest);
    await eks.send(new DeletePodIdentityAssociationCommand({ clusterName: 'demo', associationId }));
  });

  it('rejects more than 50 tags', async () => {
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v']));
    await expectAwsError(
      create(eks, { namespace: 'default', serviceAccount: 'tags', roleArn: role('app'), tags }),
      'InvalidParameterException',
      400,
    );
  });

  it('answers an unknown cluster, an unknown id and an empty update as EKS does', async () => {
    await expectAwsError(
      eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'ghost',
          namespace: 'n',
          serviceAccount: 's',
          roleArn: role('app'),
        }),
      ),
      'ResourceNotFoundException',
      404,
      /^No cluster found for name: ghost\.$/,
    );
    const unknownId = 'a-00000000000000000';
    await expectAwsError(
      eks.send(
        new UpdatePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: unknownId,
          roleArn: role('app'),
        }),
      ),
      'ResourceNotFoundException',
      404,
    );
    await expectAwsError(
      eks.send(
        new DeletePodIdentityAssociationCommand({ clusterName: 'demo', associationId: unknownId }),
      ),
      'ResourceNotFoundException',
      404,
    );
    await expectAwsError(
      eks.send(
        new DescribePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: 'a-short',
        }),
      ),
      'InvalidParameterException',
      400,
      /19 characters/,
    );
    const { association } = await create(eks, {
      namespace: 'default',
      serviceAccount: 'empty-update',
      roleArn: role('app'),
    });
    await expectAwsError(
      eks.send(
        new UpdatePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: association?.associationId,
        }),
      ),
      'InvalidParameterException',
      400,
      /At least one/,
    );
  });

  it('refuses to delete or update an association owned by an add-on', async () => {
    const { associations } = await eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: 'demo',
        namespace: 'kube-system',
        serviceAccount: 'aws-node',
      }),
    );
    const owned = associations?.[0];
    assert.equal(owned?.ownerArn, ADDON_ARN);
    await expectAwsError(
      eks.send(
        new DeletePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: owned?.associationId,
        }),
      ),
      'InvalidRequestException',
      400,
      /owned by the add-on/,
    );
    await expectAwsError(
      eks.send(
        new UpdatePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: owned?.associationId,
          roleArn: role('app'),
        }),
      ),
      'InvalidRequestException',
      400,
    );
    assert.equal(
      sim
        .dump()
        .clusters[0]?.podIdentityAssociations.some(
          (association) => association.ownerArn === ADDON_ARN,
        ),
      true,
    );
  });
});

describe('listing pod identity associations', () => {
  let sim: Simulator;
  let eks: EKSClient;

  before(async () => {
    ({ sim, eks } = await startEks(world()));
    for (const namespace of ['team-a', 'team-b']) {
      for (const serviceAccount of ['api', 'worker', 'cron']) {
        await create(eks, { namespace, serviceAccount, roleArn: role('app') });
      }
    }
  });

  after(async () => {
    eks.destroy();
    await sim.close();
  });

  it('pages across at least three pages whose union is the full set without duplicates', async () => {
    const pages: PodIdentityAssociationSummary[][] = [];
    for await (const page of paginateListPodIdentityAssociations(
      { client: eks, pageSize: 2 },
      { clusterName: 'demo' },
    )) {
      pages.push(page.associations ?? []);
    }
    assert.equal(pages.length, 4);
    const ids = pages.flat().map((summary) => summary.associationId);
    assert.equal(ids.length, 7);
    assert.equal(new Set(ids).size, 7);
    const { associations: all } = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'demo' }),
    );
    assert.deepEqual(new Set(ids), new Set(all?.map((summary) => summary.associationId)));
  });

  it('returns summaries without roleArn, as the real API does', async () => {
    // The SDK drops members its model lacks, so the wire body itself is checked here.
    const raw = await fetch(`${sim.url}/clusters/demo/pod-identity-associations`, {
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDSIMULATED/20260101/us-west-2/eks/aws4_request',
      },
    });
    const body = (await raw.json()) as { associations: Record<string, unknown>[] };
    assert.equal(body.associations.length, 7);
    assert.ok(body.associations.every((summary) => !('roleArn' in summary)));

    const { associations } = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'demo', maxResults: 1 }),
    );
    const summary = associations?.[0];
    assert.ok(summary);
    assert.deepEqual(Object.keys(summary).sort(), [
      'associationArn',
      'associationId',
      'clusterName',
      'namespace',
      'ownerArn',
      'serviceAccount',
    ]);
  });

  it('filters by namespace and by service account', async () => {
    const { associations: teamA } = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'demo', namespace: 'team-a' }),
    );
    assert.deepEqual(teamA?.map((summary) => summary.serviceAccount).sort(), [
      'api',
      'cron',
      'worker',
    ]);
    const { associations: one } = await eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: 'demo',
        namespace: 'team-b',
        serviceAccount: 'cron',
      }),
    );
    assert.deepEqual(
      one?.map((summary) => `${summary.namespace}/${summary.serviceAccount}`),
      ['team-b/cron'],
    );
  });

  it('rejects maxResults above 100', async () => {
    await expectAwsError(
      eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'demo', maxResults: 101 })),
      'InvalidParameterException',
      400,
    );
  });
});

describe('pod identity association limits and eventual consistency', () => {
  it('throws ResourceLimitExceededException at the associations-per-cluster quota', async () => {
    const { sim, eks } = await startEks(world('', 'quotas: {associationsPerCluster: 2}'));
    try {
      await create(eks, { namespace: 'default', serviceAccount: 'one', roleArn: role('app') });
      await expectAwsError(
        create(eks, { namespace: 'default', serviceAccount: 'two', roleArn: role('app') }),
        'ResourceLimitExceededException',
        400,
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('rejects a role IAM just created until EKS has seen it roleVisibleToEksAfterCalls times', async () => {
    const { sim, eks } = await startEks(world('behaviour: {roleVisibleToEksAfterCalls: 2}'));
    try {
      // What the IAM service does in CreateRole: mark the role as new to EKS.
      sim.state.count(`iam:created:${role('fresh')}`);
      await refusedTwiceThenCreated(
        eks,
        { namespace: 'default', serviceAccount: 'fresh', roleArn: role('fresh') },
        /^Role provided in the request does not exist$/,
      );

      // A role of the initial world is visible at once.
      const { association: seeded } = await create(eks, {
        namespace: 'default',
        serviceAccount: 'seeded',
        roleArn: role('app'),
      });
      assert.equal(seeded?.roleArn, role('app'));

      // Created again (a new generation), the role is new to EKS again.
      sim.state.count(`iam:created:${role('fresh')}`);
      await expectAwsError(
        create(eks, { namespace: 'other', serviceAccount: 'fresh', roleArn: role('fresh') }),
        'InvalidParameterException',
        400,
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });
});

describe('the role must trust pods.eks.amazonaws.com', () => {
  it('refuses create and update with a role that trusts only ec2.amazonaws.com', async () => {
    const { sim, eks } = await startEks(world());
    try {
      await expectAwsError(
        create(eks, { namespace: 'default', serviceAccount: 'web', roleArn: role('ec2only') }),
        'InvalidParameterException',
        400,
        /^Trust policy of the role provided is invalid$/,
      );
      const created = await create(eks, {
        namespace: 'default',
        serviceAccount: 'web',
        roleArn: role('app'),
      });
      await expectAwsError(
        eks.send(
          new UpdatePodIdentityAssociationCommand({
            clusterName: 'demo',
            associationId: created.association?.associationId,
            roleArn: role('ec2only'),
          }),
        ),
        'InvalidParameterException',
        400,
        /^Trust policy of the role provided is invalid$/,
      );
      assert.equal(
        sim.state.cluster('demo')?.podIdentityAssociations.find((a) => a.serviceAccount === 'web')
          ?.roleArn,
        role('app'),
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('sees a trust IAM just wrote only after trustVisibleToEksAfterCalls calls', async () => {
    const sim = await new Simulator(
      parseWorld(world('behaviour: {trustVisibleToEksAfterCalls: 2}')),
      [eksService, iamService],
    ).start();
    const settings = oneAttemptClients(sim);
    const eks = new EKSClient(settings);
    const iam = new IAMClient(settings);
    try {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'ec2only',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [PODS_STATEMENT] }),
        }),
      );
      await lateTrustSeenOnThirdCreate(eks);
    } finally {
      eks.destroy();
      iam.destroy();
      await sim.close();
    }
  });

  it('sees a trust CloudFormation just wrote (a stack update) only after trustVisibleToEksAfterCalls calls', async () => {
    const stack = 'eksctl-demo-addon-iamserviceaccount-default-late';
    const sim = await new Simulator(
      parseWorld(
        `${world('behaviour: {trustVisibleToEksAfterCalls: 2, stackDescribesUntilSettled: 1}')}\nstacks: [{name: ${stack}, roles: [ec2only]}]\n`,
      ),
      [eksService, iamService, cloudFormationService],
    ).start();
    const settings = oneAttemptClients(sim);
    const eks = new EKSClient(settings);
    const cfn = new CloudFormationClient(settings);
    try {
      const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: stack }));
      const body = JSON.parse(TemplateBody ?? '{}');
      body.Resources.Role1.Properties.AssumeRolePolicyDocument.Statement.push(PODS_STATEMENT);
      const { Id } = await cfn.send(
        new CreateChangeSetCommand({
          StackName: stack,
          ChangeSetName: 'pods',
          TemplateBody: JSON.stringify(body),
          Capabilities: ['CAPABILITY_IAM'],
        }),
      );
      await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id }));
      await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));
      await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      assert.equal(Stacks?.[0]?.StackStatus, 'UPDATE_COMPLETE');
      await lateTrustSeenOnThirdCreate(eks);
    } finally {
      eks.destroy();
      cfn.destroy();
      await sim.close();
    }
  });
});
