import { Token } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { DriftScheduleSettingsError } from './errors.ts';

/**
 * `cdk deploy -c driftCheckSchedule='cron(0 3 * * ? *)'` (or `off`) and `-c healDrift=true`, or
 * the same in cdk.json: when EventBridge Scheduler starts the drift check, and whether it heals.
 */
export const DRIFT_SCHEDULE_CONTEXT_KEY = 'driftCheckSchedule';
export const HEAL_DRIFT_CONTEXT_KEY = 'healDrift';

/** The `driftCheckSchedule` that creates no schedule. */
export const DRIFT_SCHEDULE_OFF = 'off';
export const DEFAULT_DRIFT_SCHEDULE = 'rate(1 day)';

const FORMS =
  'give rate(<N> minutes|hours|days), cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), ' +
  `at(<yyyy-mm-dd>T<hh:mm:ss>) or ${DRIFT_SCHEDULE_OFF} for no schedule, e.g. rate(12 hours) or cron(0 3 * * ? *) for 03:00 UTC daily`;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

/** Scheduler's cron fields, in order, with the characters each allows (names: JAN, MON...). */
const CRON_FIELDS = [
  { name: 'minutes', allowed: /^[0-9,*/-]+$/ },
  { name: 'hours', allowed: /^[0-9,*/-]+$/ },
  { name: 'day-of-month', allowed: /^[0-9,*?/LW-]+$/ },
  { name: 'month', allowed: /^[0-9A-Za-z,*/-]+$/ },
  { name: 'day-of-week', allowed: /^[0-9A-Za-z,*?L#-]+$/ },
  { name: 'year', allowed: /^[0-9,*/-]+$/ },
] as const;

function cronProblem(fields: string): string | undefined {
  const values = fields.trim().split(/\s+/);
  if (values.length !== CRON_FIELDS.length) {
    return `it has ${values.length} fields, and Scheduler's cron has ${CRON_FIELDS.length} (${CRON_FIELDS.map((field) => field.name).join(' ')}); a Unix crontab line lacks the year`;
  }
  const refused = CRON_FIELDS.flatMap((field, index) =>
    field.allowed.test(values[index] ?? '') ? [] : [`${field.name} ${values[index]}`],
  );
  if (refused.length > 0) {
    return `these fields hold characters Scheduler does not allow there: ${refused.join(', ')}`;
  }
  // Scheduler cannot match a day of the month and a day of the week at once: one of them is `?`.
  const dayOfMonth = values[2] === '?';
  const dayOfWeek = values[4] === '?';
  if (dayOfMonth === dayOfWeek) {
    return dayOfMonth
      ? 'both day-of-month and day-of-week are ?; give one of them (* for every day)'
      : 'day-of-month and day-of-week are both set; Scheduler needs ? in one of them, e.g. cron(0 3 * * ? *)';
  }
  return undefined;
}

function atProblem(match: RegExpExecArray): string | undefined {
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const exact =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return exact ? undefined : 'it names no date and time of the calendar';
}

/** Why EventBridge Scheduler would refuse the expression; undefined when it accepts it. */
function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate !== null) return Number(rate[1]) > 0 ? undefined : 'a rate must be at least 1';
  const cron = CRON.exec(expression);
  if (cron !== null) return cronProblem(cron[1] ?? '');
  const at = AT.exec(expression);
  if (at !== null) return atProblem(at);
  return 'it is not a rate(...), cron(...) or at(...) expression';
}

/**
 * Checks a `driftCheckSchedule` as EventBridge Scheduler will, so a typo fails the synth instead
 * of the deploy (CloudFormation would refuse it only after the rest of the stack was built).
 * `setting` names where the value came from, for the message. A token is left to the deploy.
 *
 * @throws DriftScheduleSettingsError saying what is wrong and what to write instead.
 */
export function checkDriftSchedule(schedule: string, setting: string): void {
  if (schedule === DRIFT_SCHEDULE_OFF || Token.isUnresolved(schedule)) return;
  const problem = scheduleExpressionProblem(schedule);
  if (problem !== undefined) {
    throw new DriftScheduleSettingsError(
      `${setting} ${JSON.stringify(schedule)} is not a schedule EventBridge Scheduler accepts: ${problem}; ${FORMS}`,
    );
  }
}

/** The drift check's schedule given as CDK context, checked; undefined when absent. */
export function driftScheduleFromContext(node: Node): string | undefined {
  const value: unknown = node.tryGetContext(DRIFT_SCHEDULE_CONTEXT_KEY);
  if (value === undefined) return undefined;
  const setting = `context "${DRIFT_SCHEDULE_CONTEXT_KEY}"`;
  if (typeof value !== 'string') {
    throw new DriftScheduleSettingsError(
      `${setting} must be a string, got ${JSON.stringify(value)}; ${FORMS}`,
    );
  }
  checkDriftSchedule(value, setting);
  return value;
}

/**
 * Whether the scheduled drift check heals, given as CDK context: `true` or `false`, as JSON in
 * cdk.json or as the text `-c healDrift=true` passes; undefined when absent.
 */
export function healDriftFromContext(node: Node): boolean | undefined {
  const value: unknown = node.tryGetContext(HEAL_DRIFT_CONTEXT_KEY);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new DriftScheduleSettingsError(
    `context "${HEAL_DRIFT_CONTEXT_KEY}" must be true (the scheduled drift check applies each drifted cluster's desired state again) or false (it reports and alarms only), got ${JSON.stringify(value)}`,
  );
}
