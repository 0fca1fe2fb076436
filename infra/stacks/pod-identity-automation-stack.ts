import { existsSync } from 'node:fs';
import { CfnOutput, type Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ConfigBucket } from '../constructs/config-bucket.ts';
import { ConfigUploadTrigger } from '../constructs/config-upload-trigger.ts';
import { TaskFunction } from '../constructs/task-function.ts';
import { WorkflowStateMachine } from '../constructs/workflow-state-machine.ts';
import { WorkflowDefinitionError } from '../errors.ts';
import { checkGuardrails, type GuardrailProps } from '../guardrails.ts';
import { FUNCTIONS_DIR, STATE_MACHINES_DIR } from '../paths.ts';
import {
  TASK_PERMISSIONS,
  type TaskPermissionsMap,
  taskPermissionsFor,
} from '../task-permissions.ts';
import {
  handlerEntry,
  listWorkflows,
  pascalCase,
  readWorkflowDefinition,
  stateMachineArnPlaceholder,
  workflowFile,
} from '../workflow-files.ts';

export interface PodIdentityAutomationStackProps extends StackProps {
  /**
   * Folder holding one `<task>/handler.ts` per task.
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
   * IAM per task; every task a workflow references must have an entry.
   *
   * @default TASK_PERMISSIONS from infra/task-permissions.ts
   */
  readonly taskPermissions?: TaskPermissionsMap;
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
   * What a config may grant: checked by load-request (env `GUARDRAILS`) before anything changes
   * and, where IAM can, enforced on process-batch's role too (permissions boundary of created
   * roles, roles it may pass).
   *
   * @default none: the tasks' default denials apply
   */
  readonly guardrails?: GuardrailProps;
  /**
   * The bus the run-completed events are put on.
   *
   * @default 'default'
   */
  readonly eventBusName?: string;
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

  private readonly functionsDir: string;
  private readonly stateMachinesDir: string;
  private readonly props: PodIdentityAutomationStackProps;
  private readonly guardrails: GuardrailProps;
  private readonly functionsByTask = new Map<string, TaskFunction>();
  private readonly workflowsByName = new Map<string, WorkflowStateMachine>();

  constructor(scope: Construct, id: string, props: PodIdentityAutomationStackProps = {}) {
    super(scope, id, {
      description: 'EKS Pod Identity automation: Step Functions workflows and their Lambda tasks',
      ...props,
    });
    this.props = props;
    this.functionsDir = props.functionsDir ?? FUNCTIONS_DIR;
    this.stateMachinesDir = props.stateMachinesDir ?? STATE_MACHINES_DIR;
    this.taskFunctions = this.functionsByTask;
    this.workflows = this.workflowsByName;
    this.guardrails = props.guardrails ?? {};
    checkGuardrails(this.guardrails);

    this.configBucket = new ConfigBucket(this, 'ConfigBucket', {
      bucketName: props.configBucketName,
    });
    new CfnOutput(this, 'ConfigBucketName', {
      description:
        'Bucket for eksctl configs: an upload under create/, update/, delete/ or apply/ starts a run',
      value: this.configBucket.bucketName,
    });

    for (const workflow of props.workflows ?? listWorkflows(this.stateMachinesDir)) {
      this.buildWorkflow(workflow, []);
    }

    const uploadsStart = this.workflowsByName.get(props.configUploadWorkflow ?? 'associations');
    this.configUploadTrigger =
      uploadsStart === undefined
        ? undefined
        : new ConfigUploadTrigger(this, 'ConfigUploadTrigger', {
            bucket: this.configBucket.bucket,
            prefixes: this.configBucket.triggerPrefixes,
            stateMachine: uploadsStart.stateMachine,
          });
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
    new CfnOutput(this, `${pascalCase(workflow)}StateMachineArn`, {
      description: `ARN of the ${workflow} workflow`,
      value: stateMachine.stateMachine.stateMachineArn,
    });
    this.workflowsByName.set(workflow, stateMachine);
    return stateMachine;
  }

  private taskFunction(task: string, referencedIn: string): TaskFunction {
    const existing = this.functionsByTask.get(task);
    if (existing !== undefined) return existing;
    const entry = handlerEntry(this.functionsDir, task);
    if (!existsSync(entry)) {
      throw new WorkflowDefinitionError(
        `${referencedIn} references task ${task}, but ${entry} does not exist`,
      );
    }
    const fn = new TaskFunction(this, `${pascalCase(task)}Function`, {
      entry,
      description: `Task ${task} of the EKS Pod Identity workflows`,
    });
    const permissions = taskPermissionsFor(this.props.taskPermissions ?? TASK_PERMISSIONS, task, {
      stack: this,
      role: fn.taskRole,
      configBucket: this.configBucket,
      eventBusName: this.props.eventBusName ?? 'default',
      guardrails: this.guardrails,
    });
    fn.addTaskPermissions(permissions);
    this.functionsByTask.set(task, fn);
    return fn;
  }
}
