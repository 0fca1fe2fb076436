/** What a workflow started by another carries besides its own input. */

/** The input field Step Functions reads to link a nested execution to the one that started it. */
export const STARTED_BY_EXECUTION_ID = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';

/**
 * An input without the parent's execution id: a parent names itself so the console links the
 * nested run to it, which is not a setting of the run. Anything but an object is returned as is,
 * for the input's own check to refuse.
 */
export function withoutStartedBy(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const { [STARTED_BY_EXECUTION_ID]: _startedBy, ...rest } = input as Record<string, unknown>;
  return rest;
}
