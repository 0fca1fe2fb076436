/**
 * `--engine remote`: starts the deployed state machine of a workflow, follows the execution
 * through its history (printing the progress lines the local runner prints) and returns its
 * output, so every command prints the same report whichever engine ran the workflow.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  cloudFormationClient,
  configureAwsClients,
  sfnClient,
} from '../../functions/aws/clients.ts';
import { asError, NamedError } from '../../functions/core/errors.ts';
import { STACK_NAME, stateMachineArnOutput, workflowOfOutput } from '../../infra/stack-outputs.ts';
import { workflowStates } from '../runner/definition.ts';
import { ProgressLines, retryLine } from '../runner/progress-lines.ts';
import { WorkflowFailedError } from '../runner/run-workflow.ts';
import { awsAccessError } from './aws-access.ts';
import type { Engine } from './engine-types.ts';
import { configuredRegion, NO_REGION } from './region.ts';
import { UsageError } from './usage-error.ts';

/** Often enough to feel live, rarely enough to stay far below DescribeExecution's rate limit. */
const DEFAULT_POLL_INTERVAL_MS = 2000;
/** Events per history page; each may carry up to 256 KiB of state data. */
const HISTORY_PAGE_SIZE = 100;
const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
/** Errors StartExecution answers when the ARN or the input, not the service, is wrong. */
const START_USAGE_ERRORS = new Set([
  'InvalidArn',
  'StateMachineDoesNotExist',
  'StateMachineDeleting',
  'InvalidExecutionInput',
  'InvalidName',
]);

/** Ctrl-C while following: the execution goes on in the cloud; the message says where to find it. */
export class FollowStoppedError extends NamedError {
  override readonly name = 'FollowStoppedError';
  constructor(readonly executionArn: string) {
    super(
      `stopped following; the execution keeps running in Step Functions: ${executionArn}\n${lookItUp(executionArn)}`,
    );
  }
}

export interface RemoteEngineOptions {
  /** `--region`; else the region of `stateMachineArn`, else AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** `--state-machine-arn`: run this state machine instead of the one the stack outputs. */
  stateMachineArn?: string;
  /**
   * `--stack-name`: the deployed stack whose outputs name the state machines.
   *
   * @default STACK_NAME
   */
  stackName?: string;
  /**
   * Time between two looks at the execution.
   *
   * @default 2000
   */
  pollIntervalMs?: number;
}

/** An engine that runs workflows as executions of the deployed state machines. */
export async function openRemoteEngine(
  options: RemoteEngineOptions,
  log: (line: string) => void,
): Promise<Engine> {
  const region = await remoteRegion(options);
  process.env.AWS_REGION = region;
  configureAwsClients({ region });
  const stackName = options.stackName ?? STACK_NAME;
  let deployed: Promise<DeployedStack> | undefined;
  const deployedStack = () => {
    deployed ??= readDeployedStack(stackName, region);
    return deployed;
  };

  /** The executions this engine started, by name. */
  const started = new Map<string, string>();

  return {
    region,
    simulator: undefined,
    run: async (workflow, input, hooks) => {
      const progress = hooks?.onProgress ?? log;
      const stateMachineArn =
        options.stateMachineArn ??
        stateMachineOf(await deployedStack(), workflow, stackName, region);
      // Nested executions are named by workflow when the stack's outputs are at hand.
      const workflowsByArn = options.stateMachineArn
        ? new Map<string, string>()
        : workflowsOf((await deployedStack()).outputs);
      const name = hooks?.executionName ?? executionName(workflow);
      const executionArn = await startExecution(stateMachineArn, name, input);
      started.set(name, executionArn);
      progress(`${workflow}: started execution ${executionArn}`);
      return followUntilInterrupted(hooks?.signal, (signal) =>
        followExecution(executionArn, {
          workflow,
          log: progress,
          pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
          signal,
          workflowsByArn,
        }),
      );
    },
    // Nothing is simulated: the execution's history is the record.
    record: () => undefined,
    abandoned: (name) => {
      const executionArn = started.get(name);
      return executionArn === undefined
        ? `(execution ${name}), whose start Step Functions had not confirmed yet; if it started, it runs there under that name`
        : `(execution ${executionArn}), which keeps running in Step Functions\n${lookItUp(executionArn)}`;
    },
    close: async () => undefined,
    followsInterrupts: true,
  };
}

