import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeClusterCommand,
  type EKSClient,
  ListClustersCommand,
  paginateListClusters,
} from '@aws-sdk/client-eks';
import type { Simulator } from '../../../local/simulator/server.ts';
import { expectAwsError, startEks } from './eks-helpers.ts';

const WORLD = `
account: "111122223333"
region: us-west-2
caller: arn:aws:iam::111122223333:role/automation
clusters:
  - name: demo
    version: "1.31"
    oidcIssuer: https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1
    authenticationMode: API
    tags: {team: platform}
  - name: auto
    autoMode: true
    endpointPublic: false
  - name: booting
    status: CREATING
    activeAfterDescribes: 2
  - name: alpha
  - name: omega
`;

describe('simulated EKS clusters through the real SDK', () => {
  let sim: Simulator;
  let eks: EKSClient;

  before(async () => {
    ({ sim, eks } = await startEks(WORLD));
  });

  after(async () => {
    eks.destroy();
    await sim.close();
  });

  it('describes a cluster with the fields the workflows read', async () => {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'demo' }));
    assert.ok(cluster);
    assert.equal(cluster.name, 'demo');
    assert.equal(cluster.arn, 'arn:aws:eks:us-west-2:111122223333:cluster/demo');
    assert.equal(cluster.status, 'ACTIVE');
    assert.equal(cluster.version, '1.31');
    assert.equal(cluster.endpoint, `${sim.url}/k8s/demo`);
    assert.equal(
      cluster.identity?.oidc?.issuer,
      'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1',
    );
    assert.equal(cluster.accessConfig?.authenticationMode, 'API');
    assert.equal(cluster.computeConfig?.enabled, false);
    assert.equal(cluster.resourcesVpcConfig?.endpointPublicAccess, true);
    assert.deepEqual(cluster.tags, { team: 'platform' });
    assert.ok(cluster.createdAt instanceof Date, 'epoch seconds are parsed into a Date');
    assert.match(cluster.platformVersion ?? '', /^eks\.\d+$/);
    const pem = Buffer.from(cluster.certificateAuthority?.data ?? '', 'base64').toString('utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
  });

  it('reports Auto Mode, a private endpoint and no OIDC issuer when the world says so', async () => {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'auto' }));
    assert.equal(cluster?.computeConfig?.enabled, true);
    assert.equal(cluster?.resourcesVpcConfig?.endpointPublicAccess, false);
    assert.equal(cluster?.resourcesVpcConfig?.endpointPrivateAccess, true);
    assert.equal(cluster?.identity, undefined);
  });

  it('answers an unknown cluster with EKS own ResourceNotFoundException text', async () => {
    await expectAwsError(
      eks.send(new DescribeClusterCommand({ name: 'missing' })),
      'ResourceNotFoundException',
      404,
      /^No cluster found for name: missing\.$/,
    );
  });

  it('turns a CREATING cluster ACTIVE after activeAfterDescribes describes and writes it to the world', async () => {
    const statuses: (string | undefined)[] = [];
    const endpoints: boolean[] = [];
    for (let call = 0; call < 4; call += 1) {
      const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'booting' }));
      statuses.push(cluster?.status);
      endpoints.push(cluster?.endpoint !== undefined && cluster.certificateAuthority !== undefined);
    }
    assert.deepEqual(statuses, ['CREATING', 'CREATING', 'ACTIVE', 'ACTIVE']);
    // No API server while CREATING: no endpoint, no certificate authority.
    assert.deepEqual(endpoints, [false, false, true, true]);
    assert.equal(
      sim.dump().clusters.find((cluster) => cluster.name === 'booting')?.status,
      'ACTIVE',
    );
  });

  it('pages ListClusters across three pages whose union is every cluster once', async () => {
    const pages: string[][] = [];
    for await (const page of paginateListClusters({ client: eks, pageSize: 2 }, {})) {
      pages.push(page.clusters ?? []);
    }
    assert.equal(pages.length, 3);
    assert.deepEqual(
      pages.map((page) => page.length),
      [2, 2, 1],
    );
    const all = pages.flat();
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual([...all].sort(), ['alpha', 'auto', 'booting', 'demo', 'omega']);
  });

  it('rejects a page size outside 1-100 and a forged nextToken', async () => {
    await expectAwsError(
      eks.send(new ListClustersCommand({ maxResults: 101 })),
      'InvalidParameterException',
      400,
    );
    await expectAwsError(
      eks.send(new ListClustersCommand({ nextToken: 'not-a-token' })),
      'InvalidParameterException',
      400,
    );
  });
});
