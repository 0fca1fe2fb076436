import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { createAutomationApp } from '../../infra/automation-app.ts';
import { driftScheduleFromContext, healDriftFromContext } from '../../infra/drift-schedule.ts';
import { DriftScheduleSettingsError } from '../../infra/errors.ts';
import { FIXTURE_STACK_PROPS, NO_BUNDLING, testAppProps } from './fixture-stack.ts';

function contextNode(context: Record<string, unknown>) {
  return new App({ context: { ...NO_BUNDLING.context, ...context } }).node;
}

const schedule = (value: unknown) =>
  driftScheduleFromContext(contextNode({ driftCheckSchedule: value }));

function refused(read: () => unknown, pattern: RegExp): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof DriftScheduleSettingsError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('the drift check schedule from CDK context', () => {
  it('reads the rate, cron and at expressions EventBridge Scheduler accepts, and off', () => {
    for (const value of [
      'rate(1 day)',
      'rate(12 hours)',
      'rate(1 minutes)',
      'cron(0 3 * * ? *)',
      'cron(15 2 ? * MON-FRI *)',
      'cron(0/30 8-18 L * ? 2027)',
      'at(2027-02-28T03:00:00)',
      'off',
    ]) {
      assert.equal(schedule(value), value);
    }
    assert.equal(driftScheduleFromContext(new App().node), undefined);
  });

  it('refuses what Scheduler would refuse, saying why and what to write', () => {
    for (const [value, why] of [
      ['daily', /is not a rate\(\.\.\.\), cron\(\.\.\.\) or at\(\.\.\.\) expression/],
      ['rate(0 days)', /a rate must be at least 1/],
      ['rate(1 week)', /is not a rate/],
      ['rate(1day)', /is not a rate/],
      ['cron(0 3 * * *)', /it has 5 fields, and Scheduler's cron has 6 .*lacks the year/],
      ['cron(0 3 * * * *)', /Scheduler needs \? in one of them/],
      ['cron(0 3 ? * ? *)', /both day-of-month and day-of-week are \?/],
      ['cron(0 3h * * ? *)', /characters Scheduler does not allow there: hours 3h/],
      ['at(2027-02-30T03:00:00)', /names no date and time of the calendar/],
      ['at(2027-02-28 03:00:00)', /is not a rate/],
    ] as const) {
      refused(
        () => schedule(value),
        new RegExp(
          `^context "driftCheckSchedule" ${JSON.stringify(value).replace(/[()*?]/g, '\\$&')} is not a schedule EventBridge Scheduler accepts: .*${why.source}.*; give rate\\(<N> minutes\\|hours\\|days\\), cron\\(`,
        ),
      );
    }
    refused(() => schedule(24), /^context "driftCheckSchedule" must be a string, got 24; give/);
  });

  it('checks the stack prop the same way', () => {
    refused(
      () =>
        createAutomationApp({
          appProps: testAppProps(),
          stackProps: { ...FIXTURE_STACK_PROPS, driftCheckSchedule: 'cron(0 3 * * *)' },
        }),
      /^stack prop driftCheckSchedule "cron\(0 3 \* \* \*\)" is not a schedule/,
    );
  });
});

describe('healDrift from CDK context', () => {
  const heal = (value: unknown) => healDriftFromContext(contextNode({ healDrift: value }));

  it('reads true and false, as JSON in cdk.json or as the text -c passes', () => {
    assert.equal(heal(true), true);
    assert.equal(heal('true'), true);
    assert.equal(heal(false), false);
    assert.equal(heal('false'), false);
    assert.equal(healDriftFromContext(new App().node), undefined);
  });

  it('refuses anything else', () => {
    refused(() => heal('yes'), /^context "healDrift" must be true .* or false .*, got "yes"$/);
  });
});
