/**
 * Runs a workflow's ASL file in-process with aws-local-stepfunctions, calling the real Lambda
 * handlers for its Task states and running nested `startExecution.sync:2` workflows the same way.
 */
import './polyfill.ts';
import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import {
  inLambdaInstance,
  type LambdaInstance,
  newLambdaInstance,
} from '../../functions/aws/clients.ts';
import { NamedError } from '../../functions/core/errors.ts';
import { jsonBytes } from '../../functions/core/run-output.ts';
import { loadTaskDescriptor } from '../../functions/core/task-descriptor.ts';
import {
  handlerEntry,
  NESTED_RUN_RESOURCE,
  TASK_WORKFLOWS_VARIABLE,
  WorkflowDefinitionError,
  workflowsByTask,
} from '../../functions/core/workflow-files.ts';
import {
  type AslDefinition,
  type AslState,
  allStates,
  FUNCTIONS_DIR,
  type LocalAccount,
  loadDefinition,
  STATE_MACHINES_DIR,
  stateMachineArn,
  taskOfResource,
  workflowOfStateMachineArn,
} from './definition.ts';
import { ProgressLines, retryLine } from './progress-lines.ts';

/** Step Functions refuses state input or output above 256 KiB; the runner does too. */
const PAYLOAD_LIMIT_BYTES = 256 * 1024;
/** A Standard execution's history holds at most 25,000 events (hard); one more fails it. */
const HISTORY_EVENT_LIMIT = 25_000;
/**
 * The error a run that reaches the history limit fails with here. Step Functions logs
 * ExecutionFailed then, with no error name documented for it, so the runner names its own.
 */
export const HISTORY_LIMIT_EXCEEDED = 'HistoryLimitExceeded';
/** The error a Task state gets when its function runs past the function's own timeout. */
export const LAMBDA_TIMED_OUT = 'Sandbox.Timedout';

/**
 * The runner started after something had made Lambda's InvokeStore without per-invocation
 * scope (the SDK makes one at its first request), so concurrent invocations would share their
 * Powertools state.
 */
export class InvocationScopeError extends NamedError {
  override readonly name = 'InvocationScopeError';
}

