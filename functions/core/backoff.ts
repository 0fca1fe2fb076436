/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter";
 * Step Functions' `JitterStrategy: FULL` and the SDKs' retries draw their waits the same way):
 * the wait before another try is drawn at random below a ceiling that doubles with each try, so
 * callers that failed together, such as the items of a batch, spread out instead of all coming
 * back at the same moment.
 */

/** The ceiling of the wait after try `attempt` (1 for the first): `baseMs` doubled per try, at most `maxMs`. */
export function backoffCeilingMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** (attempt - 1), maxMs);
}

/**
 * The wait after try `attempt`, drawn uniformly between half its {@link backoffCeilingMs} and the
 * whole ("equal jitter"): spread out like full jitter, but each wait lasts, for a caller that must
 * keep trying for a while (a new role becoming visible) rather than back off a busy service.
 */
export function equalJitterDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeilingMs(attempt, baseMs, maxMs);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** The wait after try `attempt`: drawn uniformly between 0 and its {@link backoffCeilingMs}. */
export function fullJitterDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return random() * backoffCeilingMs(attempt, baseMs, maxMs);
}
