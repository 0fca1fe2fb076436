/**
 * eksctl's `wellKnownPolicies`: each flag expands to AWS managed policies and/or inline
 * policies, with ARNs in the partition of the cluster's region. The statements are eksctl's
 * (pkg/cfn/builder/iam_helper.go, statement.go), restated from the behavioural spec §7.
 */
import { NamedError } from './errors.ts';
import type { PolicyDocument, PolicyStatement } from './policy-document.ts';

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/** A region name that is malformed or belongs to a partition this service does not serve. */
export class UnsupportedRegionError extends NamedError {
  override readonly name = 'UnsupportedRegionError';
}

/** A partition outside {@link PARTITIONS} reached code typed for one of them. */
export class UnsupportedPartitionError extends NamedError {
  override readonly name = 'UnsupportedPartitionError';
}

/** Region codes such as us-west-2, us-gov-east-1, cn-northwest-1, ap-southeast-5. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function isRegionName(value: string): boolean {
  return REGION_PATTERN.test(value);
}

/**
 * The partition a region belongs to: `cn-*` → aws-cn, `us-gov-*` → aws-us-gov, other regions →
 * aws. The isolated partitions (`us-iso-*`, `us-isob-*`, `eu-isoe-*`, ...) are rejected rather
 * than mapped to aws, because their ARNs would be wrong there.
 */