/**
 * The simulated instances share one process, so one copy of each handler's module and of the
 * Powertools logger in it. Where Lambda runs invocations side by side in one environment, its
 * runtime gives each an InvokeStore context, in which Powertools then keeps what an invocation
 * adds (its correlation keys, its Lambda context) once AWS_LAMBDA_MAX_CONCURRENCY is set. The
 * runner does the same, so no invocation's log lines carry another's keys and none clears
 * another's. The value only switches the scoping on: the runner caps no instance's concurrency.
 */
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
const invokeStore: InvokeStoreBase = await InvokeStore.getInstanceAsync(true);
invokeStore.run({}, () => undefined);
if (invokeStore.hasContext()) {
  throw new InvocationScopeError(
    'an InvokeStore without per-invocation scope was made before the local runner loaded: import local/runner/run-workflow.ts before any AWS SDK client sends a request',
  );
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export class WorkflowFailedError extends NamedError {
  override readonly name = 'WorkflowFailedError';
  constructor(
    readonly workflow: string,
    /** The error name the execution failed with (a task's error name, or a Fail state's Error). */
    readonly error: string,
    override readonly cause: string,
    /** The last state that failed, when known. */
    readonly state: string | undefined,
  ) {
    super(`workflow ${workflow} failed${state ? ` in state "${state}"` : ''}: ${error}: ${cause}`);
  }
}

export interface RunWorkflowOptions extends LocalAccount {
  /** Substitutions other than task and nested-workflow ARNs (bucket names, bus names...). */
  substitutions?: Record<string, string>;
  /** Wait states and retry intervals take milliseconds instead of seconds (simulator runs). */
  shortenWaits?: boolean;
  /** One human-readable line per notable event: Map progress, retries, nested runs. */
  onProgress?: (line: string) => void;
  /** Called for every task invocation, to count Lambda invocations in benchmarks. */
  onTaskInvoked?: (task: string) => void;
  /** Counts state transitions as Step Functions bills them (one per state entered). */
  onStateEntered?: (state: string) => void;
  /**
   * Called with the size of every state's input (as it enters) and output (as it leaves), nested
   * runs included, so a test can show that no state's data grows with the work. Data over the
   * limit fails the run (States.DataLimitExceeded) as it fails an execution in the cloud.
   */
  onStateData?: (state: string, data: 'input' | 'output', bytes: number) => void;
  /**
   * Called once each execution ends, nested runs included (each has a history of its own), with
   * the history events it recorded, counted as the run counts them against Step Functions' 25,000.
   */
  onHistoryEvents?: (workflow: string, events: number) => void;
  executionName?: string;
  stateMachinesDir?: string;
  functionsDir?: string;
}

/** Runs `state-machines/<workflow>.asl.json` on `input` and returns the execution's output. */
export async function runWorkflow(
  workflow: string,
  input: unknown,
  options: RunWorkflowOptions,
): Promise<unknown> {
  const definition = loadDefinition(
    workflow,
    options,
    options.substitutions,
    options.stateMachinesDir,
  );
  const states = allStates(definition);
  capInlineMapConcurrency(states);
  giveTasksAwsDefaultTimeout(states);
  const handlers = await taskHandlers(workflow, states, options);
  const text = JSON.stringify(definition);
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, noValidate: validated.has(text) },
  });
  validated.add(text);
  const executionName = options.executionName ?? randomUUID();
  const execution = machine.run(toJson(input, `input of ${workflow}`), {
    overrides: {
      taskResourceLocalHandlers: handlers,
      ...(options.shortenWaits ? shortenedWaits(states) : {}),
    },
    context: {
      Execution: {
        Id: `${stateMachineArn(workflow, options).replace(':stateMachine:', ':execution:')}:${executionName}`,
        Name: executionName,
        StartTime: new Date().toISOString(),
        Input: toJson(input, `input of ${workflow}`),
      },
      StateMachine: { Id: stateMachineArn(workflow, options), Name: `eks-pia-${workflow}` },
    },
  });
  // Stopped for data over the limit, the run ends here whatever the aborted execution still does.
  let stopped: (error: Error) => void = () => undefined;
  const stop = new Promise<never>((_, reject) => {
    stopped = reject;
  });
  // Whichever await sees it reports it; one that comes after the run's end has no one to tell.
  stop.catch(() => undefined);
  const watcher = watchEvents(definition, states, execution.eventLogs, options, (error) => {
    execution.abort();
    stopped(error);
  });
  try {
    const output = await Promise.race([execution.result, stop]);
    await Promise.race([watcher.done, stop]);
    return output;
  } catch (error) {
    const overLimit = watcher.overLimit();
    if (overLimit === undefined) await watcher.done.catch(() => undefined);
    throw failure(workflow, overLimit ?? error, watcher.lastFailedState());
  } finally {
    options.onHistoryEvents?.(workflow, watcher.historyEvents());
  }
}

/** An inline Map runs at most 40 iterations at once, whatever its MaxConcurrency asks. */
const INLINE_MAP_CONCURRENCY = 40;

/**
 * Holds each inline Map to Step Functions' concurrency: a MaxConcurrency above 40 gets 40 at
 * once, not as many as it asks, so a local run is not faster than the cloud's. (The runner's
 * library already reads 0 or none as 40; a MaxConcurrencyPath is the run's to resolve.)
 */
function capInlineMapConcurrency(states: Map<string, AslState>): void {
  for (const state of states.values()) {
    const mode = (state.ItemProcessor?.ProcessorConfig as { Mode?: string } | undefined)?.Mode;
    if (state.Type !== 'Map' || (mode !== undefined && mode !== 'INLINE')) continue;
    if (typeof state.MaxConcurrency === 'number' && state.MaxConcurrency > INLINE_MAP_CONCURRENCY) {
      state.MaxConcurrency = INLINE_MAP_CONCURRENCY;
    }
  }
}

/**
 * Step Functions lets a Task state without `TimeoutSeconds` run for 99,999,999 seconds (in effect,
 * as long as its execution); the runner's library gives it 60, so a nested run of more than a
 * minute (one cluster of a large fleet) failed with States.Timeout here and not in the cloud. The
 * longest timer node can set (about 24 days) stands in for AWS's default: the execution's own
 * TimeoutSeconds ends the run long before it.
 */
