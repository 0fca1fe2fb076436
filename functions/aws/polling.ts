/**
 * How tasks poll AWS for an operation to settle (a change set, a stack update, an add-on), and
 * for how long. The simulator settles in describe calls rather than seconds, so the local runner
 * shortens all of it with `configurePolling`.
 *
 * `maxWaitMs` bounds the wait for an operation the task started itself; `settleWaitMs` the wait
 * for one already under way when the task comes (an interrupted run's update still finishing, or
 * someone else's), so a rerun converges instead of failing on it. Every wait also ends in time
 * for the task to report before its Lambda times out.
 */
import { invocationDeadline } from './lambda.ts';

const DEFAULT_POLLING = {
  intervalMs: 5000,
  maxWaitMs: 10 * 60 * 1000,
  settleWaitMs: 3 * 60 * 1000,
};
let polling = DEFAULT_POLLING;

export function configurePolling(options: Partial<typeof DEFAULT_POLLING> = {}): void {
  polling = { ...DEFAULT_POLLING, ...options };
}

/** Time kept back from the invocation's deadline to write the outcome of a wait cut short. */
const REPORTING_MARGIN_MS = 30_000;

/** When a wait that starts now must give up: after its own bound, or near the Lambda's timeout. */
export function waitDeadline(kind: 'own-operation' | 'settle'): number {
  const bound = kind === 'own-operation' ? polling.maxWaitMs : polling.settleWaitMs;
  return Math.min(Date.now() + bound, invocationDeadline() - REPORTING_MARGIN_MS);
}

export function pollPause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, polling.intervalMs));
}
