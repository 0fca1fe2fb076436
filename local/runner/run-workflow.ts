/**
 * Runs a workflow's ASL file in-process with aws-local-stepfunctions, calling the real Lambda
 * handlers for its Task states and running nested `startExecution.sync:2` workflows the same way.
 */
import './polyfill.ts';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { NamedError } from '../../functions/core/errors.ts';
import { WorkflowDefinitionError } from '../../infra/errors.ts';
import { NESTED_RUN_RESOURCE } from '../../infra/retry-policies.ts';
import { handlerEntry, readTaskTimeout } from '../../infra/workflow-files.ts';
import {
  type AslDefinition,
  type AslState,
  allStates,
  FUNCTIONS_DIR,
  type LocalAccount,
  loadDefinition,
  stateMachineArn,
  taskOfResource,
  workflowOfStateMachineArn,
} from './definition.ts';

/** Step Functions refuses state input or output above 256 KiB; the runner does too. */
const PAYLOAD_LIMIT_BYTES = 256 * 1024;
/** The error a Task state gets when its function runs past the function's own timeout. */
export const LAMBDA_TIMED_OUT = 'Sandbox.Timedout';

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
   * runs included, so a test can show that no state's data grows with the work. The runner itself
   * refuses over-limit data only where it passes it: execution input and task payloads.
   */
  onStateData?: (state: string, data: 'input' | 'output', bytes: number) => void;
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
  const watcher = watchEvents(definition, execution.eventLogs, options);
  try {
    const output = await execution.result;
    await watcher.done;
    return output;
  } catch (error) {
    await watcher.done.catch(() => undefined);
    throw failure(workflow, error, watcher.lastFailedState());
  }
}

/**
 * Definitions this process has validated. Validating takes over a second of CPU, and a test or
 * benchmark that runs the same workflow hundreds of times needs it only once.
 */