export const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export function giveTasksAwsDefaultTimeout(states: Map<string, AslState>): void {
  for (const state of states.values()) {
    if (
      state.Type === 'Task' &&
      state.TimeoutSeconds === undefined &&
      state.TimeoutSecondsPath === undefined
    ) {
      state.TimeoutSeconds = AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
    }
  }
}

/**
 * Definitions this process has validated. Validating takes over a second of CPU, and a test or
 * benchmark that runs the same workflow hundreds of times needs it only once.
 */
const validated = new Set<string>();

/** The environment each task's function has in the cloud that the runner must give it too. */
const taskEnvironments = new Map<string, Map<string, string[]>>();

function taskEnvironment(task: string, stateMachinesDir: string): Record<string, string> {
  let byTask = taskEnvironments.get(stateMachinesDir);
  if (!byTask) {
    byTask = workflowsByTask(stateMachinesDir);
    taskEnvironments.set(stateMachinesDir, byTask);
  }
  return { [TASK_WORKFLOWS_VARIABLE]: (byTask.get(task) ?? []).join(',') };
}

async function taskHandlers(
  workflow: string,
  states: Map<string, AslState>,
  options: RunWorkflowOptions,
): Promise<Record<string, (input: JsonValue) => Promise<JsonValue>>> {
  const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  for (const [stateName, state] of states) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const task = taskOfResource(state.Resource);
    if (task) {
      const functionsDir = options.functionsDir ?? FUNCTIONS_DIR;
      const handler = await loadHandler(task, functionsDir);
      const { timeoutSeconds } = (await loadTaskDescriptor(functionsDir, task)).timeout;
      const environment = taskEnvironment(task, options.stateMachinesDir ?? STATE_MACHINES_DIR);
      handlers[stateName] = async (payload) => {
        options.onTaskInvoked?.(task);
        const result = await invokeWithTimeout(
          handler,
          toJson(payload, `input of task ${task}`),
          { task, timeoutSeconds, environment },
          options,
        );
        return toJson(result ?? null, `output of task ${task}`);
      };
    } else if (NESTED_RUN_RESOURCE.test(state.Resource)) {
      handlers[stateName] = (parameters) => runNested(stateName, parameters, options);
    } else {
      throw new WorkflowDefinitionError(
        `state "${stateName}" of ${workflow} uses ${state.Resource}, which the local runner cannot run`,
      );
    }
  }
  return handlers;
}

/**
 * Each function's warm instances not busy with an invocation. Like Lambda, an invocation takes an
 * idle one or starts a new one, so concurrent invocations never share SDK clients, retry quotas
 * or adaptive rate limiters, while sequential ones reuse them.
 */
const idleInstances = new Map<string, LambdaInstance[]>();

/**
 * Runs a handler as Lambda would with the function's configured timeout: past it, the invocation
 * fails with the error Step Functions reports for a timed-out function. (Lambda then freezes the
 * sandbox; in-process the abandoned call may still finish, but its result is dropped.)
 */