export function partitionForRegion(region: string): Partition {
  if (!isRegionName(region)) {
    throw new UnsupportedRegionError(`"${region}" is not an AWS region name (like us-west-2)`);
  }
  if (/^[a-z]{2}-iso[a-z]?-/.test(region)) {
    throw new UnsupportedRegionError(
      `region ${region} is in an isolated AWS partition, which is not supported (only aws, aws-cn and aws-us-gov)`,
    );
  }
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The flags in eksctl's table order, which is also the order of the expansion. */
export const WELL_KNOWN_POLICY_KEYS = [
  'imageBuilder',
  'autoScaler',
  'awsLoadBalancerController',
  'externalDNS',
  'certManager',
  'ebsCSIController',
  'efsCSIController',
] as const;
export type WellKnownPolicyKey = (typeof WELL_KNOWN_POLICY_KEYS)[number];
export type WellKnownPolicyFlags = Partial<Record<WellKnownPolicyKey, boolean | undefined>>;

export interface InlinePolicy {
  /** eksctl's logical ID / policy name suffix, e.g. `PolicyAutoScaling`. */
  name: string;
  document: PolicyDocument;
}

export interface WellKnownPolicyExpansion {
  managedPolicyArns: string[];
  inlinePolicies: InlinePolicy[];
}

interface Expansion {
  managedPolicies: readonly string[];
  inlinePolicies: (partition: Partition) => InlinePolicy[];
}

function allow(
  action: string[],
  resource: string | string[],
  condition?: PolicyStatement['Condition'],
): PolicyStatement {
  return condition === undefined
    ? { Effect: 'Allow', Action: action, Resource: resource }
    : { Effect: 'Allow', Action: action, Resource: resource, Condition: condition };
}

function policy(name: string, statements: PolicyStatement[]): InlinePolicy {
  return { name, document: { Version: '2012-10-17', Statement: statements } };
}

const prefixed = (service: string, actions: readonly string[]): string[] =>
  actions.map((action) => `${service}:${action}`);

function autoScalerPolicies(): InlinePolicy[] {
  return [
    policy('PolicyAutoScaling', [
      allow(
        [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
        ],
        '*',
      ),
      allow(
        [
          'autoscaling:SetDesiredCapacity',
          'autoscaling:TerminateInstanceInAutoScalingGroup',
          'ec2:DescribeImages',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        '*',
      ),
    ]),
  ];
}

const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';
const REQUEST_TAG_PRESENT = { [`aws:RequestTag/${CLUSTER_TAG}`]: 'false' };
const RESOURCE_TAG_PRESENT = { [`aws:ResourceTag/${CLUSTER_TAG}`]: 'false' };
const ONLY_RESOURCE_TAG_PRESENT = {
  [`aws:RequestTag/${CLUSTER_TAG}`]: 'true',
  [`aws:ResourceTag/${CLUSTER_TAG}`]: 'false',
};

function loadBalancerControllerPolicies(partition: Partition): InlinePolicy[] {
  const elb = `arn:${partition}:elasticloadbalancing:*:*`;
  const securityGroups = `arn:${partition}:ec2:*:*:security-group/*`;
  const taggableLoadBalancers = [
    `${elb}:targetgroup/*/*`,
    `${elb}:loadbalancer/net/*/*`,
    `${elb}:loadbalancer/app/*/*`,
  ];
  return [
    policy('PolicyAWSLoadBalancerController', [
      allow(['iam:CreateServiceLinkedRole'], '*', {
        StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' },
      }),
      allow(
        [
          ...prefixed('ec2', [
            'DescribeAccountAttributes',
            'DescribeAddresses',
            'DescribeAvailabilityZones',
            'DescribeInternetGateways',
            'DescribeVpcs',
            'DescribeVpcPeeringConnections',
            'DescribeSubnets',
            'DescribeSecurityGroups',
            'DescribeInstances',
            'DescribeNetworkInterfaces',
            'DescribeTags',
            'GetCoipPoolUsage',
            'DescribeCoipPools',
            'GetSecurityGroupsForVpc',
            'DescribeIpamPools',
            'DescribeRouteTables',
          ]),
          ...prefixed('elasticloadbalancing', [
            'DescribeLoadBalancers',
            'DescribeLoadBalancerAttributes',
            'DescribeListeners',
            'DescribeListenerCertificates',
            'DescribeSSLPolicies',
            'DescribeRules',
            'DescribeTargetGroups',
            'DescribeTargetGroupAttributes',
            'DescribeTargetHealth',
            'DescribeTags',
            'DescribeTrustStores',
            'DescribeListenerAttributes',
            'DescribeCapacityReservation',
          ]),
        ],
        '*',
      ),
      allow(
        [
          'cognito-idp:DescribeUserPoolClient',
          'acm:ListCertificates',
          'acm:DescribeCertificate',
          'iam:ListServerCertificates',
          'iam:GetServerCertificate',
          ...prefixed('waf-regional', [
            'GetWebACL',
            'GetWebACLForResource',
            'AssociateWebACL',
            'DisassociateWebACL',
          ]),
          ...prefixed('wafv2', [
            'GetWebACL',
            'GetWebACLForResource',
            'AssociateWebACL',
            'DisassociateWebACL',
          ]),
          ...prefixed('shield', [
            'GetSubscriptionState',
            'DescribeProtection',
            'CreateProtection',
            'DeleteProtection',
          ]),
        ],
        '*',
      ),
      allow(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], '*'),
      allow(['ec2:CreateSecurityGroup'], '*'),
      allow(['ec2:CreateTags'], securityGroups, {
        StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
        Null: { ...REQUEST_TAG_PRESENT },
      }),
      allow(['ec2:CreateTags', 'ec2:DeleteTags'], securityGroups, {
        Null: { ...ONLY_RESOURCE_TAG_PRESENT },
      }),
      allow(
        [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:DeleteSecurityGroup',
        ],
        '*',
        { Null: { ...RESOURCE_TAG_PRESENT } },
      ),
      allow(prefixed('elasticloadbalancing', ['CreateLoadBalancer', 'CreateTargetGroup']), '*', {
        Null: { ...REQUEST_TAG_PRESENT },
      }),
      allow(
        prefixed('elasticloadbalancing', [
          'CreateListener',
          'DeleteListener',
          'CreateRule',
          'DeleteRule',
        ]),
        '*',
      ),
      allow(prefixed('elasticloadbalancing', ['AddTags', 'RemoveTags']), taggableLoadBalancers, {
        Null: { ...ONLY_RESOURCE_TAG_PRESENT },
      }),
      allow(prefixed('elasticloadbalancing', ['AddTags', 'RemoveTags']), [
        `${elb}:listener/net/*/*/*`,
        `${elb}:listener/app/*/*/*`,
        `${elb}:listener-rule/net/*/*/*`,
        `${elb}:listener-rule/app/*/*/*`,
      ]),
      allow(
        prefixed('elasticloadbalancing', [
          'ModifyLoadBalancerAttributes',
          'SetIpAddressType',
          'SetSecurityGroups',
          'SetSubnets',
          'DeleteLoadBalancer',
          'ModifyTargetGroup',
          'ModifyTargetGroupAttributes',
          'DeleteTargetGroup',
          'ModifyListenerAttributes',
          'ModifyCapacityReservation',
          'ModifyIpPools',
        ]),
        '*',
        { Null: { ...RESOURCE_TAG_PRESENT } },
      ),
      allow(['elasticloadbalancing:AddTags'], [...taggableLoadBalancers], {
        StringEquals: {
          'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'],
        },
        Null: { ...REQUEST_TAG_PRESENT },
      }),
      allow(
        prefixed('elasticloadbalancing', ['RegisterTargets', 'DeregisterTargets']),
        `${elb}:targetgroup/*/*`,
      ),
      allow(
        prefixed('elasticloadbalancing', [
          'SetWebAcl',
          'ModifyListener',
          'AddListenerCertificates',
          'RemoveListenerCertificates',
          'ModifyRule',
          'SetRulePriorities',
        ]),
        '*',
      ),
    ]),
  ];
}