async function remoteRegion(options: RemoteEngineOptions): Promise<string> {
  let arnRegion: string | undefined;
  if (options.stateMachineArn !== undefined) {
    const match = STATE_MACHINE_ARN.exec(options.stateMachineArn);
    if (!match) {
      throw new UsageError(
        `--state-machine-arn ${options.stateMachineArn} is not a state machine ARN ` +
          '(arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)',
      );
    }
    arnRegion = match[1];
    if (options.region !== undefined && options.region !== arnRegion) {
      throw new UsageError(
        `--region ${options.region} differs from the region of --state-machine-arn (${arnRegion})`,
      );
    }
  }
  const region = options.region ?? arnRegion ?? (await configuredRegion());
  if (!region) throw new UsageError(NO_REGION);
  return region;
}

export interface DeployedStack {
  outputs: Map<string, string>;
  /** The stack's status when its outputs cannot be trusted to be complete. */
  unsettledStatus: string | undefined;
}

export async function readDeployedStack(stackName: string, region: string): Promise<DeployedStack> {
  let stack: Stack | undefined;
  try {
    const { Stacks } = await cloudFormationClient().send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    stack = Stacks?.[0];
  } catch (error) {
    const failure = asError(error);
    // CloudFormation answers a stack it does not know with a ValidationError, not a 404.
    if (failure.name !== 'ValidationError' || !/does not exist/.test(failure.message)) {
      throw awsAccessError(failure, `read stack ${stackName} in ${region}`) ?? failure;
    }
  }
  if (stack === undefined) {
    throw new UsageError(
      `stack ${stackName} does not exist in ${region}: deploy it with \`npx cdk deploy\` ` +
        '(see README, Deploy), pass --stack-name if it was deployed under another name, ' +
        'or pass --state-machine-arn ARN',
    );
  }
  const outputs = new Map<string, string>();
  for (const output of stack.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue) outputs.set(output.OutputKey, output.OutputValue);
  }
  const status = stack.StackStatus;
  return {
    outputs,
    // In progress, or a failed creation rolled back: outputs may be missing or stale.
    unsettledStatus:
      status && (status === 'ROLLBACK_COMPLETE' || !/_COMPLETE$/.test(status)) ? status : undefined,
  };
}

function stateMachineOf(
  { outputs, unsettledStatus: status }: DeployedStack,
  workflow: string,
  stackName: string,
  region: string,
): string {
  const key = stateMachineArnOutput(workflow);
  const arn = outputs.get(key);
  if (arn !== undefined) return arn;
  throw new UsageError(
    `stack ${stackName} in ${region} has no output ${key}, so the ${workflow} workflow is not ` +
      `deployed there${status ? ` (stack status: ${status})` : ''}: deploy it with ` +
      '`npx cdk deploy`, or pass --state-machine-arn ARN',
  );
}

function workflowsOf(outputs: Map<string, string>): Map<string, string> {
  const byArn = new Map<string, string>();
  for (const [key, value] of outputs) {
    const workflow = workflowOfOutput(key);
    if (workflow !== undefined) byArn.set(value, workflow);
  }
  return byArn;
}

/**
 * `eks-pia-associations-20250114T093012-3f9a1c`: sortable, readable in the console, unique. The
 * local engine names its runs so too (their run records are `runs/<name>/`).
 */
export function executionName(workflow: string): string {
  const time = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `eks-pia-${workflow}-${time}-${randomBytes(3).toString('hex')}`.slice(0, 80);
}

async function startExecution(
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<string> {
  try {
    const { executionArn } = await sfnClient().send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input ?? {}) }),
    );
    if (!executionArn) throw new Error(`StartExecution of ${stateMachineArn} returned no ARN`);
    return executionArn;
  } catch (error) {
    const failure = asError(error);
    if (START_USAGE_ERRORS.has(failure.name)) {
      throw new UsageError(`cannot start ${stateMachineArn}: ${failure.name}: ${failure.message}`, {
        cause: failure,
      });
    }
    throw awsAccessError(failure, `start ${stateMachineArn}`) ?? failure;
  }
}

