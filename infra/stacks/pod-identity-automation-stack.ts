import { existsSync } from 'node:fs';
import { CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { permissionsBoundaryDocument } from '../../functions/core/associations/escalation.ts';
import { DESIRED_PREFIX } from '../../functions/core/desired-state.ts';
import { DRIFT_WORKFLOW } from '../../functions/core/drift/report.ts';
import { FLEET_PREFIX } from '../../functions/core/fleet/fleet-config.ts';
import { FLEET_WORKFLOW } from '../../functions/core/fleet/report.ts';
import {
  DRIFTED_ITEMS_METRIC,
  FAILED_ITEMS_METRIC,
  METRICS_NAMESPACE,
  WORKFLOW_DIMENSION,
} from '../../functions/core/metric-names.ts';
import { ROLE_PATH } from '../../functions/core/naming.ts';
import { readTaskDescriptor, sharedTaskRoles } from '../../functions/core/task-descriptor.ts';
import {
  findTaskDir,
  handlerEntry,
  handlerPattern,
  listWorkflows,
  pascalCase,
  readWorkflowDefinition,
  stateMachineArnPlaceholder,
  TASK_WORKFLOWS_VARIABLE,
  WorkflowDefinitionError,
  workflowFile,
  workflowsByTask,
} from '../../functions/core/workflow-files.ts';
import { AlarmNotifications, alarmOnAny } from '../constructs/alarm-notifications.ts';
import { ClusterCreatedTrigger } from '../constructs/cluster-created-trigger.ts';
import { ConfigBucket } from '../constructs/config-bucket.ts';
import { ConfigUploadTrigger } from '../constructs/config-upload-trigger.ts';
import { TaskFunction } from '../constructs/task-function.ts';
import { WorkflowStateMachine } from '../constructs/workflow-state-machine.ts';
import {
  checkDriftSchedule,
  DEFAULT_DRIFT_SCHEDULE,
  DRIFT_SCHEDULE_OFF,
} from '../drift-schedule.ts';
import { AlarmSettingsError, NetworkSettingsError } from '../errors.ts';
import { GRANTS } from '../grants.ts';
import { assignableRoleTagOf, checkGuardrails, type GuardrailProps } from '../guardrails.ts';
import { type KubernetesApiNetwork, kubernetesApiNetworkFromContext } from '../network.ts';
import { FUNCTIONS_DIR, STATE_MACHINES_DIR } from '../paths.ts';
import { CONFIG_BUCKET_OUTPUT, stateMachineArnOutput } from '../stack-outputs.ts';
import { type GrantTable, taskPermissionsFor } from '../task-permissions.ts';

/**
 * The tag key every resource of the stack carries (its value the stack's name): the default
 * permissions boundary denies the roles the service creates any action on resources with it.
 */
export const AUTOMATION_TAG_KEY = 'eks-pia/automation-stack';

export interface PodIdentityAutomationStackProps extends StackProps {
  /**
   * Folder holding one `<group>/<task>/handler.ts` per task.
   *
   * @default the repository's functions/
   */
  readonly functionsDir?: string;
  /**
   * Folder holding the `<workflow>.asl.json` files.
   *
   * @default the repository's state-machines/
   */
  readonly stateMachinesDir?: string;
  /**
   * Workflows to deploy, by name; the workflows they nest are deployed with them.
   *
   * @default every `*.asl.json` file in `stateMachinesDir` (none is fine)
   */
  readonly workflows?: readonly string[];
  /**
   * The permission sets the tasks' descriptors name in `grants`; every name a task lists must be
   * defined here.
   *
   * @default GRANTS from infra/grants.ts
   */
  readonly grants?: GrantTable;
  /**
   * Values for placeholders other than function and state machine ARNs, shared by all workflows.
   * They override the stack's own (`ConfigBucketName`).
   *
   * @default `{ ConfigBucketName: <the config bucket's name> }`
   */
  readonly substitutions?: Readonly<Record<string, string>>;
  /**
   * Overall timeout per workflow name.
   *
   * @default WorkflowStateMachine's default for every workflow
   */
  readonly workflowTimeouts?: Readonly<Record<string, Duration>>;
  /**
   * @default a name CloudFormation generates
   */
  readonly configBucketName?: string;
  /**
   * The workflow an upload under a trigger prefix of the config bucket starts; no trigger is
   * created when that workflow is not deployed.
   *
   * @default 'associations'
   */
  readonly configUploadWorkflow?: string;
  /**
   * What a config may grant: checked by load-association-request (env `GUARDRAILS`) before anything changes
   * and, where IAM can, enforced on apply-association-batch's role too (permissions boundary of created
   * roles, roles it may pass).
   *
   * @default none: the tasks' default denials apply
   */
  readonly guardrails?: GuardrailProps;
  /**
   * The workflow a new EKS cluster starts (the CloudTrail record of a successful `CreateCluster`
   * in the stack's region); no rule is created when that workflow is not deployed.
   *
   * @default 'bootstrap-cluster'
   */
  readonly clusterCreatedWorkflow?: string;
  /**
   * When EventBridge Scheduler starts the drift-check workflow (a `rate(...)`, `cron(...)` or
   * `at(...)` expression, checked at synth), or `off` for no schedule.
   *
   * @default 'rate(1 day)'; the app (infra/automation-app.ts) passes context `driftCheckSchedule`
   */
  readonly driftCheckSchedule?: string;
  /**
   * Whether the scheduled drift check also heals what it finds, by applying each cluster's
   * desired state again. Off, it reports and alarms only.
   *
   * @default false; the app passes context `healDrift`
   */
  readonly healDrift?: boolean;
  /**
   * Roles the migration may edit the trust policy of (add the pods.eks.amazonaws.com statement,
   * remove this cluster's OIDC statements) and pass to EKS Pod Identity: ARN patterns with `*`.
   *
   * @default the guardrails' allowedRoleArnPatterns, plus (through IAM resource-tag conditions)
   * roles eksctl created for IRSA (tag `alpha.eksctl.io/iamserviceaccount-name`) and roles
   * carrying the guardrails' opt-in tag (`eks-pia/assignable=true`); never every role of the
   * account
   */
  readonly migratableRoleArnPatterns?: readonly string[];
  /**
   * Groups of tasks that run under one role, by a PascalCase group name. A task that grants an
   * EKS access entry to the role it runs as shares that role with the tasks that then call the
   * Kubernetes API, so the entry is theirs too.
   *
   * @default what the tasks' descriptors say (`sharedRole` in functions/<group>/<task>/contract.ts)
   */
  readonly sharedTaskRoles?: Readonly<Record<string, readonly string[]>>;
  /**
   * An e-mail address subscribed to the alarm topic.
   *
   * @default context `alarmEmail`, else none (subscribe to output `AlarmTopicArn` yourself)
   */
  readonly alarmEmail?: string;
  /**
   * The bus the run-completed events are put on.
   *
   * @default 'default'
   */
  readonly eventBusName?: string;
  /**
   * VPC of the tasks that call a cluster's Kubernetes API (`kubernetesApiTasks`), for clusters
   * whose API endpoint is private. The VPC must also reach the AWS APIs (NAT or VPC endpoints),
   * and the clusters' security groups must admit HTTPS from the tasks' security groups.
   *
   * @default context `vpc` (infra/network.ts), else no VPC: public endpoints only
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for those tasks.
   *
   * @default the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of those tasks.
   *
   * @default one security group the stack creates (output `KubernetesApiSecurityGroupId`) that
   * allows outbound HTTPS only
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
  /**
   * Tasks that call a cluster's Kubernetes API, which run in `vpc` when one is given.
   *
   * @default the tasks whose descriptors say `kubernetesApi: true` (functions/<group>/<task>/contract.ts)
   */
  readonly kubernetesApiTasks?: readonly string[];
}

/** Workflows whose report task publishes the FailedItems metric (functions/aws/metrics.ts). */
const WORKFLOWS_REPORTING_ITEMS = ['associations', 'migrate-to-pod-identity'];

/** `-c alarmEmail=ops@example.com` subscribes an address to the alarm topic. */
function alarmEmailFromContext(scope: Construct): string | undefined {
  const value: unknown = scope.node.tryGetContext('alarmEmail');
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    throw new AlarmSettingsError(
      `context "alarmEmail" must be one e-mail address, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The service: one state machine per workflow file and one Lambda function per task they reference.
 * A task used by several workflows has one function; nested workflows are built before the
 * workflows that start them.
 */
export class PodIdentityAutomationStack extends Stack {
  /** Functions by task (kebab-case folder name). */
  readonly taskFunctions: ReadonlyMap<string, TaskFunction>;
  /** State machines by workflow name. */
  readonly workflows: ReadonlyMap<string, WorkflowStateMachine>;
  readonly configBucket: ConfigBucket;
  /** Present when the workflow that config uploads start (`configUploadWorkflow`) is deployed. */
  readonly configUploadTrigger: ConfigUploadTrigger | undefined;
  /** Present when the fleet-associations workflow is deployed: a fleet/ upload applies it. */
  readonly fleetUploadTrigger: ConfigUploadTrigger | undefined;
  /** Present when the workflow that new clusters start (`clusterCreatedWorkflow`) is deployed. */
  readonly clusterCreatedTrigger: ClusterCreatedTrigger | undefined;
  /** Where the Kubernetes-calling tasks run, when they run in a VPC. */
  readonly kubernetesApiNetwork: KubernetesApiNetwork | undefined;
  /** The topic every alarm of the stack notifies. */
  readonly alarmTopic: sns.Topic;
  /** Present when the drift-check workflow is deployed and its schedule is not `off`. */
  readonly driftCheckSchedule: scheduler.Schedule | undefined;
  /** Present when the drift-check workflow is deployed: a check found drifted items. */
  readonly driftAlarm: cloudwatch.Alarm | undefined;
  /** Alarms on items that runs reported as failed, by workflow. */
  readonly failedItemsAlarms: ReadonlyMap<string, cloudwatch.Alarm>;

  private readonly functionsDir: string;
  private readonly stateMachinesDir: string;
  private readonly workflowsOfTasks: Map<string, string[]>;
  private readonly props: PodIdentityAutomationStackProps;
  private readonly guardrails: GuardrailProps;
  /** The boundary every role the service creates carries: the deployment's, or the stack's own. */
  readonly rolePermissionsBoundaryArn: string;
  private readonly functionsByTask = new Map<string, TaskFunction>();
  private readonly sharedRoles = new Map<string, iam.Role>();
  /** The shared roles' tasks, from the props or else every task's descriptor; read once, when first needed. */
  private sharedTaskRoles: Readonly<Record<string, readonly string[]>> | undefined;
  private readonly workflowsByName = new Map<string, WorkflowStateMachine>();

  constructor(scope: Construct, id: string, props: PodIdentityAutomationStackProps = {}) {
    super(scope, id, {
      description: 'EKS Pod Identity automation: Step Functions workflows and their Lambda tasks',
      ...props,
    });
    this.props = props;
    this.functionsDir = props.functionsDir ?? FUNCTIONS_DIR;
    this.stateMachinesDir = props.stateMachinesDir ?? STATE_MACHINES_DIR;
    this.workflowsOfTasks = workflowsByTask(this.stateMachinesDir);
    this.taskFunctions = this.functionsByTask;
    this.workflows = this.workflowsByName;
    const guardrails = props.guardrails ?? {};
    checkGuardrails(guardrails);
    // Every resource of the automation carries the tag the default boundary keeps pods away by.
    Tags.of(this).add(AUTOMATION_TAG_KEY, this.stackName);
    this.configBucket = new ConfigBucket(this, 'ConfigBucket', {
      bucketName: props.configBucketName,
    });
    this.rolePermissionsBoundaryArn =
      guardrails.enforcedPermissionsBoundaryArn ?? this.defaultPermissionsBoundary(guardrails);
    this.guardrails = {
      ...guardrails,
      enforcedPermissionsBoundaryArn: this.rolePermissionsBoundaryArn,
    };
    this.kubernetesApiNetwork = this.placeKubernetesApiTasks(props);

    this.alarmTopic = new AlarmNotifications(this, 'AlarmNotifications', {
      email: props.alarmEmail ?? alarmEmailFromContext(this),
    }).topic;
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every alarm of the stack notifies: subscribe to it to hear of them',
      value: this.alarmTopic.topicArn,
    });

    new CfnOutput(this, CONFIG_BUCKET_OUTPUT, {
      description:
        'Bucket for eksctl configs: an upload under create/, update/, delete/, apply/ or fleet/ starts a run',
      value: this.configBucket.bucketName,
    });

    for (const workflow of props.workflows ?? listWorkflows(this.stateMachinesDir)) {
      this.buildWorkflow(workflow, []);
    }

    this.onlyTasksWriteRunDocuments();

    const uploadsStart = this.workflowsByName.get(props.configUploadWorkflow ?? 'associations');
    this.configUploadTrigger =
      uploadsStart === undefined
        ? undefined
        : new ConfigUploadTrigger(this, 'ConfigUploadTrigger', {
            bucket: this.configBucket.bucket,
            prefixes: this.configBucket.triggerPrefixes,
            stateMachine: uploadsStart.stateMachine,
          });

    const fleetRuns = this.workflowsByName.get(FLEET_WORKFLOW);
    this.fleetUploadTrigger =
      fleetRuns === undefined
        ? undefined
        : new ConfigUploadTrigger(this, 'FleetUploadTrigger', {
            bucket: this.configBucket.bucket,
            prefixes: [FLEET_PREFIX],
            stateMachine: fleetRuns.stateMachine,
          });

    const driftChecks = this.workflowsByName.get(DRIFT_WORKFLOW);
    const driftSchedule = props.driftCheckSchedule ?? DEFAULT_DRIFT_SCHEDULE;
    checkDriftSchedule(driftSchedule, 'stack prop driftCheckSchedule');
    this.driftCheckSchedule =
      driftChecks === undefined || driftSchedule === DRIFT_SCHEDULE_OFF
        ? undefined
        : new scheduler.Schedule(this, 'DriftCheckSchedule', {
            // A schedule takes its tags from its group (it has none of its own): in a group of
            // the stack's, the boundary keeps pods from disabling or deleting it.
            scheduleGroup: new scheduler.ScheduleGroup(this, 'DriftCheckScheduleGroup'),
            description: `Starts the drift check${props.healDrift ? ', with heal,' : ''} on every managed cluster`,
            schedule: scheduler.ScheduleExpression.expression(driftSchedule),
            target: new schedulerTargets.StepFunctionsStartExecution(driftChecks.stateMachine, {
              input: scheduler.ScheduleTargetInput.fromObject({ heal: props.healDrift ?? false }),
            }),
          });
    this.driftAlarm =
      driftChecks === undefined
        ? undefined
        : alarmOnAny(
            this,
            'DriftCheckDriftedItemsAlarm',
            'A drift check found clusters that differ from their desired state (see its report)',
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: DRIFTED_ITEMS_METRIC,
              dimensionsMap: { [WORKFLOW_DIMENSION]: DRIFT_WORKFLOW },
              statistic: cloudwatch.Stats.SUM,
            }),
          );

    const failedItemsAlarms = new Map<string, cloudwatch.Alarm>();
    for (const workflow of WORKFLOWS_REPORTING_ITEMS) {
      if (this.workflowsByName.has(workflow)) {
        failedItemsAlarms.set(workflow, this.failedItemsAlarm(workflow));
      }
    }
    this.failedItemsAlarms = failedItemsAlarms;

    const newClustersStart = this.workflowsByName.get(
      props.clusterCreatedWorkflow ?? 'bootstrap-cluster',
    );
    this.clusterCreatedTrigger =
      newClustersStart === undefined
        ? undefined
        : new ClusterCreatedTrigger(this, 'ClusterCreatedTrigger', {
            stateMachine: newClustersStart.stateMachine,
          });
  }

  /** Runs whose report lists a failed item: a failed S3 drop fails items, not the execution. */
  private failedItemsAlarm(workflow: string): cloudwatch.Alarm {
    return alarmOnAny(
      this,
      `${pascalCase(workflow)}FailedItemsAlarm`,
      `Runs of the ${workflow} workflow reported failed items (see the run's report)`,
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: FAILED_ITEMS_METRIC,
        dimensionsMap: { [WORKFLOW_DIMENSION]: workflow },
        statistic: cloudwatch.Stats.SUM,
      }),
    );
  }

  /**
   * The managed policy every role the service creates carries unless the deployment names its
   * own boundary (functions/core/associations/escalation.ts): no IAM, STS, Organizations or
   * account writes beyond what pods need, and no change of a boundary. The task that creates
   * roles may create and edit them only with it.
   */
  private defaultPermissionsBoundary(guardrails: GuardrailProps): string {
    const { bucket, accessLogsBucket } = this.configBucket;
    const policy = new iam.ManagedPolicy(this, 'PermissionsBoundary', {
      path: ROLE_PATH,
      description:
        'Permissions boundary of every role EKS Pod Identity automation creates: no IAM, STS, ' +
        'Organizations or account writes beyond what pods need, no hold on the automation',
      document: iam.PolicyDocument.fromJson(
        permissionsBoundaryDocument({
          assignableRoleTag: assignableRoleTagOf(guardrails),
          allowedRoleArnPatterns: guardrails.allowedRoleArnPatterns,
          automationTagKey: AUTOMATION_TAG_KEY,
          bucketArns: [bucket, accessLogsBucket].flatMap((each) => [
            each.bucketArn,
            each.arnForObjects('*'),
          ]),
        }),
      ),
    });
    const caps =
      'Accepts that a role under this boundary may do anything outside IAM, STS, Organizations ' +
      'and Account that its own policies grant (NotAction on Resource *): a boundary caps, it ' +
      'grants nothing; what the role gets is its own policies, which the guardrails check.';
    Validations.of(policy).acknowledge(
      // cdk-nag's IAM5 rule cannot read a NotAction statement and reports an error instead.
      { id: 'AwsSolutions::AwsSolutions-IAM5', reason: caps },
      { id: 'CloudFormation-Validate::W2512', reason: caps },
    );
    new CfnOutput(this, 'PermissionsBoundaryArn', {
      description: 'Permissions boundary every role the service creates carries',
      value: policy.managedPolicyArn,
    });
    return policy.managedPolicyArn;
  }

  /**
   * Run documents (`runs/`) drive what the tasks do after load-association-request validated the request, so
   * nobody but the tasks may write them: a bucket writer cannot swap a validated request. The same
   * for the desired states (`desired/`), which the drift check replays and, with heal, applies: a
   * bucket writer cannot plant one.
   */
  private onlyTasksWriteRunDocuments(): void {
    const roles = [...new Set([...this.functionsByTask.values()].map((fn) => fn.taskRole.roleArn))];
    if (roles.length === 0) return;
    this.configBucket.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTasksWriteRunDocuments',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [
          this.configBucket.objectsUnder(this.configBucket.runsPrefix),
          this.configBucket.objectsUnder(DESIRED_PREFIX),
        ],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': roles } },
      }),
    );
  }

  /**
   * The VPC settings from props, else from context; with a VPC but no security group, one shared
   * group allowing outbound HTTPS only, so one rule on a cluster's security group admits them all.
   */
  private placeKubernetesApiTasks(
    props: PodIdentityAutomationStackProps,
  ): KubernetesApiNetwork | undefined {
    if (props.vpc === undefined && (props.vpcSubnets ?? props.securityGroups) !== undefined) {
      throw new NetworkSettingsError(
        'vpcSubnets and securityGroups place the Kubernetes-calling tasks in a VPC: give vpc too',
      );
    }
    const given =
      props.vpc === undefined
        ? kubernetesApiNetworkFromContext(this)
        : { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups };
    if (given === undefined || given.securityGroups !== undefined) return given;
    const securityGroup = new ec2.SecurityGroup(this, 'KubernetesApiSecurityGroup', {
      vpc: given.vpc,
      description: 'EKS Pod Identity automation tasks that call Kubernetes API endpoints',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to Kubernetes API endpoints and AWS APIs',
    );
    new CfnOutput(this, 'KubernetesApiSecurityGroupId', {
      description:
        'Security group of the tasks that call Kubernetes APIs: allow HTTPS from it in the ' +
        'security group of each cluster with a private endpoint',
      value: securityGroup.securityGroupId,
    });
    return { ...given, securityGroups: [securityGroup] };
  }

  /** `startedBy` lists the workflows that nest this one, outermost first (to report cycles). */
  private buildWorkflow(workflow: string, startedBy: readonly string[]): WorkflowStateMachine {
    const built = this.workflowsByName.get(workflow);
    if (built !== undefined) return built;
    const chain = [...startedBy, workflow];
    if (startedBy.includes(workflow)) {
      throw new WorkflowDefinitionError(
        `Workflows nest each other in a cycle: ${chain.join(' → ')}`,
      );
    }
    const file = workflowFile(this.stateMachinesDir, workflow);
    const parent = startedBy.at(-1);
    if (parent !== undefined && !existsSync(file)) {
      throw new WorkflowDefinitionError(
        `Workflow ${parent} starts \${${stateMachineArnPlaceholder(workflow)}}, but ${file} does not exist`,
      );
    }
    const definition = readWorkflowDefinition(file);

    const nestedStateMachines = Object.fromEntries(
      definition.nestedWorkflows.map((nested) => [
        nested,
        this.buildWorkflow(nested, chain).stateMachine,
      ]),
    );
    const taskFunctions = Object.fromEntries(
      definition.tasks.map((task) => [task, this.taskFunction(task, definition.file)]),
    );

    const stateMachine = new WorkflowStateMachine(this, `${pascalCase(workflow)}Workflow`, {
      definitionFile: file,
      taskFunctions,
      nestedStateMachines,
      substitutions: {
        ConfigBucketName: this.configBucket.bucketName,
        ...this.props.substitutions,
      },
      timeout: this.props.workflowTimeouts?.[workflow],
    });
    // The key the CLI's remote engine looks the state machine up by.
    new CfnOutput(this, stateMachineArnOutput(workflow), {
      description: `ARN of the ${workflow} workflow`,
      value: stateMachine.stateMachine.stateMachineArn,
    });
    this.workflowsByName.set(workflow, stateMachine);
    return stateMachine;
  }

  private taskFunction(task: string, referencedIn: string): TaskFunction {
    const existing = this.functionsByTask.get(task);
    if (existing !== undefined) return existing;
    const dir = findTaskDir(this.functionsDir, task);
    if (dir === undefined) {
      throw new WorkflowDefinitionError(
        `${referencedIn} references task ${task}, but ${handlerPattern(this.functionsDir, task)} does not exist`,
      );
    }
    const entry = handlerEntry(this.functionsDir, task);
    const descriptor = readTaskDescriptor(this.functionsDir, task);
    const network =
      (this.props.kubernetesApiTasks?.includes(task) ?? descriptor.kubernetesApi === true)
        ? this.kubernetesApiNetwork
        : undefined;
    const fn = new TaskFunction(this, `${pascalCase(task)}Function`, {
      entry,
      timeout: Duration.seconds(descriptor.timeout.timeoutSeconds),
      description: `Task ${task} of the EKS Pod Identity workflows`,
      role: this.sharedRoleOf(task),
      environment: {
        [TASK_WORKFLOWS_VARIABLE]: (this.workflowsOfTasks.get(task) ?? []).join(','),
      },
      ...network,
    });
    const permissions = taskPermissionsFor(this.props.grants ?? GRANTS, task, descriptor.grants, {
      stack: this,
      role: fn.taskRole,
      configBucket: this.configBucket,
      eventBusName: this.props.eventBusName ?? 'default',
      guardrails: this.guardrails,
      migratableRoleArnPatterns: this.props.migratableRoleArnPatterns,
    });
    fn.addTaskPermissions(permissions);
    this.functionsByTask.set(task, fn);
    return fn;
  }

  /** The role of the task's group, created with the group's first task; undefined if in none. */
  private sharedRoleOf(task: string): iam.Role | undefined {
    this.sharedTaskRoles ??= this.props.sharedTaskRoles ?? sharedTaskRoles(this.functionsDir);
    const groups = Object.entries(this.sharedTaskRoles).filter(([, tasks]) => tasks.includes(task));
    if (groups.length > 1) {
      throw new WorkflowDefinitionError(
        `Task ${task} is in several shared roles (${groups.map(([group]) => group).join(', ')}); a function has one role`,
      );
    }
    const [group] = groups;
    if (group === undefined) return undefined;
    const [name, tasks] = group;
    let role = this.sharedRoles.get(name);
    if (role === undefined) {
      role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `One identity (and EKS access entry) for the tasks ${tasks.join(', ')}`,
      });
      this.sharedRoles.set(name, role);
    }
    return role;
  }
}
