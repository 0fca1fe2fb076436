import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  AssetHashType,
  DockerImage,
  type Duration,
  type ILocalBundling,
  RemovalPolicy,
  Validations,
} from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from '../paths.ts';
import type { TaskPermissions } from '../task-permissions.ts';

/**
 * nodejs22.x rather than 24.x: it is the project's declared Lambda runtime and the nearest one to
 * the Node 20 every local test and simulator run uses, so the cloud runs what was tested.
 * infra/task-bundle.ts targets the same version (ESBUILD_TARGET).
 */
const TASK_RUNTIME = Runtime.NODEJS_22_X;

const BUILD_SCRIPT = path.join(PROJECT_ROOT, 'infra', 'build-task-bundle.ts');

/**
 * Builds one handler with infra/build-task-bundle.ts, i.e. with the options and esbuild plugins of
 * infra/task-bundle.ts (the ones the bundle-size test and bench/bundles.ts build with). It runs in
 * a child process because CDK's local bundling is synchronous and esbuild's plugins need its
 * asynchronous API; NodejsFunction's own bundling drives the esbuild command line, which takes no
 * plugins. `entry` is a field, not only captured by `tryBundle`: CDK reuses a bundle for assets
 * whose source path and bundling options serialise alike, and every task's source path is the
 * project root.
 */
class TaskBundling implements ILocalBundling {
  constructor(readonly entry: string) {}

  tryBundle(outputDir: string): boolean {
    execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, this.entry, outputDir], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return true;
  }
}

/** The task's bundle as a Lambda asset, hashed on its output as NodejsFunction's is. */
function taskCode(entry: string): Code {
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: the local build either succeeds or throws (esbuild is a dependency, so there
      // is no Docker fallback to take). CDK requires an image all the same.
      image: DockerImage.fromRegistry('dummy'),
      local: new TaskBundling(entry),
    },
  });
}

export interface TaskFunctionProps {
  /** Path of the handler module; it must export `handler`. */
  readonly entry: string;
  /** The function's timeout, from the task's descriptor (`readTaskDescriptor`, functions/core/task-descriptor.ts). */
  readonly timeout: Duration;
  /**
   * Memory in MiB; on Lambda it also sets the CPU share, which shortens cold starts.
   *
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN (logs of past runs stay readable after a teardown)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * `POWERTOOLS_SERVICE_NAME`, the `service` key of every log line.
   *
   * @default 'eks-pod-identity-automation'
   */
  readonly serviceName?: string;
  /**
   * Extra environment variables.
   *
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * @default no description
   */
  readonly description?: string;
  /**
   * A role shared with other tasks that must act under one identity (see
   * PodIdentityAutomationStack's `sharedTaskRoles`); it must trust lambda.amazonaws.com.
   *
   * @default a role of the function's own
   */
  readonly role?: iam.Role;
  /**
   * Runs the function in this VPC, e.g. to reach Kubernetes API endpoints that are private. It
   * then also needs a route to the AWS APIs it calls (NAT or VPC endpoints).
   *
   * @default not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * @default the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * @default a security group CDK creates for the function, allowing all outbound traffic
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * What Lambda needs to attach a function to a VPC, as in the AWS managed policy
 * AWSLambdaVPCAccessExecutionRole minus its logging actions (the function's log group is granted
 * on its own). Network interface IDs exist only once Lambda creates them, and the Describe actions
 * support no resource-level permissions, so the resource is `*`.
 */
const VPC_NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Roles already granted the network interface actions, so a shared role gets them once. */
const rolesWithNetworkInterfaces = new WeakSet<iam.Role>();

/**
 * One Lambda task with the project's defaults: Node 22 on arm64, an ESM bundle with source maps,
 * active tracing, its own log group with a retention, and a role that may write only to that log
 * group until {@link TaskFunction.addTaskPermissions} grants the task's IAM.
 */
export class TaskFunction extends NodejsFunction {
  /** The function's role (its own unless shared); task permissions are granted to it. */
  readonly taskRole: iam.Role;
  private taskPolicy: iam.Policy | undefined;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    // NodejsFunction needs the role and log group while it is constructed, before `this` exists,
    // so they are created next to it. An own role also keeps out AWSLambdaBasicExecutionRole,
    // which would allow writing to every log group in the account.
    const role =
      props.role ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    logGroup.grantWrite(role);
    // On the role itself, not in the task policy: CloudFormation then creates it before the
    // function, and Lambda checks these permissions when it creates a function in a VPC.
    if (props.vpc !== undefined && !rolesWithNetworkInterfaces.has(role)) {
      rolesWithNetworkInterfaces.add(role);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: VPC_NETWORK_INTERFACE_ACTIONS, resources: ['*'] }),
      );
    }

    super(scope, id, {
      description: props.description,
      runtime: TASK_RUNTIME,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      role,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups === undefined ? undefined : [...props.securityGroups],
      tracing: Tracing.ACTIVE,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'eks-pod-identity-automation',
        NODE_OPTIONS: '--enable-source-maps',
      },
      // NodejsFunction takes given code as it is; the bundle is ours (see taskCode).
      code: taskCode(path.resolve(props.entry)),
      handler: 'index.handler',
    });

    this.taskRole = role;

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `${TASK_RUNTIME.name} is deliberate: the project's declared runtime, nearest to the Node 20 the tests run on`,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the statements on the role itself use *: the X-Ray statement added by ' +
        'Tracing.ACTIVE (xray:PutTraceSegments and xray:PutTelemetryRecords support no ' +
        'resource-level permissions) and, for a function in a VPC, the network interface ' +
        'statement Lambda needs (interface IDs exist only once Lambda creates them; ' +
        'ec2:Describe* support no resource-level permissions). Task permissions live in a ' +
        'separate policy under the function, so they are not covered by this acknowledgement.',
    });
  }

  /**
   * Grants the task's own IAM in a policy of its own, with the cdk-nag findings it accepts, and
   * sets the environment variables that go with it. A task that calls no AWS API passes no
   * statements and gets no policy.
   */
  addTaskPermissions(permissions: TaskPermissions): void {
    for (const [name, value] of Object.entries(permissions.environment ?? {})) {
      this.addEnvironment(name, value);
    }
    if (permissions.statements.length === 0) return;
    if (this.taskPolicy === undefined) {
      this.taskPolicy = new iam.Policy(this, 'TaskPolicy', { roles: [this.taskRole] });
    }
    this.taskPolicy.addStatements(...permissions.statements);
    for (const acknowledgement of permissions.acknowledgements ?? []) {
      Validations.of(this.taskPolicy).acknowledge(acknowledgement);
    }
  }
}