/**
 * Ctrl-C (or `stop`, when the command stops waiting) stops following, and only that: the
 * execution goes on in the cloud.
 */
async function followUntilInterrupted<T>(
  stop: AbortSignal | undefined,
  follow: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  stop?.addEventListener('abort', interrupt, { once: true });
  if (stop?.aborted) interrupt();
  try {
    return await follow(controller.signal);
  } finally {
    process.off('SIGINT', interrupt);
    stop?.removeEventListener('abort', interrupt);
  }
}

export interface FollowOptions {
  /** Workflow name, for the WorkflowFailedError. */
  workflow: string;
  log: (line: string) => void;
  pollIntervalMs: number;
  signal: AbortSignal;
  /** Names of the deployed workflows by state machine ARN, to name nested executions. */
  workflowsByArn: ReadonlyMap<string, string>;
}

/**
 * Polls the execution until it is no longer running, printing progress from its history (and
 * from the histories of the executions it nests). Returns the output of a successful execution.
 *
 * @throws WorkflowFailedError when it failed, timed out or was aborted.
 * @throws FollowStoppedError when `signal` aborts first.
 */
export async function followExecution(
  executionArn: string,
  options: FollowOptions,
): Promise<unknown> {
  const follower = new ExecutionFollower(executionArn, options);
  const stopped = () => new FollowStoppedError(executionArn);
  try {
    for (;;) {
      const description = await sfnClient().send(new DescribeExecutionCommand({ executionArn }), {
        abortSignal: options.signal,
      });
      // Read after describing, so the events of a finished execution are all in.
      await follower.readAll();
      if (options.signal.aborted) throw stopped();
      if (description.status !== 'RUNNING' && description.status !== 'PENDING_REDRIVE') {
        return outcome(description, options.workflow, follower.failedState());
      }
      await sleep(options.pollIntervalMs, undefined, { signal: options.signal });
    }
  } catch (error) {
    if (options.signal.aborted && !(error instanceof WorkflowFailedError)) throw stopped();
    throw awsAccessError(error, `follow execution ${executionArn}`) ?? error;
  }
}

function outcome(
  description: DescribeExecutionOutput,
  workflow: string,
  failedState: string | undefined,
): unknown {
  switch (description.status) {
    case 'SUCCEEDED':
      return description.output === undefined ? null : JSON.parse(description.output);
    case 'TIMED_OUT':
      throw new WorkflowFailedError(
        workflow,
        description.error ?? 'States.Timeout',
        description.cause ?? 'the execution exceeded its TimeoutSeconds',
        failedState,
      );
    case 'ABORTED':
      throw new WorkflowFailedError(
        workflow,
        description.error ?? 'States.Aborted',
        description.cause ?? 'the execution was stopped (StopExecution)',
        failedState,
      );
    default:
      throw new WorkflowFailedError(
        workflow,
        description.error ?? 'States.Runtime',
        description.cause ?? `the execution ended ${description.status ?? 'without a status'}`,
        failedState,
      );
  }
}

/** Where an event happened: the state it belongs to and the event that entered that state. */
interface EventPlace {
  readonly entry: number;
  readonly state: string | undefined;
}

const NOWHERE: EventPlace = { entry: 0, state: undefined };

/** Events that end a task attempt with an error; the task may then be retried. */
const TASK_FAILURES: Readonly<Record<string, (event: HistoryEvent) => string | undefined>> = {
  LambdaFunctionFailed: (event) => event.lambdaFunctionFailedEventDetails?.error,
  LambdaFunctionTimedOut: (event) =>
    event.lambdaFunctionTimedOutEventDetails?.error ?? 'States.Timeout',
  LambdaFunctionStartFailed: (event) => event.lambdaFunctionStartFailedEventDetails?.error,
  LambdaFunctionScheduleFailed: (event) => event.lambdaFunctionScheduleFailedEventDetails?.error,
  TaskFailed: (event) => event.taskFailedEventDetails?.error,
  TaskTimedOut: (event) => event.taskTimedOutEventDetails?.error ?? 'States.Timeout',
  TaskStartFailed: (event) => event.taskStartFailedEventDetails?.error,
  TaskSubmitFailed: (event) => event.taskSubmitFailedEventDetails?.error,
};

