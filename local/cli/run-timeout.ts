/**
 * `--timeout`, eksctl's flag: how long a command waits for its run, as a Go duration (`25m`,
 * `1h30m`, `90s`). When it passes the command stops waiting and fails (exit 1), naming the run
 * and saying what became of it; the run is not rolled back, and rerunning the command converges.
 */
import type { Command } from 'commander';
import { NamedError } from '../../functions/core/errors.ts';
import { UsageError } from './usage-error.ts';

/** The run outlived `--timeout`. */
export class RunTimeoutError extends NamedError {
  override readonly name = 'RunTimeoutError';
}

/** `--timeout` as given (for messages) and as milliseconds. */
export interface RunTimeout {
  readonly text: string;
  readonly ms: number;
}

/** eksctl's wait for its commands (`--timeout` default: 25 minutes). */
export const EKSCTL_TIMEOUT = '25m';

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** A Go duration (`25m`, `1h30m`, `90s`), as eksctl's `--timeout` takes it, in milliseconds. */
export function parseDuration(text: string): number {
  const invalid = new UsageError(
    `invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"; write it like 25m, 1h30m or 90s`,
  );
  if (text === '') throw invalid;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const [, amount, unit] = DURATION_PART.exec(text) ?? [];
    const unitMs = unit === undefined ? undefined : DURATION_UNITS_MS[unit];
    if (amount === undefined || unitMs === undefined) throw invalid;
    total += Number(amount) * unitMs;
  }
  if (total <= 0) throw new UsageError(`--timeout must be longer than 0, got "${text}"`);
  return total;
}

/** `--timeout`'s value read, or undefined when the command was given none (and has no default). */
export function readTimeout(text: string | undefined): RunTimeout | undefined {
  return text === undefined ? undefined : { text, ms: parseDuration(text) };
}

/**
 * Adds `--timeout`. With `defaultValue` (eksctl's commands that wait by default) the command
 * stops waiting after it when none is given; without, it waits for as long as the run takes.
 */
export function timeoutOption(command: Command, defaultValue?: string): Command {
  const description = 'stop waiting for the run after this long, e.g. 25m or 1h30m';
  return defaultValue === undefined
    ? command.option('--timeout <duration>', `${description} (default: no limit)`)
    : command.option('--timeout <duration>', description, defaultValue);
}

/**
 * Waits for `run` for at most `timeout`. When it passes, `abandon` stops what can be stopped
 * (following a remote execution) and says which run was left and how to follow it.
 */
export async function runWithin<T>(
  run: Promise<T>,
  timeout: RunTimeout | undefined,
  abandon: () => string,
): Promise<T> {
  if (timeout === undefined) return run;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new RunTimeoutError(
            `timed out after ${timeout.text} (--timeout) waiting for ${abandon()}`,
          ),
        ),
      timeout.ms,
    );
  });
  try {
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
  }
}
