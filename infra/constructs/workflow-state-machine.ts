import { ArnFormat, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  functionArnPlaceholder,
  readWorkflowDefinition,
  stateMachineArnPlaceholder,
  type WorkflowDefinition,
  WorkflowDefinitionError,
} from '../../functions/core/workflow-files.ts';
import { wildcardResourceFinding } from '../nag.ts';
import { alarmOnAny } from './alarm-notifications.ts';

// Step Functions creates this rule in the account to learn when a `.sync` child execution ends.
const SYNC_EVENTS_RULE = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';
const DEFAULT_TIMEOUT = Duration.hours(1);

export interface WorkflowStateMachineProps {
  /** Path of the workflow's `<workflow>.asl.json` file. */
  readonly definitionFile: string;
  /**
   * Functions of the tasks the definition references, keyed by task (kebab-case folder name).
   * Each fills `${<Task>FunctionArn}` and is the only function the state machine may invoke.
   *
   * @default none
   */
  readonly taskFunctions?: Readonly<Record<string, lambda.IFunction>>;
  /**
   * State machines of the nested workflows the definition starts with `startExecution.sync:2`,
   * keyed by workflow name. Each fills `${<Workflow>StateMachineArn}`.
   *
   * @default none
   */
  readonly nestedStateMachines?: Readonly<Record<string, sfn.StateMachine>>;
  /**
   * Values for other placeholders, e.g. `{ ConfigBucketName: bucket.bucketName }`. Entries the
   * definition does not use are left out of the template.
   *
   * @default none
   */
  readonly substitutions?: Readonly<Record<string, string>>;
  /**
   * Longest an execution may run before Step Functions stops it (States.Timeout). Written into
   * the definition as `TimeoutSeconds`, which CDK does not do for a definition read from a file.
   *
   * @default the file's `TimeoutSeconds`, else Duration.hours(1)
   */
  readonly timeout?: Duration;
  /**
   * Execution history stays in the console for 90 days; the logs are kept as long by default.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The log group has a fixed name, so a retained group must be deleted before a stack of the
   * same name is created again.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Alarms raised when any execution ends badly or cannot start, within a 5-minute window. */
export interface WorkflowAlarms {
  readonly failed: cloudwatch.Alarm;
  readonly timedOut: cloudwatch.Alarm;
  readonly aborted: cloudwatch.Alarm;
  readonly throttled: cloudwatch.Alarm;
}

/**
 * A Standard state machine built from one ASL file, with its placeholders filled, logging of every
 * event (with data) to a vended log group, X-Ray tracing, an overall timeout, alarms, and IAM
 * limited to the functions and nested state machines the file names.
 */
export class WorkflowStateMachine extends Construct {
  readonly workflow: string;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly alarms: WorkflowAlarms;

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    const definition = readWorkflowDefinition(props.definitionFile);
    const taskFunctions = pick(definition, 'task function', definition.tasks, props.taskFunctions);
    const nestedStateMachines = pick(
      definition,
      'nested state machine',
      definition.nestedWorkflows,
      props.nestedStateMachines,
    );
    this.workflow = definition.workflow;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs from adding each state machine's log
      // group to the account's size-limited log resource policy. The group outlives the stack, so
      // its name ends with the stack's own id: a stack deployed again after a destroy gets a new
      // id and a new group instead of colliding with the kept one.
      logGroupName: stateMachineLogGroupName(Stack.of(this), definition.workflow),
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Inline rather than DefinitionBody.fromFile: fromFile uploads the file as an S3 asset, which
      // hides the workflow from `cdk diff` and from template assertions. Substitution is the same.
      definitionBody: sfn.DefinitionBody.fromString(
        JSON.stringify(
          { ...definition.asl, TimeoutSeconds: timeoutSeconds(definition, props.timeout) },
          null,
          2,
        ),
      ),
      definitionSubstitutions: substitutionsFor(
        definition,
        taskFunctions,
        nestedStateMachines,
        props.substitutions ?? {},
      ),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    for (const fn of Object.values(taskFunctions)) {
      // Not fn.grantInvoke: that also allows `<arn>:*` (every version and alias), and the
      // definition only ever invokes the unqualified ARN.
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [fn.functionArn],
        }),
      );
    }
    this.grantNestedExecutions(Object.values(nestedStateMachines));

    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the statements CDK adds for logging and tracing use *: the CloudWatch Logs delivery ' +
        'actions (logs:CreateLogDelivery, ...) and X-Ray PutTraceSegments/PutTelemetryRecords/' +
        'GetSampling* support no resource-level permissions.',
    });

    this.alarms = {
      failed: this.executionAlarm('ExecutionsFailed', 'failed'),
      timedOut: this.executionAlarm('ExecutionsTimedOut', 'timed out'),
      aborted: this.executionAlarm('ExecutionsAborted', 'were aborted'),
      throttled: this.executionAlarm('ExecutionThrottled', 'were throttled'),
    };
  }

  /**
   * What `startExecution.sync:2` needs and CDK only adds for chainable definitions: start the
   * child, follow and stop its executions, and manage the rule through which Step Functions
   * learns that a child execution ended.
   */
  private grantNestedExecutions(nested: readonly sfn.StateMachine[]): void {
    if (nested.length === 0) return;
    const stack = Stack.of(this);
    for (const child of nested) {
      child.grantStartExecution(this.stateMachine);
      const childExecutions = stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${child.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [childExecutions],
        }),
      );
      Validations.of(this.stateMachine).acknowledge({
        id: wildcardResourceFinding(this, childExecutions),
        reason:
          'An execution ARN ends with the name Step Functions generates for each child run; ' +
          'the wildcard covers only executions of this one nested state machine.',
      });
    }
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_EVENTS_RULE }),
        ],
      }),
    );
  }

  /** Alarms on any execution `metricName` counts; its id follows the metric's. */
  private executionAlarm(metricName: string, what: string): cloudwatch.Alarm {
    return alarmOnAny(
      this,
      `${metricName}Alarm`,
      `Executions of the ${this.workflow} workflow ${what}`,
      this.stateMachine.metric(metricName, { statistic: cloudwatch.Stats.SUM }),
    );
  }
}

