/**
 * How long a task may take at worst, so its Lambda timeout (the `timeout` of the descriptor in
 * functions/<group>/<task>/contract.ts) can be chosen from its work instead of guessed. Infra sets
 * the function's timeout from it, the local runner enforces it, and a test checks each task's
 * worst case fits its timeout.
 *
 * The model: the calls on the task's critical path each take at most ATTEMPT_SECONDS, some of them
 * are throttled through the SDK's whole retry chain, and the task's own waits (role visibility,
 * access propagation) come on top.
 */

/** Attempts per AWS call (clients.ts): throttling is expected at scale, IAM's buckets above all. */
export const SDK_MAX_ATTEMPTS = 8;

/** A slow but successful answer of one AWS or Kubernetes API request. */
export const ATTEMPT_SECONDS = 1;

// @smithy/core 3.41's standard strategy: throttling backoff starts at 1 s, doubles, caps at 20 s,
// and a Retry-After header may stretch each delay by up to 5 s more.
const THROTTLING_DELAY_BASE_SECONDS = 1;
const MAXIMUM_RETRY_DELAY_SECONDS = 20;
const RETRY_AFTER_STRETCH_SECONDS = 5;

/** One call throttled on every attempt: all attempts plus the longest delays between them. */
export function throttledCallSeconds(attempts = SDK_MAX_ATTEMPTS): number {
  let seconds = attempts * ATTEMPT_SECONDS;
  for (let retry = 0; retry < attempts - 1; retry += 1) {
    seconds +=
      Math.min(THROTTLING_DELAY_BASE_SECONDS * 2 ** retry, MAXIMUM_RETRY_DELAY_SECONDS) +
      RETRY_AFTER_STRETCH_SECONDS;
  }
  return seconds;
}

/** A task's worst case, as its contract's descriptor states it (functions/core/task-descriptor.ts). */
export interface WorstCase {
  /** Requests one after another on the longest path (concurrent lanes count once per lane). */
  readonly sequentialCalls: number;
  /** How many of those run through the SDK's whole throttling retry chain. */
  readonly throttledCalls: number;
  /** The task's own waits on top (eventual consistency retries), in seconds. */
  readonly waitSeconds: number;
  /** Where the numbers come from. */
  readonly why: string;
}

/**
 * A worst case as a contract states it: the numbers most tasks share are left out. A task that
 * makes requests has one of them throttled, and one that waits on nothing of its own waits 0 s.
 */
export type StatedWorstCase = Pick<WorstCase, 'sequentialCalls' | 'why'> &
  Partial<Pick<WorstCase, 'throttledCalls' | 'waitSeconds'>>;

export function fullWorstCase(stated: StatedWorstCase): WorstCase {
  const { sequentialCalls, why } = stated;
  return {
    sequentialCalls,
    throttledCalls: stated.throttledCalls ?? Math.min(sequentialCalls, 1),
    waitSeconds: stated.waitSeconds ?? 0,
    why,
  };
}

export function worstCaseSeconds(worstCase: WorstCase): number {
  return (
    worstCase.sequentialCalls * ATTEMPT_SECONDS +
    worstCase.throttledCalls * (throttledCallSeconds() - ATTEMPT_SECONDS) +
    worstCase.waitSeconds
  );
}
