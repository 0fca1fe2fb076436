import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type PolicyStatement,
  parsePolicyDocument,
  serializePolicyDocument,
  statementsOf,
  toArray,
} from '../../functions/core/policy-document.ts';
import {
  expandWellKnownPolicies,
  PARTITIONS,
  type Partition,
  partitionForRegion,
  UnsupportedPartitionError,
  UnsupportedRegionError,
  WELL_KNOWN_POLICY_KEYS,
  type WellKnownPolicyKey,
} from '../../functions/core/well-known-policies.ts';

const EXPECTED: Record<WellKnownPolicyKey, { managed: string[]; inline: string[] }> = {
  imageBuilder: { managed: ['AmazonEC2ContainerRegistryPowerUser'], inline: [] },
  autoScaler: { managed: [], inline: ['PolicyAutoScaling'] },
  awsLoadBalancerController: { managed: [], inline: ['PolicyAWSLoadBalancerController'] },
  externalDNS: {
    managed: [],
    inline: ['PolicyExternalDNSChangeSet', 'PolicyExternalDNSHostedZones'],
  },
  certManager: {
    managed: [],
    inline: [
      'PolicyCertManagerChangeSet',
      'PolicyCertManagerGetChange',
      'PolicyCertManagerHostedZones',
    ],
  },
  ebsCSIController: { managed: ['service-role/AmazonEBSCSIDriverPolicy'], inline: [] },
  efsCSIController: { managed: [], inline: ['PolicyEFSCSIController'] },
};

function statementsOfPolicy(key: WellKnownPolicyKey, name: string, partition: Partition = 'aws') {
  const found = expandWellKnownPolicies({ [key]: true }, partition).inlinePolicies.find(
    (policy) => policy.name === name,
  );
  assert.ok(found, `${key} has no inline policy ${name}`);
  return statementsOf(found.document);
}

function albStatements(partition: Partition = 'aws'): PolicyStatement[] {
  return statementsOfPolicy(
    'awsLoadBalancerController',
    'PolicyAWSLoadBalancerController',
    partition,
  );
}

