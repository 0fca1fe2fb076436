/**
 * The add-on catalogue: which add-on versions exist, for which Kubernetes versions, which one is
 * the default, and which service accounts take a pod identity association. A world may bring its
 * own (`addonVersions`); otherwise the built-in one below answers, shaped like the world field.
 */
import type { SimulatorState } from '../state.ts';
import type { WorldAddonVersion } from '../world.ts';
import {
  decodePage,
  invalidParameter,
  paginate,
  queryList,
  queryString,
  route,
  routes,
} from './eks-shared.ts';

const KUBERNETES_VERSIONS = ['1.29', '1.30', '1.31', '1.32', '1.33'];

const CNI_POLICY = 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy';
const EBS_CSI_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy';
const EFS_CSI_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy';
const CLOUDWATCH_AGENT_POLICY = 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy';
const XRAY_WRITE_POLICY = 'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess';
const PROMETHEUS_WRITE_POLICY = 'arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess';

function release(
  addonName: string,
  addonVersion: string,
  isDefault: boolean,
  podIdentityServiceAccounts: WorldAddonVersion['podIdentityServiceAccounts'] = [],
  kubernetesVersions: string[] = KUBERNETES_VERSIONS,
): WorldAddonVersion {
  return {
    addonName,
    addonVersion,
    kubernetesVersions,
    defaultFor: isDefault ? kubernetesVersions : [],
    podIdentityServiceAccounts,
  };
}

const cniAccount = [{ serviceAccount: 'aws-node', recommendedManagedPolicies: [CNI_POLICY] }];
const ebsAccount = [
  { serviceAccount: 'ebs-csi-controller-sa', recommendedManagedPolicies: [EBS_CSI_POLICY] },
];
const efsAccount = [
  { serviceAccount: 'efs-csi-controller-sa', recommendedManagedPolicies: [EFS_CSI_POLICY] },
];
/** ADOT's three collectors, each with the policy of what it writes. */
const adotAccounts = [
  {
    serviceAccount: 'adot-col-prom-metrics',
    recommendedManagedPolicies: [PROMETHEUS_WRITE_POLICY],
  },
  { serviceAccount: 'adot-col-otlp-ingest', recommendedManagedPolicies: [XRAY_WRITE_POLICY] },
  {
    serviceAccount: 'adot-col-container-logs',
    recommendedManagedPolicies: [CLOUDWATCH_AGENT_POLICY],
  },
];
const cloudwatchAccount = [
  {
    serviceAccount: 'cloudwatch-agent',
    recommendedManagedPolicies: [CLOUDWATCH_AGENT_POLICY, XRAY_WRITE_POLICY],
  },
];

/**
 * Newest first within an add-on, as EKS lists them. kube-proxy ships one build per Kubernetes
 * minor. The oldest build of each IAM-using add-on predates its pod identity support: EKS answers
 * DescribeAddonConfiguration for it without podIdentityConfiguration (what eksctl #7752 tripped on).
 */
export const BUILT_IN_CATALOGUE: readonly WorldAddonVersion[] = [
  release('eks-pod-identity-agent', 'v1.3.4-eksbuild.1', true),
  release('eks-pod-identity-agent', 'v1.3.2-eksbuild.2', false),
  release('vpc-cni', 'v1.19.2-eksbuild.1', true, cniAccount),
  release('vpc-cni', 'v1.18.0-eksbuild.1', false, cniAccount),
  release('vpc-cni', 'v1.14.1-eksbuild.1', false),
  release('coredns', 'v1.11.4-eksbuild.2', true),
  release('coredns', 'v1.11.3-eksbuild.1', false),
  release('kube-proxy', 'v1.33.0-eksbuild.2', true, [], ['1.33']),
  release('kube-proxy', 'v1.32.0-eksbuild.2', true, [], ['1.32']),
  release('kube-proxy', 'v1.31.3-eksbuild.2', true, [], ['1.31']),
  release('kube-proxy', 'v1.30.6-eksbuild.3', true, [], ['1.30']),
  release('kube-proxy', 'v1.29.10-eksbuild.3', true, [], ['1.29']),
  release('aws-ebs-csi-driver', 'v1.38.1-eksbuild.2', true, ebsAccount),
  release('aws-ebs-csi-driver', 'v1.37.0-eksbuild.1', false, ebsAccount),
  release('aws-ebs-csi-driver', 'v1.25.0-eksbuild.1', false),
  release('aws-efs-csi-driver', 'v2.1.4-eksbuild.1', true, efsAccount),
  release('aws-efs-csi-driver', 'v1.7.7-eksbuild.1', false),
  release('adot', 'v0.109.0-eksbuild.2', true, adotAccounts),
  release('adot', 'v0.92.1-eksbuild.1', false),
  release('amazon-cloudwatch-observability', 'v2.6.0-eksbuild.1', true, cloudwatchAccount),
  release('amazon-cloudwatch-observability', 'v1.5.1-eksbuild.1', false),
];

const ADDON_TYPES: Record<string, string> = {
  'eks-pod-identity-agent': 'security',
  'vpc-cni': 'networking',
  coredns: 'networking',
  'kube-proxy': 'networking',
  'aws-ebs-csi-driver': 'storage',
  'aws-efs-csi-driver': 'storage',
  adot: 'observability',
  'amazon-cloudwatch-observability': 'observability',
};