const validated = new Set<string>();

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
      const { timeoutSeconds } = readTaskTimeout(functionsDir, task);
      handlers[stateName] = async (payload) => {
        options.onTaskInvoked?.(task);
        const result = await invokeWithTimeout(
          handler,
          toJson(payload, `input of task ${task}`),
          task,
          timeoutSeconds,
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
 * Runs a handler as Lambda would with the function's configured timeout: past it, the invocation
 * fails with the error Step Functions reports for a timed-out function. (Lambda then freezes the
 * sandbox; in-process the abandoned call may still finish, but its result is dropped.)
 */
async function invokeWithTimeout(
  handler: LambdaHandler,
  event: JsonValue,
  task: string,
  timeoutSeconds: number,
  where: LocalAccount,
): Promise<unknown> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const context = lambdaContext(task, where, deadline);
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
    return await Promise.race([handler(event, context), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function loadHandler(task: string, functionsDir: string): Promise<LambdaHandler> {
  const module = (await import(handlerEntry(functionsDir, task))) as {
    handler?: LambdaHandler;
  };
  if (typeof module.handler !== 'function') {
    throw new WorkflowDefinitionError(
      `functions/${task}/handler.ts does not export a handler function`,
    );
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
}

/** What a Map state's progress counts: its items (batches), or the associations in them. */
interface MapProgress {
  total: number | undefined;
  unit: string;
  /** Associations counted from each batch's `itemCount`, when the plan gave their total. */
  countsItemsInBatches: boolean;
  done: number;
  failed: number;
}

/** The Map state each state of an item processor belongs to. */
function enclosingMaps(states: Map<string, AslState>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [name, state] of states) {
    const processor = state.ItemProcessor ?? state.Iterator;
    if (state.Type !== 'Map' || !processor) continue;
    for (const inner of allStates(processor).keys()) owners.set(inner, name);
  }
  return owners;
}

/** Turns the execution's event log into progress lines and remembers where it failed. */
function watchEvents(
  definition: AslDefinition,
  events: AsyncGenerator<unknown>,
  options: RunWorkflowOptions,
): EventWatcher {
  const states = allStates(definition);
  const mapOf = enclosingMaps(states);
  const maps = new Map<string, MapProgress>();
  const waits = new Map<string, number>();
  let failedState: string | undefined;
  // A retry event does not say what failed; the StateFailed event just before it does.
  const lastErrors = new Map<string, string>();
  const report = (name: string, progress: MapProgress) =>
    options.onProgress?.(
      `${name}: ${progress.done}${progress.total === undefined ? '' : ` / ${progress.total}`} ${progress.unit} done${progress.failed > 0 ? ` (${progress.failed} ${progress.countsItemsInBatches ? 'batch(es)' : progress.unit} failed)` : ''}`,
    );
  const done = (async () => {
    for await (const raw of events) {
      const event = raw as {
        type: string;
        state?: { name: string; input?: unknown; output?: unknown };
        parentState?: { name: string; input?: unknown };
        retry?: { attempt: number };
        Error?: string;
        Cause?: unknown;
      };
      switch (event.type) {
        case 'StateEntered': {
          if (!event.state) break;
          options.onStateEntered?.(event.state.name);
          options.onStateData?.(event.state.name, 'input', jsonBytes(event.state.input));
          const state = states.get(event.state.name);
          if (state?.Type === 'Map') {
            maps.set(event.state.name, mapProgress(state, event.state.input));
          } else if (state?.Type === 'Wait') {
            const checks = (waits.get(event.state.name) ?? 0) + 1;
            waits.set(event.state.name, checks);
            options.onProgress?.(
              `${event.state.name}: ${waitingFor(event.state.input)}, look ${checks}`,
            );
          }
          break;
        }
        case 'StateExited': {
          if (event.state) {
            options.onStateData?.(event.state.name, 'output', jsonBytes(event.state.output));
          }
          // A batch's task says how many associations it handled.
          const map = event.state ? mapOf.get(event.state.name) : undefined;
          const progress = map === undefined ? undefined : maps.get(map);
          const output = event.state?.output as { itemCount?: unknown; failed?: unknown } | null;
          if (!map || !progress?.countsItemsInBatches) break;
          if (typeof output?.itemCount === 'number') progress.done += output.itemCount;
          else if (output?.failed === true) progress.failed += 1;
          else break;
          report(map, progress);
          break;
        }
        case 'StateFailed':
          if (event.state) {
            failedState = event.state.name;
            lastErrors.set(event.state.name, event.Error ?? 'an error');
          }
          break;
        case 'StateRetried':
          if (event.state) {
            options.onProgress?.(
              `${event.state.name}: retrying after ${lastErrors.get(event.state.name) ?? 'an error'} (attempt ${event.retry?.attempt ?? '?'})`,
            );
          }
          break;
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const name = event.parentState?.name;
          const progress = name === undefined ? undefined : maps.get(name);
          if (!name || !progress) break;
          if (event.type === 'MapIterationFailed') progress.failed += 1;
          // Batches of associations were counted as their tasks finished.
          if (progress.countsItemsInBatches && event.type === 'MapIterationSucceeded') break;
          if (!progress.countsItemsInBatches) progress.done += 1;
          report(name, progress);
          break;
        }
        default:
          break;
      }
    }
  })();
  return { done, lastFailedState: () => failedState };
}

/**
 * A Map over `$.plan.batches` whose plan gives `itemCount` counts the associations in the batches;
 * any other Map counts its items.
 */
function mapProgress(state: AslState, input: unknown): MapProgress {
  const path = state.ItemsPath ?? '$';
  const items = valueAt(input, path);
  const itemCount = valueAt(input, path.replace(/\.[A-Za-z0-9_]+$/, '.itemCount'));
  if (path !== '$' && typeof itemCount === 'number') {
    return {
      total: itemCount,
      unit: 'associations',
      countsItemsInBatches: true,
      done: 0,
      failed: 0,
    };
  }
  return {
    total: Array.isArray(items) ? items.length : undefined,
    unit: 'items',
    countsItemsInBatches: false,
    done: 0,
    failed: 0,
  };
}

/** What a Wait state waits for, from the status its input carries (an add-on or a cluster). */
function waitingFor(input: unknown): string {
  const { addon, cluster, addonName, clusterName } = (input ?? {}) as {
    addon?: { status?: unknown };
    cluster?: { status?: unknown };
    addonName?: unknown;
    clusterName?: unknown;
  };
  if (addon && typeof addon === 'object') {
    const status = typeof addon.status === 'string' ? addon.status : 'being created';
    return `waiting for add-on ${typeof addonName === 'string' ? `"${addonName}" ` : ''}(${status})`;
  }
  if (cluster && typeof cluster.status === 'string') {
    return `waiting for cluster ${typeof clusterName === 'string' ? `"${clusterName}" ` : ''}(${cluster.status})`;
  }
  return 'waiting';
}

/** Evaluates a simple path (`$.a.b`) on a state's input, for progress lines. */
function valueAt(input: unknown, path: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(path)) return undefined;
  let value: unknown = input;
  for (const key of path.split('.').slice(1)) {
    value =
      value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
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

/** A value's size as Step Functions counts it: the bytes of its JSON text. */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

/**
 * Lambda and Step Functions pass payloads as JSON: round-tripping here drops `undefined`, turns
 * dates into strings and enforces the payload limit, so a local run fails where the cloud would.
 */
function toJson(value: unknown, what: string): JsonValue {
  const text = JSON.stringify(value ?? null);
  if (Buffer.byteLength(text) > PAYLOAD_LIMIT_BYTES) {
    const error = new Error(
      `${what} is ${Buffer.byteLength(text)} bytes, over the 256 KiB Step Functions limit`,
    );
    error.name = 'States.DataLimitExceeded';
    throw error;
  }
  return JSON.parse(text) as JsonValue;
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