async function invokeWithTimeout(
  handler: LambdaHandler,
  event: JsonValue,
  {
    task,
    timeoutSeconds,
    environment,
  }: { task: string; timeoutSeconds: number; environment: Record<string, string> },
  where: LocalAccount,
): Promise<unknown> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const context = lambdaContext(task, where, deadline);
  const idle = idleInstances.get(task) ?? [];
  idleInstances.set(task, idle);
  const instance = idle.pop() ?? newLambdaInstance(environment);
  let timedOutInstance = false;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(
        `RequestId: ${context.awsRequestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
      );
      error.name = LAMBDA_TIMED_OUT;
      reject(error);
    }, timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([
      invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
        inLambdaInstance(instance, () => handler(event, context)),
      ),
      timedOut,
    ]);
  } catch (error) {
    // Lambda replaces an instance whose invocation timed out; one that threw stays warm.
    if (error instanceof Error && error.name === LAMBDA_TIMED_OUT) timedOutInstance = true;
    throw error;
  } finally {
    clearTimeout(timer);
    if (!timedOutInstance) idle.push(instance);
  }
}

async function loadHandler(task: string, functionsDir: string): Promise<LambdaHandler> {
  const entry = handlerEntry(functionsDir, task);
  const module = (await import(entry)) as {
    handler?: LambdaHandler;
  };
  if (typeof module.handler !== 'function') {
    throw new WorkflowDefinitionError(`${entry} does not export a handler function`);
  }
  return module.handler;
}

/** What `states:startExecution.sync:2` returns: the child's description with its output as JSON. */
async function runNested(
  stateName: string,
  parameters: JsonValue,
  options: RunWorkflowOptions,
): Promise<JsonValue> {
  const request = parameters as { StateMachineArn?: string; Input?: JsonValue; Name?: string };
  const child = request.StateMachineArn
    ? workflowOfStateMachineArn(request.StateMachineArn)
    : undefined;
  if (!child) {
    throw new WorkflowDefinitionError(
      `state "${stateName}" starts an unknown state machine ${request.StateMachineArn}`,
    );
  }
  const name = request.Name ?? randomUUID();
  const executionArn = `${stateMachineArn(child, options).replace(':stateMachine:', ':execution:')}:${name}`;
  const startDate = new Date().toISOString();
  options.onProgress?.(`${stateName}: started nested workflow ${child}`);
  try {
    const output = await runWorkflow(child, request.Input ?? {}, {
      ...options,
      executionName: name,
    });
    options.onProgress?.(`${stateName}: nested workflow ${child} succeeded`);
    return toJson(
      {
        ExecutionArn: executionArn,
        StateMachineArn: request.StateMachineArn ?? '',
        Name: name,
        Status: 'SUCCEEDED',
        StartDate: startDate,
        StopDate: new Date().toISOString(),
        Input: request.Input ?? {},
        Output: output,
      },
      `output of ${stateName}`,
    );
  } catch (error) {
    // Step Functions reports a failed child as States.TaskFailed whose cause describes the child.
    const childFailure = error instanceof WorkflowFailedError ? error : undefined;
    const taskFailed = new Error(
      JSON.stringify({
        ExecutionArn: executionArn,
        Status: 'FAILED',
        Error: childFailure?.error ?? 'States.TaskFailed',
        Cause: childFailure?.cause ?? String(error),
      }),
    );
    taskFailed.name = 'States.TaskFailed';
    throw taskFailed;
  }
}

function shortenedWaits(states: Map<string, AslState>) {
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of states) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = 1;
    if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = 5;
  }
  return { waitTimeOverrides, retryIntervalOverrides };
}

interface EventWatcher {
  done: Promise<void>;
  lastFailedState(): string | undefined;
  /** The history events counted so far, the execution's start and end included. */
  historyEvents(): number;
  /**
   * The error of a state whose input or output went over the limit, or of the event that passed
   * the history limit, which stopped the run.
   */
  overLimit(): Error | undefined;
}

/**
 * The history events Step Functions records for one attempt of a state, besides its entered and
 * exited events: a Lambda task's scheduled, started and ending event, a nested run's submitted
 * event too, and a Map's or Parallel's started and ending event.
 */
function eventsOfAttempt(state: AslState | undefined): number {
  if (state?.Type === 'Task') return NESTED_RUN_RESOURCE.test(String(state.Resource)) ? 4 : 3;
  return state?.Type === 'Map' || state?.Type === 'Parallel' ? 2 : 0;
}

/**
 * Turns the execution's event log into progress lines, remembers where it failed, and stops it
 * (`abort`) when a state's input or output passes Step Functions' 256 KiB, or when the
 * execution's history passes its 25,000 events (counted as Step Functions records them: the
 * execution's start and end, each state's entered and exited events and those of its attempts,
 * and each Map iteration's start and end; a nested run has its own history).
 */
function watchEvents(
  definition: AslDefinition,
  states: ReadonlyMap<string, AslState>,
  events: AsyncGenerator<unknown>,
  options: RunWorkflowOptions,
  abort: (error: Error) => void,
): EventWatcher {
  const progress = new ProgressLines(definition, (line) => options.onProgress?.(line));
  let failedState: string | undefined;
  let overLimit: Error | undefined;
  // ExecutionStarted, and the event that will end the execution.
  let historyEvents = 2;
  const record = (state: string, events: number) => {
    historyEvents += events;
    if (historyEvents <= HISTORY_EVENT_LIMIT || overLimit) return;
    overLimit = new Error(
      `the execution reached Step Functions' hard limit of ${HISTORY_EVENT_LIMIT} history events at state ${state}; a nested workflow (startExecution.sync:2) has a history of its own`,
    );
    overLimit.name = HISTORY_LIMIT_EXCEEDED;
    failedState = state;
    abort(overLimit);
  };
  const measure = (state: string, data: 'input' | 'output', value: unknown) => {
    const bytes = jsonBytes(value);
    options.onStateData?.(state, data, bytes);
    if (bytes <= PAYLOAD_LIMIT_BYTES || overLimit) return;
    overLimit = dataLimitError(`the ${data} of state ${state} is ${bytes} bytes`);
    failedState = state;
    abort(overLimit);
  };
  // A retry event does not say what failed; the StateFailed event just before it does.
  const lastErrors = new Map<string, string>();
  const done = (async () => {
    for await (const raw of events) {
      const event = raw as {
        type: string;
        state?: { name: string; input?: unknown; output?: unknown };
        parentState?: { name: string };
        retry?: { attempt: number };
        Error?: string;
      };
      switch (event.type) {
        case 'StateEntered':
          if (!event.state) break;
          options.onStateEntered?.(event.state.name);
          record(event.state.name, 1 + eventsOfAttempt(states.get(event.state.name)));
          measure(event.state.name, 'input', event.state.input);
          progress.entered(event.state.name, event.state.input);
          break;
        case 'StateExited':
          if (event.state) {
            record(event.state.name, 1);
            measure(event.state.name, 'output', event.state.output);
            progress.exited(event.state.name, event.state.output);
          }
          break;
        case 'StateFailed':
          if (event.state) {
            failedState = event.state.name;
            lastErrors.set(event.state.name, event.Error ?? 'an error');
          }
          break;
        case 'StateRetried':
          if (event.state) {
            record(event.state.name, eventsOfAttempt(states.get(event.state.name)));
            options.onProgress?.(
              retryLine(
                event.state.name,
                lastErrors.get(event.state.name),
                event.retry?.attempt ?? 0,
              ),
            );
          }
          break;
        case 'MapIterationSucceeded':
        case 'MapIterationFailed':
          if (event.parentState) {
            record(event.parentState.name, 2);
            progress.iterationEnded(event.parentState.name, event.type === 'MapIterationSucceeded');
          }
          break;
        default:
          break;
      }
    }
  })();
  return {
    done,
    lastFailedState: () => failedState,
    historyEvents: () => historyEvents,
    overLimit: () => overLimit,
  };
}