/** `/aws/vendedlogs/states/<stack name>/<workflow>-<the UUID in the stack's id>`. */
export function stateMachineLogGroupName(stack: Stack, workflow: string): string {
  const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
  return Fn.join('', [`/aws/vendedlogs/states/${stack.stackName}/${workflow}-`, stackUuid]);
}

function timeoutSeconds(definition: WorkflowDefinition, timeout: Duration | undefined): number {
  if (timeout !== undefined) return timeout.toSeconds();
  const fromFile = definition.asl.TimeoutSeconds;
  return typeof fromFile === 'number' ? fromFile : DEFAULT_TIMEOUT.toSeconds();
}

/** The entries of `given` the definition references; fails if any of them is missing. */
function pick<T>(
  definition: WorkflowDefinition,
  kind: string,
  names: readonly string[],
  given: Readonly<Record<string, T>> | undefined,
): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const name of names) {
    const value = given !== undefined && Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined) {
      throw new WorkflowDefinitionError(
        `${definition.file} references ${name}, but no ${kind} was given for it`,
      );
    }
    picked[name] = value;
  }
  return picked;
}

function substitutionsFor(
  definition: WorkflowDefinition,
  taskFunctions: Readonly<Record<string, lambda.IFunction>>,
  nestedStateMachines: Readonly<Record<string, sfn.StateMachine>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const available = new Map<string, string>(Object.entries(extra));
  for (const [task, fn] of Object.entries(taskFunctions)) {
    available.set(functionArnPlaceholder(task), fn.functionArn);
  }
  for (const [workflow, child] of Object.entries(nestedStateMachines)) {
    available.set(stateMachineArnPlaceholder(workflow), child.stateMachineArn);
  }
  const substitutions: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of definition.placeholders) {
    const value = available.get(name);
    if (value === undefined) missing.push(`\${${name}}`);
    else substitutions[name] = value;
  }
  if (missing.length > 0) {
    throw new WorkflowDefinitionError(
      `${definition.file} uses ${missing.join(', ')}, but no substitution was given for it`,
    );
  }
  return substitutions;
}
