import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { kubernetesApiTasks } from '../../functions/core/task-descriptor.ts';
import { createAutomationApp } from '../../infra/automation-app.ts';
import { NetworkSettingsError } from '../../infra/errors.ts';
import {
  PodIdentityAutomationStack,
  type PodIdentityAutomationStackProps,
} from '../../infra/stacks/pod-identity-automation-stack.ts';
import {
  ASSOCIATIONS_TASKS,
  associationsFixtureStack,
  FIXTURE_ASSOCIATIONS_DIR,
  FIXTURE_FUNCTIONS_DIR,
  logicalIdOf,
  NO_BUNDLING,
  propertiesOf,
  testAppProps,
} from './fixture-stack.ts';

const CONTEXT_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
};

const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

interface FunctionProperties {
  VpcConfig?: { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
}

/** The associations fixture in an app that also holds a network stack, as a user's app would. */
function withVpc(props: (vpc: ec2.Vpc, network: Stack) => PodIdentityAutomationStackProps) {
  const app = new App(testAppProps());
  const network = new Stack(app, 'Network');
  const vpc = new ec2.Vpc(network, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const stack = new PodIdentityAutomationStack(app, 'Fixture', {
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
    ...props(vpc, network),
  });
  return { stack, vpc, template: Template.fromStack(stack) };
}

function functionProperties(
  stack: PodIdentityAutomationStack,
  template: Template,
  task: string,
): FunctionProperties {
  const fn = stack.taskFunctions.get(task);
  assert.ok(fn, task);
  return propertiesOf<FunctionProperties>(template, 'AWS::Lambda::Function', logicalIdOf(fn));
}

/** Every statement of the policies attached to a task's role. */
function roleStatements(
  stack: PodIdentityAutomationStack,
  template: Template,
  task: string,
): { Action: string | string[]; Resource: unknown }[] {
  const fn = stack.taskFunctions.get(task);
  assert.ok(fn, task);
  return Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalIdOf(fn.taskRole) }] },
    }),
  ).flatMap(
    (policy) =>
      (
        policy.Properties as {
          PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
        }
      ).PolicyDocument.Statement,
  );
}

const KUBERNETES_API_TASKS = kubernetesApiTasks(FIXTURE_FUNCTIONS_DIR);
const kubernetesTasks = ASSOCIATIONS_TASKS.filter((task) => KUBERNETES_API_TASKS.includes(task));
const otherTasks = ASSOCIATIONS_TASKS.filter((task) => !KUBERNETES_API_TASKS.includes(task));

describe('Kubernetes-calling tasks without a VPC', () => {
  const { stack } = associationsFixtureStack();
  const template = Template.fromStack(stack);

  it('places no function in a VPC and creates no security group', () => {
    for (const task of ASSOCIATIONS_TASKS) {
      assert.equal(functionProperties(stack, template, task).VpcConfig, undefined, task);
    }
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    assert.equal(stack.kubernetesApiNetwork, undefined);
  });

  it('grants no task the network interface actions a VPC function needs', () => {
    for (const task of ASSOCIATIONS_TASKS) {
      const actions = roleStatements(stack, template, task).flatMap(
        (statement) => statement.Action,
      );
      assert.deepEqual(
        actions.filter((action) => action.startsWith('ec2:')),
        [],
        task,
      );
    }
  });
});