function failure(workflow: string, error: unknown, state: string | undefined): Error {
  if (error instanceof ExecutionTimeoutError) {
    return new WorkflowFailedError(
      workflow,
      'States.Timeout',
      'the execution exceeded its TimeoutSeconds',
      state,
    );
  }
  if (
    error instanceof Error &&
    (error.name === 'States.DataLimitExceeded' || error.name === HISTORY_LIMIT_EXCEEDED)
  ) {
    return new WorkflowFailedError(workflow, error.name, error.message, state);
  }
  if (error instanceof ExecutionError) {
    const cause = error.cause as { name?: string; message?: string } | undefined;
    return new WorkflowFailedError(
      workflow,
      cause?.name ?? 'States.Runtime',
      cause?.message ?? error.message,
      state,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Lambda and Step Functions pass payloads as JSON: round-tripping here drops `undefined`, turns
 * dates into strings and enforces the payload limit, so a local run fails where the cloud would.
 */
function toJson(value: unknown, what: string): JsonValue {
  const text = JSON.stringify(value ?? null);
  if (Buffer.byteLength(text) > PAYLOAD_LIMIT_BYTES) {
    throw dataLimitError(`${what} is ${Buffer.byteLength(text)} bytes`);
  }
  return JSON.parse(text) as JsonValue;
}

function dataLimitError(what: string): Error {
  const error = new Error(`${what}, over the 256 KiB Step Functions limit`);
  error.name = 'States.DataLimitExceeded';
  return error;
}

function lambdaContext(task: string, where: LocalAccount, deadline: number): Context {
  const functionName = `eks-pia-${task}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:${where.partition ?? 'aws'}:lambda:${where.region}:${where.account}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
