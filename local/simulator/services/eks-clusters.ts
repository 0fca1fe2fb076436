/**
 * DescribeCluster and ListClusters. A CREATING cluster turns ACTIVE after its world's
 * `activeAfterDescribes` DescribeCluster calls, counted rather than timed so runs are fast and
 * deterministic; the new status is written into the world so it shows in the dump.
 */
import { createHash } from 'node:crypto';
import type { SimulatorState } from '../state.ts';
import type { WorldCluster } from '../world.ts';
import {
  clusterRoute,
  decodePage,
  epochSeconds,
  paginate,
  route,
  routes,
  stableUuid,
  timestampsOf,
} from './eks-shared.ts';

/** Counter of DescribeCluster calls that saw a cluster while it was CREATING. */
export function clusterDescribesKey(clusterName: string): string {
  return `eks:cluster-describes:${clusterName}`;
}

/**
 * The first `activeAfterDescribes` describes still see CREATING; the next one sees ACTIVE.
 * Counting only while CREATING keeps a cluster that is ACTIVE from the start unaffected.
 */
function advanceStatus(state: SimulatorState, cluster: WorldCluster): void {
  if (cluster.status !== 'CREATING') return;
  const seen = state.count(clusterDescribesKey(cluster.name));
  if (seen > cluster.activeAfterDescribes) cluster.status = 'ACTIVE';
}

function certificateAuthorityData(cluster: WorldCluster): string {
  const body = createHash('sha512')
    .update(`certificate-authority/${cluster.name}`)
    .digest('base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.slice(0, 64)}\n${body.slice(64)}\n-----END CERTIFICATE-----\n`;
  return Buffer.from(pem, 'utf8').toString('base64');
}

function renderCluster(
  state: SimulatorState,
  cluster: WorldCluster,
  baseUrl: string,
): Record<string, unknown> {
  const account = state.account;
  const iam = `arn:${state.partition}:iam::${account}`;
  const vpcSeed = createHash('sha256').update(`vpc/${cluster.name}`).digest('hex');
  return {
    name: cluster.name,
    arn: state.clusterArn(cluster),
    id: stableUuid(`cluster/${cluster.name}`),
    createdAt: epochSeconds(timestampsOf(cluster).createdAt),
    version: cluster.version,
    // A cluster still CREATING has no API server yet: EKS returns neither endpoint nor CA.
    ...(cluster.status === 'CREATING'
      ? {}
      : {
          endpoint: `${baseUrl}/k8s/${encodeURIComponent(cluster.name)}`,
          certificateAuthority: { data: certificateAuthorityData(cluster) },
        }),
    roleArn: `${iam}:role/eksctl-${cluster.name}-cluster-ServiceRole`,
    status: cluster.status,
    platformVersion: 'eks.20',
    ...(cluster.oidcIssuer === undefined
      ? {}
      : { identity: { oidc: { issuer: cluster.oidcIssuer } } }),
    resourcesVpcConfig: {
      vpcId: `vpc-${vpcSeed.slice(0, 17)}`,
      subnetIds: [`subnet-${vpcSeed.slice(17, 34)}`, `subnet-${vpcSeed.slice(34, 51)}`],
      securityGroupIds: [],
      clusterSecurityGroupId: `sg-${vpcSeed.slice(51, 64)}`,
      endpointPublicAccess: cluster.endpointPublic,
      endpointPrivateAccess: !cluster.endpointPublic,
      publicAccessCidrs: cluster.endpointPublic ? ['0.0.0.0/0'] : [],
    },
    kubernetesNetworkConfig: {
      serviceIpv4Cidr: '10.100.0.0/16',
      ipFamily: 'ipv4',
      elasticLoadBalancing: { enabled: cluster.autoMode },
    },
    accessConfig: {
      authenticationMode: cluster.authenticationMode,
      bootstrapClusterCreatorAdminPermissions: true,
    },
    computeConfig: cluster.autoMode
      ? {
          enabled: true,
          nodePools: ['general-purpose', 'system'],
          nodeRoleArn: `${iam}:role/eksctl-${cluster.name}-AutoModeNodeRole`,
        }
      : { enabled: false },
    storageConfig: { blockStorage: { enabled: cluster.autoMode } },
    upgradePolicy: { supportType: 'STANDARD' },
    health: { issues: [] },
    tags: cluster.tags,
  };
}

export const clusterRoutes = routes({
  DescribeCluster: clusterRoute({
    http: 'GET /clusters/:clusterName',
    decode: () => undefined,
    run: (_input, cluster, { state, baseUrl }) => {
      advanceStatus(state, cluster);
      return { cluster: renderCluster(state, cluster, baseUrl) };
    },
  }),
  ListClusters: route({
    http: 'GET /clusters',
    decode: (request) => decodePage(request),
    run: (page, { state }) => {
      const result = paginate(
        state.world.clusters.map((cluster) => cluster.name),
        (name) => name,
        page,
      );
      return { clusters: result.items, nextToken: result.nextToken };
    },
  }),
});