describe('Kubernetes-calling tasks with a VPC given as props', () => {
  const { stack, vpc, template } = withVpc((vpc) => ({ vpc }));
  const securityGroup = stack.kubernetesApiNetwork?.securityGroups?.[0];
  assert.ok(securityGroup);

  it('places the tasks that call the Kubernetes API, and only those, in the VPC’s private subnets', () => {
    assert.deepEqual(kubernetesTasks, ['apply-association-batch']);
    for (const task of kubernetesTasks) {
      const config = functionProperties(stack, template, task).VpcConfig;
      assert.ok(config, task);
      assert.equal(config.SubnetIds.length, vpc.privateSubnets.length);
      assert.deepEqual(config.SecurityGroupIds, [
        { 'Fn::GetAtt': [logicalIdOf(securityGroup as ec2.SecurityGroup), 'GroupId'] },
      ]);
    }
    for (const task of otherTasks) {
      assert.equal(functionProperties(stack, template, task).VpcConfig, undefined, task);
    }
  });

  it('creates one security group that allows outbound HTTPS only, and outputs its ID', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }],
    });
    const [group] = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    assert.ok(group);
    assert.equal(
      (group.Properties as { SecurityGroupIngress?: unknown }).SecurityGroupIngress,
      undefined,
    );
    template.hasOutput('KubernetesApiSecurityGroupId', {
      Value: {
        'Fn::GetAtt': [logicalIdOf(securityGroup as ec2.SecurityGroup), 'GroupId'],
      },
    });
  });

  it('lets only the roles of the VPC functions manage network interfaces', () => {
    for (const task of kubernetesTasks) {
      assert.ok(
        roleStatements(stack, template, task).some(
          (statement) =>
            JSON.stringify(statement.Action) === JSON.stringify(NETWORK_INTERFACE_ACTIONS) &&
            statement.Resource === '*',
        ),
        task,
      );
    }
    const vpcRoles = kubernetesTasks.map((task) => stack.taskFunctions.get(task)?.taskRole);
    const withOwnRoles = otherTasks.filter(
      (task) => !vpcRoles.includes(stack.taskFunctions.get(task)?.taskRole),
    );
    assert.ok(withOwnRoles.length > 0);
    for (const task of withOwnRoles) {
      const actions = roleStatements(stack, template, task).flatMap(
        (statement) => statement.Action,
      );
      assert.deepEqual(
        actions.filter((action) => action.startsWith('ec2:')),
        [],
        task,
      );
    }
  });

  it('grants a role shared with a function outside the VPC the network interface actions once', () => {
    const statements = roleStatements(stack, template, 'ensure-kubernetes-access').filter(
      (statement) => [statement.Action].flat().includes('ec2:CreateNetworkInterface'),
    );

    assert.equal(statements.length, 1);
  });

  it('has CloudFormation create the network interface permissions before the function', () => {
    const fn = stack.taskFunctions.get('apply-association-batch');
    assert.ok(fn);
    const [policyId] = Object.keys(
      template.findResources('AWS::IAM::Policy', {
        Properties: {
          Roles: [{ Ref: logicalIdOf(fn.taskRole) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Action: Match.arrayWith(['ec2:CreateNetworkInterface']) }),
            ]),
          },
        },
      }),
    );
    assert.ok(policyId);
    const resource = template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)];
    assert.ok((resource?.DependsOn as string[] | undefined)?.includes(policyId));
  });
});

describe('Kubernetes-calling tasks with subnets and security groups given', () => {
  it('uses them and creates no security group of its own', () => {
    const { stack, template } = withVpc((vpc, network) => ({
      vpc,
      vpcSubnets: { subnets: vpc.privateSubnets.slice(0, 1) },
      securityGroups: [new ec2.SecurityGroup(network, 'Given', { vpc })],
    }));

    const config = functionProperties(stack, template, 'apply-association-batch').VpcConfig;
    assert.ok(config);
    assert.equal(config.SecurityGroupIds.length, 1);
    assert.match(
      JSON.stringify(config.SecurityGroupIds),
      /ExportsOutputFnGetAttGiven[0-9A-F]+GroupId/,
    );
    assert.equal(config.SubnetIds.length, 1);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it('refuses subnets or security groups without a VPC', () => {
    assert.throws(
      () =>
        associationsFixtureStack({
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        }),
      (error: unknown) =>
        error instanceof NetworkSettingsError && /give vpc too/.test(error.message),
    );
  });
});

describe('Kubernetes-calling tasks with a VPC given as context', () => {
  function fromContext(vpc: unknown) {
    const appProps = testAppProps();
    return {
      appProps,
      ...createAutomationApp({
        appProps: { ...appProps, context: { ...NO_BUNDLING.context, vpc } },
        stackProps: {
          functionsDir: FIXTURE_FUNCTIONS_DIR,
          stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
        },
      }),
    };
  }

  it('places them in the subnets named, with the security groups named', () => {
    const { stack } = fromContext(
      JSON.stringify({ ...CONTEXT_VPC, securityGroupIds: ['sg-0cccccccccccccccc'] }),
    );
    const template = Template.fromStack(stack);

    assert.deepEqual(functionProperties(stack, template, 'apply-association-batch').VpcConfig, {
      SubnetIds: CONTEXT_VPC.subnetIds,
      SecurityGroupIds: ['sg-0cccccccccccccccc'],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it('synthesises with every cdk-nag finding acknowledged', () => {
    const { app, appProps } = fromContext(CONTEXT_VPC);

    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    const report = readFileSync(path.join(appProps.outdir ?? '', 'validation-report.json'), 'utf8');
    assert.equal(error, undefined, report);
  });

  it('refuses settings that are not JSON or miss the subnets, naming the problem', () => {
    assert.throws(
      () => fromContext('{vpcId'),
      (error: unknown) =>
        error instanceof NetworkSettingsError && /not valid JSON/.test(error.message),
    );
    assert.throws(
      () => fromContext({ vpcId: CONTEXT_VPC.vpcId }),
      (error: unknown) => error instanceof NetworkSettingsError && /subnetIds/.test(error.message),
    );
    assert.throws(
      () => fromContext({ ...CONTEXT_VPC, subnetIds: ['subnet-nope'] }),
      (error: unknown) =>
        error instanceof NetworkSettingsError &&
        /subnetIds\.0: expected subnet-<hex id>/.test(error.message),
    );
  });
});
