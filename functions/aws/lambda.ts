/**
 * The shape every Lambda task shares, as middy middlewares: Powertools logger with the
 * invocation's context and correlation keys, the input and the output checked against the task's
 * zod schemas (middy's validator), a failure logged once with its name (middy's error-logger), then
 * the task's own function. Handlers stay one call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { asError, NamedError } from '../core/errors.ts';
import { TASK_WORKFLOWS_VARIABLE } from '../core/workflow-files.ts';
import type * as z from '../core/zod.ts';
import { describeIssues } from '../core/zod-issues.ts';
import { instanceEnvironment } from './clients.ts';

type LogLevel = Parameters<Logger['setLogLevel']>[0];

/**
 * Powertools' Logger, whose level a host running the handlers in its own process (the CLI) can
 * hold: Powertools goes back to the level the logger was built with at every warm invocation
 * (`refreshSampleRateCalculation`), which undoes a plain `setLogLevel`. In Lambda nothing holds
 * a level, and the logger is Powertools' own.
 */
class TaskLogger extends Logger {
  #held: LogLevel | undefined;
  /** The level the logger was built with, to return to when the hold is released. */
  #built: LogLevel | undefined;

  /** Every later line, in every invocation, at `level`; undefined returns to the built level. */
  holdLogLevel(level: LogLevel | undefined): void {
    this.#built ??= this.getLevelName();
    this.#held = level;
    this.setLogLevel(level ?? this.#built);
  }

  override refreshSampleRateCalculation(): void {
    // The host chose the level: debug sampling, which would raise it, does not apply.
    if (this.#held !== undefined) this.setLogLevel(this.#held);
    else super.refreshSampleRateCalculation();
  }
}

export const logger = new TaskLogger({ serviceName: 'eks-pod-identity-automation' });

/** The task's input does not match its schema: a workflow or console-input bug, never retried. */
export class InvalidTaskInputError extends NamedError {
  override readonly name = 'InvalidTaskInputError';
}

/** The task returned something its output schema refuses: a bug in the task, never retried. */
export class InvalidTaskOutputError extends NamedError {
  override readonly name = 'InvalidTaskOutputError';
}

const FUNCTION_ARN = /^arn:[\w-]+:lambda:[\w-]+:(\d{12}):function:/;

/** The invocation's context lacks what Lambda always passes: a caller outside Lambda built it wrong. */
export class InvalidLambdaContextError extends NamedError {
  override readonly name = 'InvalidLambdaContextError';
}

/**
 * The account the function runs in, read from the ARN it was invoked by. A function's execution
 * role belongs to the function's own account, so this is the account STS would name, without a
 * call and without an STS client in the bundle.
 */
export function functionAccount(context: Pick<Context, 'invokedFunctionArn'>): string {
  const account = FUNCTION_ARN.exec(context.invokedFunctionArn ?? '')?.[1];
  if (account === undefined) {
    throw new InvalidLambdaContextError(
      `the invocation names no function ARN with an account ("${context.invokedFunctionArn}"); invoke the handler as Lambda does, with a context whose invokedFunctionArn is arn:<partition>:lambda:<region>:<account>:function:<name>`,
    );
  }
  return account;
}

/**
 * Each running invocation's deadline, kept with the invocation rather than in the module: the
 * local runner runs many simulated instances' invocations at once in one process (and Lambda
 * managed instances may too), and one invocation's deadline must not become another's.
 */
const invocationDeadlines = new AsyncLocalStorage<number>();

/**
 * When the running invocation times out (epoch ms; infinite outside Lambda), so a task that waits
 * on AWS stops in time to report what it did instead of being killed mid-write.
 */
export function invocationDeadline(): number {
  return invocationDeadlines.getStore() ?? Number.POSITIVE_INFINITY;
}

/** A task's payload schemas: what the workflow passes in and what the task hands back. */
export interface TaskSchemas<Input extends z.ZodMiniType, Output extends z.ZodMiniType> {
  readonly input: Input;
  readonly output: Output;
}

/**
 * The keys that tie a log line to its run. Step Functions passes a Lambda task nothing but its
 * payload, so they come from there and from the function's environment:
 * - execution name: every workflow with a run store passes `runId`, which its ASL sets from
 *   `$$.Execution.Name` (the run store's folder is `runs/<execution name>/`);
 * - workflow: the function's environment names the workflows whose definitions invoke it (one,
 *   except check-cluster-readiness, which two share): infra sets TASK_WORKFLOWS from the ASL files'
 *   references, and the local runner gives each simulated instance the same value;
 * - cluster: `clusterName` when the payload has one.
 * A key the payload lacks is left out rather than guessed.
 */
export function correlationKeys(
  task: string,
  event: unknown,
  environment: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const payload =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const keys: Record<string, string | undefined> = {
    task,
    workflow: text(environment[TASK_WORKFLOWS_VARIABLE]),
    execution: text(payload.runId),
    cluster: text(payload.clusterName),
  };
  return Object.fromEntries(
    Object.entries(keys).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Appends the invocation's correlation keys; `injectLambdaContext`'s `clearState` removes them. */
function correlation(task: string): MiddlewareObj<unknown, unknown> {
  return {
    before: (request) => {
      logger.appendKeys(
        correlationKeys(task, request.event, { ...process.env, ...instanceEnvironment() }),
      );
    },
  };
}

/** Like middy's error-logger: one error line with the failure's name, then the error goes on. */
function errorLogger(task: string): MiddlewareObj<unknown, unknown> {
  return {
    onError: (request) => {
      const error = asError(request.error);
      logger.error(`${task} failed with ${error.name}: ${error.message}`, { error });
    },
  };
}

/** Like middy's validator: the event before the task runs, its response after. */
function validator<Input extends z.ZodMiniType, Output extends z.ZodMiniType>(
  task: string,
  schemas: TaskSchemas<Input, Output>,
): MiddlewareObj<z.output<Input>, z.output<Output>> {
  return {
    before: (request) => {
      const parsed = schemas.input.safeParse(request.event);
      if (!parsed.success) {
        throw new InvalidTaskInputError(
          `${task}: invalid input: ${describeIssues(parsed.error.issues).join('; ')}`,
        );
      }
      request.event = parsed.data;
    },
    after: (request) => {
      const parsed = schemas.output.safeParse(request.response);
      if (!parsed.success) {
        throw new InvalidTaskOutputError(
          `${task}: invalid output: ${describeIssues(parsed.error.issues).join('; ')}`,
        );
      }
    },
  };
}

export function defineTask<Input extends z.ZodMiniType, Output extends z.ZodMiniType>(
  task: string,
  schemas: TaskSchemas<Input, Output>,
  run: (input: z.output<Input>, context: Context) => Promise<z.input<Output>>,
): (event: unknown, context: Context) => Promise<z.output<Output>> {
  const handler = middy<z.output<Input>, z.output<Output>>()
    // First in, last out: the keys are still there when the error is logged, then cleared.
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(correlation(task) as MiddlewareObj<z.output<Input>, z.output<Output>>)
    .use(errorLogger(task) as MiddlewareObj<z.output<Input>, z.output<Output>>)
    .use(validator(task, schemas))
    .handler(async (event, context) => {
      const deadline =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? Date.now() + context.getRemainingTimeInMillis()
          : Number.POSITIVE_INFINITY;
      // The task's own value goes on, not the parse: an output schema checks, it never reshapes.
      return (await invocationDeadlines.run(deadline, () =>
        run(event, context),
      )) as z.output<Output>;
    });
  return handler as unknown as (event: unknown, context: Context) => Promise<z.output<Output>>;
}
