import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AssociateAccessPolicyCommand,
  type AssociatedAccessPolicy,
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  type EKSClient,
  ListAssociatedAccessPoliciesCommand,
  paginateListAssociatedAccessPolicies,
} from '@aws-sdk/client-eks';
import type { Simulator } from '../../../local/simulator/server.ts';
import { expectAwsError, startEks } from './eks-helpers.ts';

const ACCOUNT = '111122223333';
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/admins/platform-admin`;
const policy = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;

const WORLD = `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    authenticationMode: API_AND_CONFIG_MAP
  - name: legacy
    authenticationMode: CONFIG_MAP
roles:
  - {name: automation, assumeRolePolicyDocument: {}}
  - {name: platform-admin, path: /admins/, assumeRolePolicyDocument: {}}
  - {name: masters, assumeRolePolicyDocument: {}}
`;

describe('simulated EKS access entries through the real SDK', () => {
  let sim: Simulator;
  let eks: EKSClient;

  before(async () => {
    ({ sim, eks } = await startEks(WORLD));
  });

  after(async () => {
    eks.destroy();
    await sim.close();
  });

  it('creates and describes an access entry for a role with a path', async () => {
    const { accessEntry } = await eks.send(
      new CreateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: ADMIN,
        tags: { owner: 'platform' },
      }),
    );
    assert.equal(accessEntry?.principalArn, ADMIN);
    assert.equal(accessEntry?.type, 'STANDARD');
    assert.equal(
      accessEntry?.username,
      `arn:aws:sts::${ACCOUNT}:assumed-role/platform-admin/{{SessionName}}`,
    );
    assert.match(
      accessEntry?.accessEntryArn ?? '',
      /^arn:aws:eks:us-west-2:111122223333:access-entry\/demo\/role\/111122223333\/platform-admin\/[0-9a-f-]{36}$/,
    );
    assert.ok(accessEntry?.createdAt instanceof Date);
    const described = await eks.send(
      new DescribeAccessEntryCommand({ clusterName: 'demo', principalArn: ADMIN }),
    );
    assert.deepEqual(described.accessEntry, accessEntry);
  });

  it('refuses a second entry for the same principal with 409', async () => {
    await expectAwsError(
      eks.send(new CreateAccessEntryCommand({ clusterName: 'demo', principalArn: ADMIN })),
      'ResourceInUseException',
      409,
    );
  });

  it('rejects kubernetes groups under system: and an unknown principal', async () => {
    await expectAwsError(
      eks.send(
        new CreateAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/masters`,
          kubernetesGroups: ['system:masters'],
        }),
      ),
      'InvalidParameterException',
      400,
      /system:masters/,
    );
    await expectAwsError(
      eks.send(
        new DescribeAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/nobody`,
        }),
      ),
      'ResourceNotFoundException',
      404,
      /principalArn could not be found/,
    );
    // A role IAM does not have cannot get an entry.
    await expectAwsError(
      eks.send(
        new CreateAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/nobody`,
        }),
      ),
      'InvalidParameterException',
      400,
      /principalArn is invalid: invalid principal/,
    );
  });

  it('associates cluster- and namespace-scoped policies and writes them into the world', async () => {
    const cluster = await eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: ADMIN,
        policyArn: policy('AmazonEKSClusterAdminPolicy'),
        accessScope: { type: 'cluster' },
      }),
    );
    assert.equal(cluster.principalArn, ADMIN);
    assert.equal(cluster.associatedAccessPolicy?.accessScope?.type, 'cluster');
    assert.ok(cluster.associatedAccessPolicy?.associatedAt instanceof Date);
    const namespaced = await eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: ADMIN,
        policyArn: policy('AmazonEKSEditPolicy'),
        accessScope: { type: 'namespace', namespaces: ['team-a'] },
      }),
    );
    assert.deepEqual(namespaced.associatedAccessPolicy?.accessScope, {
      type: 'namespace',
      namespaces: ['team-a'],
    });

    // Associating the same policy again replaces its scope.
    await eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: ADMIN,
        policyArn: policy('AmazonEKSEditPolicy'),
        accessScope: { type: 'namespace', namespaces: ['team-a', 'team-b'] },
      }),
    );
    const entry = sim
      .dump()
      .clusters[0]?.accessEntries.find((candidate) => candidate.principalArn === ADMIN);
    assert.deepEqual(entry?.policies, [
      { policyArn: policy('AmazonEKSClusterAdminPolicy'), scope: 'cluster' },
      { policyArn: policy('AmazonEKSEditPolicy'), scope: { namespaces: ['team-a', 'team-b'] } },
    ]);
  });

  it('rejects an unknown access policy and a scope that contradicts its namespaces', async () => {
    await expectAwsError(
      eks.send(
        new AssociateAccessPolicyCommand({
          clusterName: 'demo',
          principalArn: ADMIN,
          policyArn: policy('AmazonEKSMadeUpPolicy'),
          accessScope: { type: 'cluster' },
        }),
      ),
      'InvalidParameterException',
      400,
    );
    await expectAwsError(
      eks.send(
        new AssociateAccessPolicyCommand({
          clusterName: 'demo',
          principalArn: ADMIN,
          policyArn: policy('AmazonEKSViewPolicy'),
          accessScope: { type: 'namespace' },
        }),
      ),
      'InvalidParameterException',
      400,
    );
  });

  it('pages ListAssociatedAccessPolicies across three pages whose union is every policy once', async () => {
    for (const name of [
      'AmazonEKSAdminPolicy',
      'AmazonEKSViewPolicy',
      'AmazonEKSAdminViewPolicy',
    ]) {
      await eks.send(
        new AssociateAccessPolicyCommand({
          clusterName: 'demo',
          principalArn: ADMIN,
          policyArn: policy(name),
          accessScope: { type: 'cluster' },
        }),
      );
    }
    const pages: AssociatedAccessPolicy[][] = [];
    const paginator = paginateListAssociatedAccessPolicies(
      { client: eks, pageSize: 2 },
      { clusterName: 'demo', principalArn: ADMIN },
    );
    for await (const page of paginator) {
      assert.equal(page.principalArn, ADMIN);
      pages.push(page.associatedAccessPolicies ?? []);
    }
    assert.equal(pages.length, 3);
    const arns = pages.flat().map((entry) => entry.policyArn);
    assert.equal(new Set(arns).size, 5);
    const { associatedAccessPolicies: all } = await eks.send(
      new ListAssociatedAccessPoliciesCommand({ clusterName: 'demo', principalArn: ADMIN }),
    );
    assert.deepEqual(new Set(arns), new Set(all?.map((entry) => entry.policyArn)));
  });

  it('rejects access entries on a CONFIG_MAP cluster with InvalidRequestException', async () => {
    await expectAwsError(
      eks.send(new CreateAccessEntryCommand({ clusterName: 'legacy', principalArn: ADMIN })),
      'InvalidRequestException',
      400,
      /authentication mode must be set to one of \[API, API_AND_CONFIG_MAP\]/,
    );
    await expectAwsError(
      eks.send(
        new ListAssociatedAccessPoliciesCommand({ clusterName: 'legacy', principalArn: ADMIN }),
      ),
      'InvalidRequestException',
      400,
    );
    assert.deepEqual(sim.dump().clusters[1]?.accessEntries, []);
  });
});