/**
 * Reads one execution's history as it grows and turns it into progress lines.
 *
 * Step Functions has no cursor to resume a history from: the nextToken of the last page is
 * absent. So the history is read newest first (`reverseOrder`), page by page, down to the last
 * event already seen; each event is handled exactly once, in order.
 */
class ExecutionFollower {
  private lastEventId = 0;
  /** Every event's place: state-entered events open one, the others inherit their predecessor's. */
  private readonly places = new Map<number, EventPlace>();
  private readonly failureEvents = new Set<number>();
  private failureState: string | undefined;
  /** Task attempts per state entry, to tell a retry from a first attempt. */
  private readonly attempts = new Map<number, number>();
  private readonly lastErrors = new Map<number, string>();
  private readonly progress: ProgressLines;
  /** Nested executions by the entry of the state that started them. */
  private readonly children = new Map<number, { name: string; follower: ExecutionFollower }>();

  constructor(
    private readonly executionArn: string,
    private readonly options: FollowOptions,
  ) {
    // The deployed definition is the shipped file: it says which Maps count associations.
    this.progress = new ProgressLines(workflowStates(options.workflow), options.log);
  }

  /** The state the execution failed in, from its last failure event. */
  failedState(): string | undefined {
    return this.failureState;
  }

  /** Handles the new events of this execution, then those of the nested executions still open. */
  async readAll(): Promise<void> {
    for (const event of await this.newEvents()) await this.handle(event);
    for (const { follower } of this.children.values()) await follower.readAll();
  }