describe('well-known policies', () => {
  for (const partition of PARTITIONS) {
    for (const key of WELL_KNOWN_POLICY_KEYS) {
      it(`expands ${key} in the ${partition} partition`, () => {
        const expansion = expandWellKnownPolicies({ [key]: true }, partition);
        assert.deepEqual(
          expansion.managedPolicyArns,
          EXPECTED[key].managed.map((name) => `arn:${partition}:iam::aws:policy/${name}`),
        );
        assert.deepEqual(
          expansion.inlinePolicies.map((policy) => policy.name),
          EXPECTED[key].inline,
        );
        for (const { document } of expansion.inlinePolicies) {
          assert.deepEqual(parsePolicyDocument(document), document);
          assert.equal(document.Version, '2012-10-17');
          for (const statement of statementsOf(document)) {
            assert.equal(statement.Effect, 'Allow');
            for (const resource of toArray(statement.Resource)) {
              assert.ok(
                resource === '*' || resource.startsWith(`arn:${partition}:`),
                `${resource} is not in ${partition}`,
              );
            }
          }
        }
      });
    }
  }

  it('lists managed ARNs and inline policies in the order of eksctl’s table', () => {
    const all = Object.fromEntries(WELL_KNOWN_POLICY_KEYS.map((key) => [key, true]));
    const expansion = expandWellKnownPolicies(all, 'aws');
    assert.deepEqual(expansion.managedPolicyArns, [
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser',
      'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    ]);
    assert.deepEqual(
      expansion.inlinePolicies.map((policy) => policy.name),
      [
        'PolicyAutoScaling',
        'PolicyAWSLoadBalancerController',
        'PolicyExternalDNSChangeSet',
        'PolicyExternalDNSHostedZones',
        'PolicyCertManagerChangeSet',
        'PolicyCertManagerGetChange',
        'PolicyCertManagerHostedZones',
        'PolicyEFSCSIController',
      ],
    );
  });

  it('expands nothing for no flags or false flags', () => {
    assert.deepEqual(expandWellKnownPolicies({}, 'aws'), {
      managedPolicyArns: [],
      inlinePolicies: [],
    });
    assert.deepEqual(expandWellKnownPolicies({ autoScaler: false, imageBuilder: false }, 'aws'), {
      managedPolicyArns: [],
      inlinePolicies: [],
    });
  });

  it('uses aws-cn ARNs in China', () => {
    const expansion = expandWellKnownPolicies(
      { imageBuilder: true, ebsCSIController: true, certManager: true },
      'aws-cn',
    );
    assert.deepEqual(expansion.managedPolicyArns, [
      'arn:aws-cn:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser',
      'arn:aws-cn:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    ]);
    assert.deepEqual(
      expansion.inlinePolicies.flatMap((policy) =>
        statementsOf(policy.document).flatMap((statement) => toArray(statement.Resource)),
      ),
      ['arn:aws-cn:route53:::hostedzone/*', 'arn:aws-cn:route53:::change/*', '*'],
    );
    const alb = serializePolicyDocument({ Statement: albStatements('aws-cn') });
    assert.doesNotMatch(alb, /arn:aws:/);
    assert.match(alb, /arn:aws-cn:elasticloadbalancing:\*:\*:targetgroup\/\*\/\*/);
  });

  it('builds fresh documents on every call', () => {
    const first = albStatements();
    const [statement] = first;
    assert.ok(statement !== undefined);
    statement.Effect = 'Deny';
    assert.equal(albStatements()[0]?.Effect, 'Allow');
  });

  it('rejects a partition it does not know', () => {
    assert.throws(
      () => expandWellKnownPolicies({ autoScaler: true }, 'aws-iso' as Partition),
      UnsupportedPartitionError,
    );
  });
});

describe('well-known policy statements', () => {
  it('gives the cluster autoscaler its two statements', () => {
    assert.deepEqual(statementsOfPolicy('autoScaler', 'PolicyAutoScaling'), [
      {
        Effect: 'Allow',
        Action: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: [
          'autoscaling:SetDesiredCapacity',
          'autoscaling:TerminateInstanceInAutoScalingGroup',
          'ec2:DescribeImages',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        Resource: '*',
      },
    ]);
  });

  it('gives external-dns its change set and hosted zone statements', () => {
    assert.deepEqual(
      statementsOfPolicy('externalDNS', 'PolicyExternalDNSChangeSet', 'aws-us-gov'),
      [
        {
          Effect: 'Allow',
          Action: ['route53:ChangeResourceRecordSets'],
          Resource: 'arn:aws-us-gov:route53:::hostedzone/*',
        },
      ],
    );
    assert.deepEqual(statementsOfPolicy('externalDNS', 'PolicyExternalDNSHostedZones'), [
      {
        Effect: 'Allow',
        Action: [
          'route53:ListHostedZones',
          'route53:ListResourceRecordSets',
          'route53:ListTagsForResource',
        ],
        Resource: '*',
      },
    ]);
  });

  it('gives cert-manager the external-dns change set, GetChange and its hosted zone reads', () => {
    assert.deepEqual(
      statementsOfPolicy('certManager', 'PolicyCertManagerChangeSet'),
      statementsOfPolicy('externalDNS', 'PolicyExternalDNSChangeSet'),
    );
    assert.deepEqual(statementsOfPolicy('certManager', 'PolicyCertManagerGetChange'), [
      { Effect: 'Allow', Action: ['route53:GetChange'], Resource: 'arn:aws:route53:::change/*' },
    ]);
    assert.deepEqual(statementsOfPolicy('certManager', 'PolicyCertManagerHostedZones'), [
      {
        Effect: 'Allow',
        Action: ['route53:ListResourceRecordSets', 'route53:ListHostedZonesByName'],
        Resource: '*',
      },
    ]);
  });

  it('gives the EFS CSI controller four statements with the cluster tag conditions', () => {
    assert.deepEqual(statementsOfPolicy('efsCSIController', 'PolicyEFSCSIController'), [
      {
        Effect: 'Allow',
        Action: ['elasticfilesystem:DescribeAccessPoints', 'elasticfilesystem:DescribeFileSystems'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['elasticfilesystem:CreateAccessPoint'],
        Resource: '*',
        Condition: { StringLike: { 'aws:RequestTag/efs.csi.aws.com/cluster': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: ['elasticfilesystem:TagResource'],
        Resource: '*',
        Condition: { StringLike: { 'aws:RequestTag/efs.csi.aws.com/cluster': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: ['elasticfilesystem:DeleteAccessPoint'],
        Resource: '*',
        Condition: { StringLike: { 'aws:ResourceTag/efs.csi.aws.com/cluster': 'true' } },
      },
    ]);
  });

  it('gives the AWS Load Balancer Controller sixteen statements', () => {
    assert.equal(albStatements().length, 16);
  });

  it('starts the controller policy with the conditioned service-linked role and the reads', () => {
    const [serviceLinked, reads, integrations] = albStatements();
    assert.deepEqual(serviceLinked, {
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: '*',
      Condition: {
        StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' },
      },
    });
    const readActions = toArray(reads?.Action);
    assert.equal(readActions.filter((action) => action.startsWith('ec2:')).length, 16);
    assert.equal(
      readActions.filter((action) => action.startsWith('elasticloadbalancing:')).length,
      13,
    );
    assert.equal(readActions[0], 'ec2:DescribeAccountAttributes');
    assert.equal(readActions.at(-1), 'elasticloadbalancing:DescribeCapacityReservation');
    assert.equal(toArray(integrations?.Action).length, 17);
    assert.ok(toArray(integrations?.Action).includes('shield:CreateProtection'));
  });

  it('scopes the controller’s security group tagging to tagged groups', () => {
    const statements = albStatements();
    assert.deepEqual(statements[5], {
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: 'arn:aws:ec2:*:*:security-group/*',
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
        Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' },
      },
    });
    assert.deepEqual(statements[6]?.Condition, {
      Null: {
        'aws:RequestTag/elbv2.k8s.aws/cluster': 'true',
        'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false',
      },
    });
  });

  it('lets the controller tag only load balancers it creates', () => {
    const statements = albStatements();
    assert.deepEqual(statements[13], {
      Effect: 'Allow',
      Action: ['elasticloadbalancing:AddTags'],
      Resource: [
        'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*',
        'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*',
        'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*',
      ],
      Condition: {
        StringEquals: {
          'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'],
        },
        Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' },
      },
    });
    assert.deepEqual(toArray(statements[11]?.Resource), [
      'arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*',
      'arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*',
      'arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
      'arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
    ]);
    assert.equal(statements[11]?.Condition, undefined);
  });

  it('lists the remaining controller statements in eksctl’s order', () => {
    const summary = albStatements().map((statement) => ({
      actions: toArray(statement.Action).length,
      resource: statement.Resource,
      conditions: Object.keys(statement.Condition ?? {}),
    }));
    assert.deepEqual(summary.slice(3), [
      { actions: 2, resource: '*', conditions: [] },
      { actions: 1, resource: '*', conditions: [] },
      {
        actions: 1,
        resource: 'arn:aws:ec2:*:*:security-group/*',
        conditions: ['StringEquals', 'Null'],
      },
      { actions: 2, resource: 'arn:aws:ec2:*:*:security-group/*', conditions: ['Null'] },
      { actions: 3, resource: '*', conditions: ['Null'] },
      { actions: 2, resource: '*', conditions: ['Null'] },
      { actions: 4, resource: '*', conditions: [] },
      {
        actions: 2,
        resource: [
          'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*',
          'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*',
          'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*',
        ],
        conditions: ['Null'],
      },
      {
        actions: 2,
        resource: [
          'arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*',
          'arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*',
          'arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
          'arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
        ],
        conditions: [],
      },
      { actions: 11, resource: '*', conditions: ['Null'] },
      {
        actions: 1,
        resource: [
          'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*',
          'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*',
          'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*',
        ],
        conditions: ['StringEquals', 'Null'],
      },
      { actions: 2, resource: 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*', conditions: [] },
      { actions: 6, resource: '*', conditions: [] },
    ]);
    assert.deepEqual(toArray(albStatements()[15]?.Action), [
      'elasticloadbalancing:SetWebAcl',
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:AddListenerCertificates',
      'elasticloadbalancing:RemoveListenerCertificates',
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:SetRulePriorities',
    ]);
  });
});

describe('partition of a region', () => {
  it('maps China and GovCloud regions to their partitions and others to aws', () => {
    assert.equal(partitionForRegion('cn-north-1'), 'aws-cn');
    assert.equal(partitionForRegion('cn-northwest-1'), 'aws-cn');
    assert.equal(partitionForRegion('us-gov-west-1'), 'aws-us-gov');
    assert.equal(partitionForRegion('us-gov-east-1'), 'aws-us-gov');
    assert.equal(partitionForRegion('us-west-2'), 'aws');
    assert.equal(partitionForRegion('ap-southeast-5'), 'aws');
    assert.equal(partitionForRegion('eu-central-2'), 'aws');
  });

  it('rejects isolated-partition regions and names that are not regions', () => {
    for (const region of ['us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1']) {
      assert.throws(() => partitionForRegion(region), /isolated AWS partition/);
    }
    for (const region of ['', 'us-west', 'US-WEST-2', 'uswest2']) {
      assert.throws(() => partitionForRegion(region), UnsupportedRegionError);
    }
  });
});
