/**
 * The shape every Lambda task shares: Powertools logger with the invocation's context, the input
 * checked against the task's zod schema, then the task's own function. Handlers stay one call.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { NamedError } from '../core/errors.ts';
import { describeIssues } from '../core/policy-document.ts';

export const logger = new Logger({ serviceName: 'eks-pod-identity-automation' });

/** The task's input does not match its schema: a workflow or console-input bug, never retried. */
export class InvalidTaskInputError extends NamedError {
  override readonly name = 'InvalidTaskInputError';
}

let runningInvocationDeadline = Number.POSITIVE_INFINITY;

/**
 * When the running invocation times out (epoch ms; infinite outside Lambda), so a task that waits
 * on AWS stops in time to report what it did instead of being killed mid-write.
 */
export function invocationDeadline(): number {
  return runningInvocationDeadline;
}

export function defineTask<Schema extends z.ZodType, Result>(
  task: string,
  schema: Schema,
  run: (input: z.infer<Schema>) => Promise<Result>,
): (event: unknown, context: Context) => Promise<Result> {
  return middy<unknown, Result>()
    .use(injectLambdaContext(logger, { clearState: true }))
    .handler(async (event, context) => {
      runningInvocationDeadline =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? Date.now() + context.getRemainingTimeInMillis()
          : Number.POSITIVE_INFINITY;
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        throw new InvalidTaskInputError(
          `${task}: invalid input: ${describeIssues(parsed.error.issues).join('; ')}`,
        );
      }
      logger.appendKeys({ task });
      return run(parsed.data);
    });
}