  private async newEvents(): Promise<HistoryEvent[]> {
    const newestFirst: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfnClient().send(
        new GetExecutionHistoryCommand({
          executionArn: this.executionArn,
          reverseOrder: true,
          maxResults: HISTORY_PAGE_SIZE,
          includeExecutionData: true,
          nextToken,
        }),
        { abortSignal: this.options.signal },
      );
      let reachedSeen = false;
      for (const event of page.events ?? []) {
        if ((event.id ?? 0) <= this.lastEventId) {
          reachedSeen = true;
          break;
        }
        newestFirst.push(event);
      }
      nextToken = reachedSeen ? undefined : page.nextToken;
    } while (nextToken !== undefined);
    const events = newestFirst.reverse();
    this.lastEventId = events.at(-1)?.id ?? this.lastEventId;
    return events;
  }

  private async handle(event: HistoryEvent): Promise<void> {
    const id = event.id ?? 0;
    const type = event.type ?? '';
    const place: EventPlace = type.endsWith('StateEntered')
      ? { entry: id, state: event.stateEnteredEventDetails?.name }
      : (this.places.get(event.previousEventId ?? 0) ?? NOWHERE);
    this.places.set(id, place);
    const { log } = this.options;
    const state = place.state ?? 'execution';

    if (Object.hasOwn(TASK_FAILURES, type)) {
      const taskError = TASK_FAILURES[type]?.(event);
      this.lastErrors.set(place.entry, taskError ?? 'an error');
      this.failedAt(id, place.state);
      await this.closeChild(place, `failed: ${taskError ?? 'an error'}`);
      return;
    }

    if (type.endsWith('StateExited')) {
      const exited = event.stateExitedEventDetails;
      if (exited?.name !== undefined) this.progress.exited(exited.name, parseJson(exited.output));
      return;
    }

    switch (type) {
      case 'LambdaFunctionScheduled':
      case 'TaskScheduled': {
        const attempt = (this.attempts.get(place.entry) ?? 0) + 1;
        this.attempts.set(place.entry, attempt);
        if (attempt > 1) log(retryLine(state, this.lastErrors.get(place.entry), attempt - 1));
        break;
      }
      case 'TaskSubmitted':
        this.openChild(event, place);
        break;
      case 'TaskSucceeded':
        await this.closeChild(place, 'succeeded');
        break;
      case 'TaskStateAborted':
        await this.closeChild(place, 'was aborted');
        break;
      case 'MapStateEntered':
      case 'WaitStateEntered':
        if (place.state !== undefined) {
          this.progress.entered(
            place.state,
            parseJson(event.stateEnteredEventDetails?.input),
            type === 'MapStateEntered' ? 'Map' : 'Wait',
          );
        }
        break;
      case 'MapStateStarted':
        if (place.state !== undefined) {
          this.progress.mapStarted(place.state, event.mapStateStartedEventDetails?.length);
        }
        break;
      case 'MapIterationSucceeded':
        this.iterationDone(event.mapIterationSucceededEventDetails?.name, true);
        break;
      case 'MapIterationFailed': {
        const map = event.mapIterationFailedEventDetails?.name;
        this.failedAt(id, map);
        this.iterationDone(map, false);
        break;
      }
      case 'MapIterationAborted':
        this.iterationDone(event.mapIterationAbortedEventDetails?.name, false);
        break;
      case 'FailStateEntered':
        this.failedAt(id, place.state);
        break;
      case 'EvaluationFailed':
        this.failedAt(id, event.evaluationFailedEventDetails?.state ?? place.state);
        break;
      case 'MapStateFailed':
      case 'ParallelStateFailed':
        // Caused by the failed iteration or branch just recorded, which named the state.
        this.failureEvents.add(id);
        break;
      case 'ExecutionFailed':
        if (!this.failureEvents.has(event.previousEventId ?? 0)) this.failedAt(id, place.state);
        break;
      default:
        break;
    }
  }

  private failedAt(eventId: number, state: string | undefined): void {
    this.failureEvents.add(eventId);
    if (state !== undefined) this.failureState = state;
  }

  private iterationDone(map: string | undefined, succeeded: boolean): void {
    if (map !== undefined) this.progress.iterationEnded(map, succeeded);
  }

  /** A `startExecution.sync` task submitted its child: follow the child from now on. */
  private openChild(event: HistoryEvent, place: EventPlace): void {
    const details = event.taskSubmittedEventDetails;
    if (details?.resourceType !== 'states' || !details.resource?.startsWith('startExecution')) {
      return;
    }
    const childArn = parseJsonField(details.output, 'ExecutionArn');
    if (childArn === undefined) return;
    const stateMachineArn = stateMachineOfExecution(childArn);
    const name =
      this.options.workflowsByArn.get(stateMachineArn) ??
      stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);
    this.children.set(place.entry, {
      name,
      follower: new ExecutionFollower(childArn, { ...this.options, workflow: name }),
    });
    this.options.log(
      `${place.state ?? 'execution'}: started nested workflow ${name} (${childArn})`,
    );
  }

  /** The task that ran a child ended: print the child's last events before saying how it ended. */
  private async closeChild(place: EventPlace, ending: string): Promise<void> {
    const child = this.children.get(place.entry);
    if (child === undefined) return;
    this.children.delete(place.entry);
    await child.follower.readAll();
    this.options.log(`${place.state ?? 'execution'}: nested workflow ${child.name} ${ending}`);
  }
}

/** A state's input or output in the history; undefined when left out or not JSON. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseJsonField(text: string | undefined, field: string): string | undefined {
  const value = (parseJson(text) as Record<string, unknown> | null | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
}

/** `arn:…:execution:<state machine>:<name>` → `arn:…:stateMachine:<state machine>`. */
function stateMachineOfExecution(executionArn: string): string {
  return executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
}

/** How to find an execution this command no longer follows. */
function lookItUp(executionArn: string): string {
  return `  look it up with: aws stepfunctions describe-execution --execution-arn ${executionArn}${consoleLink(executionArn)}`;
}

function consoleLink(executionArn: string): string {
  const [, partition, , region] = executionArn.split(':');
  if (partition !== 'aws' || !region) return '';
  return `\n  or in the console: https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