/** Namespace EKS installs most add-ons into unless CreateAddon's namespaceConfig says otherwise. */
export const DEFAULT_ADDON_NAMESPACE = 'kube-system';

/** The add-ons EKS installs elsewhere by default (their `defaultNamespace`). */
const DEFAULT_NAMESPACES: Readonly<Record<string, string>> = {
  adot: 'opentelemetry-operator-system',
  'amazon-cloudwatch-observability': 'amazon-cloudwatch',
};

export function defaultAddonNamespace(addonName: string): string {
  return DEFAULT_NAMESPACES[addonName] ?? DEFAULT_ADDON_NAMESPACE;
}

export function addonCatalogue(state: SimulatorState): readonly WorldAddonVersion[] {
  return state.world.addonVersions ?? BUILT_IN_CATALOGUE;
}

/**
 * The catalogue entry CreateAddon/UpdateAddon install: the requested version, or the default for
 * the cluster's Kubernetes version. Anything not in the catalogue is an InvalidParameterException.
 */
export function resolveAddonVersion(
  state: SimulatorState,
  addonName: string,
  requestedVersion: string | undefined,
  kubernetesVersion: string,
): WorldAddonVersion {
  const compatible = addonCatalogue(state).filter(
    (entry) =>
      entry.addonName === addonName && entry.kubernetesVersions.includes(kubernetesVersion),
  );
  if (compatible.length === 0) {
    throw invalidParameter(
      `Addon ${addonName} specified is not supported in ${kubernetesVersion} kubernetes version`,
    );
  }
  if (requestedVersion === undefined) {
    const chosen =
      compatible.find((entry) => entry.defaultFor.includes(kubernetesVersion)) ?? compatible[0];
    if (chosen) return chosen;
  }
  const exact = compatible.find((entry) => entry.addonVersion === requestedVersion);
  if (!exact) {
    throw invalidParameter(
      `Addon version ${requestedVersion} specified is not supported for ${addonName} in ${kubernetesVersion} kubernetes version`,
    );
  }
  return exact;
}

function addonInfo(
  name: string,
  entries: WorldAddonVersion[],
  kubernetesVersion: string | undefined,
) {
  return {
    addonName: name,
    type: ADDON_TYPES[name] ?? 'other',
    owner: 'aws',
    publisher: 'eks',
    defaultNamespace: defaultAddonNamespace(name),
    addonVersions: entries.map((entry) => ({
      addonVersion: entry.addonVersion,
      architecture: ['amd64', 'arm64'],
      computeTypes: ['ec2'],
      compatibilities: entry.kubernetesVersions
        .filter((version) => kubernetesVersion === undefined || version === kubernetesVersion)
        .map((version) => ({
          clusterVersion: version,
          platformVersions: ['*'],
          defaultVersion: entry.defaultFor.includes(version),
        })),
      requiresConfiguration: false,
      requiresIamPermissions: entry.podIdentityServiceAccounts.length > 0,
    })),
  };
}

const CONFIGURATION_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: true,
  properties: {},
});

export const catalogueRoutes = routes({
  DescribeAddonVersions: route({
    http: 'GET /addons/supported-versions',
    decode: (request) => ({
      page: decodePage(request),
      kubernetesVersion: queryString(request, 'kubernetesVersion'),
      addonName: queryString(request, 'addonName'),
      types: queryList(request, 'types'),
      publishers: queryList(request, 'publishers'),
      owners: queryList(request, 'owners'),
    }),
    run: (input, { state }) => {
      const byName = new Map<string, WorldAddonVersion[]>();
      for (const entry of addonCatalogue(state)) {
        if (input.addonName !== undefined && entry.addonName !== input.addonName) continue;
        if (
          input.kubernetesVersion !== undefined &&
          !entry.kubernetesVersions.includes(input.kubernetesVersion)
        ) {
          continue;
        }
        byName.set(entry.addonName, [...(byName.get(entry.addonName) ?? []), entry]);
      }
      const infos = [...byName.entries()]
        .map(([name, entries]) => addonInfo(name, entries, input.kubernetesVersion))
        .filter(
          (info) =>
            (input.types.length === 0 || input.types.includes(info.type)) &&
            (input.publishers.length === 0 || input.publishers.includes(info.publisher)) &&
            (input.owners.length === 0 || input.owners.includes(info.owner)),
        );
      const result = paginate(infos, (info) => info.addonName, input.page);
      return { addons: result.items, nextToken: result.nextToken };
    },
  }),
  DescribeAddonConfiguration: route({
    http: 'GET /addons/configuration-schemas',
    decode: (request) => {
      const addonName = queryString(request, 'addonName');
      const addonVersion = queryString(request, 'addonVersion');
      if (!addonName || !addonVersion)
        throw invalidParameter('addonName and addonVersion are required');
      return { addonName, addonVersion };
    },
    run: ({ addonName, addonVersion }, { state }) => {
      const entry = addonCatalogue(state).find(
        (candidate) => candidate.addonName === addonName && candidate.addonVersion === addonVersion,
      );
      if (!entry)
        throw invalidParameter(`Addon ${addonName} with version ${addonVersion} is not supported`);
      return {
        addonName,
        addonVersion,
        configurationSchema: CONFIGURATION_SCHEMA,
        podIdentityConfiguration: entry.podIdentityServiceAccounts,
      };
    },
  }),
});