function route53ChangeSet(partition: Partition): PolicyStatement {
  return allow(['route53:ChangeResourceRecordSets'], `arn:${partition}:route53:::hostedzone/*`);
}

function externalDNSPolicies(partition: Partition): InlinePolicy[] {
  return [
    policy('PolicyExternalDNSChangeSet', [route53ChangeSet(partition)]),
    policy('PolicyExternalDNSHostedZones', [
      allow(
        [
          'route53:ListHostedZones',
          'route53:ListResourceRecordSets',
          'route53:ListTagsForResource',
        ],
        '*',
      ),
    ]),
  ];
}

function certManagerPolicies(partition: Partition): InlinePolicy[] {
  return [
    policy('PolicyCertManagerChangeSet', [route53ChangeSet(partition)]),
    policy('PolicyCertManagerGetChange', [
      allow(['route53:GetChange'], `arn:${partition}:route53:::change/*`),
    ]),
    policy('PolicyCertManagerHostedZones', [
      allow(['route53:ListResourceRecordSets', 'route53:ListHostedZonesByName'], '*'),
    ]),
  ];
}

function efsCSIControllerPolicies(): InlinePolicy[] {
  const requestTagged = { StringLike: { 'aws:RequestTag/efs.csi.aws.com/cluster': 'true' } };
  return [
    policy('PolicyEFSCSIController', [
      allow(
        ['elasticfilesystem:DescribeAccessPoints', 'elasticfilesystem:DescribeFileSystems'],
        '*',
      ),
      allow(['elasticfilesystem:CreateAccessPoint'], '*', structuredClone(requestTagged)),
      allow(['elasticfilesystem:TagResource'], '*', structuredClone(requestTagged)),
      allow(['elasticfilesystem:DeleteAccessPoint'], '*', {
        StringLike: { 'aws:ResourceTag/efs.csi.aws.com/cluster': 'true' },
      }),
    ]),
  ];
}

const noInlinePolicies = (): InlinePolicy[] => [];

const EXPANSIONS: Record<WellKnownPolicyKey, Expansion> = {
  imageBuilder: {
    managedPolicies: ['AmazonEC2ContainerRegistryPowerUser'],
    inlinePolicies: noInlinePolicies,
  },
  autoScaler: { managedPolicies: [], inlinePolicies: autoScalerPolicies },
  awsLoadBalancerController: {
    managedPolicies: [],
    inlinePolicies: loadBalancerControllerPolicies,
  },
  externalDNS: { managedPolicies: [], inlinePolicies: externalDNSPolicies },
  certManager: { managedPolicies: [], inlinePolicies: certManagerPolicies },
  ebsCSIController: {
    managedPolicies: ['service-role/AmazonEBSCSIDriverPolicy'],
    inlinePolicies: noInlinePolicies,
  },
  efsCSIController: { managedPolicies: [], inlinePolicies: efsCSIControllerPolicies },
};

/**
 * The managed policy ARNs and inline policies the enabled flags stand for, in eksctl's table
 * order. Every call builds fresh documents, so a caller may edit the result.
 *
 * @example
 * expandWellKnownPolicies({ ebsCSIController: true }, 'aws-cn').managedPolicyArns
 * // ['arn:aws-cn:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy']
 */
export function expandWellKnownPolicies(
  flags: WellKnownPolicyFlags,
  partition: Partition,
): WellKnownPolicyExpansion {
  if (!PARTITIONS.includes(partition)) {
    throw new UnsupportedPartitionError(
      `unknown partition "${String(partition)}" (expected one of ${PARTITIONS.join(', ')})`,
    );
  }
  const expansion: WellKnownPolicyExpansion = { managedPolicyArns: [], inlinePolicies: [] };
  for (const key of WELL_KNOWN_POLICY_KEYS) {
    if (flags[key] !== true) continue;
    const { managedPolicies, inlinePolicies } = EXPANSIONS[key];
    for (const managed of managedPolicies) {
      expansion.managedPolicyArns.push(`arn:${partition}:iam::aws:policy/${managed}`);
    }
    expansion.inlinePolicies.push(...inlinePolicies(partition));
  }
  return expansion;
}
