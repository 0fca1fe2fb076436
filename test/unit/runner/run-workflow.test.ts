import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowDefinitionError } from '../../../functions/core/workflow-files.ts';
import { allStates } from '../../../local/runner/definition.ts';
import {
  AWS_DEFAULT_TASK_TIMEOUT_SECONDS,
  giveTasksAwsDefaultTimeout,
  HISTORY_LIMIT_EXCEEDED,
  type RunWorkflowOptions,
  runWorkflow,
  WorkflowFailedError,
} from '../../../local/runner/run-workflow.ts';

const fixtures = join(import.meta.dirname, 'fixtures');

function options(overrides: Partial<RunWorkflowOptions> = {}): RunWorkflowOptions {
  return {
    region: 'us-west-2',
    account: '111122223333',
    stateMachinesDir: join(fixtures, 'state-machines'),
    functionsDir: join(fixtures, 'functions'),
    substitutions: { Label: 'fixture' },
    shortenWaits: true,
    ...overrides,
  };
}

describe('runWorkflow', () => {
  it("fails a task that runs past its function's timeout (its contract's descriptor) as Lambda does", async () => {
    await assert.rejects(
      runWorkflow('slow', { milliseconds: 3000 }, options()),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        error.error === 'Sandbox.Timedout' &&
        /Task timed out after 1\.00 seconds/.test(error.cause) &&
        error.state === 'Slow',
    );
  });

  it('gives the handler the time left before its timeout', async () => {
    const output = (await runWorkflow('slow', { milliseconds: 1 }, options())) as {
      remainingAtStart: number;
    };
    assert.ok(output.remainingAtStart > 500 && output.remainingAtStart <= 1000);
  });

  it('gives concurrent invocations their own SDK clients, as separate Lambda instances, and reuses warm ones', async () => {
    const output = (await runWorkflow('instances', { items: [1, 2, 3] }, options())) as {
      concurrent: number[];
      sequential: number[];
    };
    assert.equal(new Set(output.concurrent).size, 3);
    assert.equal(new Set(output.sequential).size, 1);
    assert.ok(output.concurrent.includes(output.sequential[0] ?? 0));
  });

  it('runs at most 40 iterations of an inline Map at once, as Step Functions does, however many items', async () => {
    const items = Array.from({ length: 60 }, (_, index) => index);
    const clients = (await runWorkflow('unbounded', { items }, options())) as number[];
    // Each iteration holds its instance (and its SDK client) while it waits: 40 at once.
    assert.equal(clients.length, 60);
    assert.equal(new Set(clients).size, 40);
  });

  it('runs tasks, a Map, retries and a nested workflow and returns the output', async () => {
    const progress: string[] = [];
    const invoked: string[] = [];
    const started = performance.now();
    const output = await runWorkflow(
      'parent',
      { key: 'full-run', values: [1, 2, 3] },
      options({
        onProgress: (line) => progress.push(line),
        onTaskInvoked: (task) => invoked.push(task),
      }),
    );
    assert.deepEqual(output, { label: 'fixture', total: 12, status: 'SUCCEEDED', attempts: 3 });
    // The one-hour Wait and the 60-second retry intervals were shortened.
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(invoked.sort(), [
      'double',
      'double',
      'double',
      'flaky',
      'flaky',
      'flaky',
      'sum',
    ]);
    assert.ok(progress.includes('Double Each: 3 / 3 items done'), progress.join('\n'));
    assert.equal(
      progress.filter((line) => line.startsWith('Flaky Step: retrying after ThrottlingException'))
        .length,
      2,
    );
    assert.ok(progress.includes('Add Up In Child: nested workflow child succeeded'));
  });

  it('counts every state entered, including Map iterations and the nested run', async () => {
    const entered: string[] = [];
    await runWorkflow(
      'parent',
      { key: 'counting', values: [1, 2] },
      options({ onStateEntered: (s) => entered.push(s) }),
    );
    assert.equal(entered.filter((state) => state === 'Double').length, 2);
    assert.ok(entered.includes('Sum'));
  });

  it("measures every state's input and output, in Map iterations and the nested run too", async () => {
    const largest = new Map<string, { input: number; output: number }>();
    const output = await runWorkflow(
      'parent',
      { key: 'sizes', values: [1, 2, 3] },
      options({
        onStateData: (state, data, bytes) => {
          const sizes = largest.get(state) ?? { input: 0, output: 0 };
          sizes[data] = Math.max(sizes[data], bytes);
          largest.set(state, sizes);
        },
      }),
    );
    assert.deepEqual([...largest.keys()].sort(), [
      'Add Up In Child',
      'Double',
      'Double Each',
      'Flaky Step',
      'Label',
      'Sum',
      'Wait A Long Time',
    ]);
    for (const [state, sizes] of largest) {
      assert.ok(sizes.input > 0 && sizes.output > 0, `${state}: ${JSON.stringify(sizes)}`);
    }
    assert.equal(largest.get('Label')?.output, Buffer.byteLength(JSON.stringify(output)));
    assert.equal(largest.get('Double')?.input, Buffer.byteLength('{"value":1}'));
  });

  it('reports a failing task with its error name, cause and state', async () => {
    await assert.rejects(runWorkflow('failing', {}, options()), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'ConfigValidationError');
      assert.equal(error.cause, 'the input names no cluster');
      assert.equal(error.state, 'Reject');
      return true;
    });
  });

  it('fails a nested run as States.TaskFailed carrying the child error', async () => {
    await assert.rejects(runWorkflow('failing-parent', {}, options()), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'States.TaskFailed');
      assert.match(error.cause, /"Error":"ConfigValidationError"/);
      return true;
    });
  });

  it('refuses a task result over the 256 KiB Step Functions payload limit', async () => {
    await assert.rejects(
      runWorkflow('failing', { size: 300 * 1024 }, options()),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.equal(error.error, 'States.DataLimitExceeded');
        return true;
      },
    );
  });

  it("fails the run when a state's output passes 256 KiB, as Step Functions does", async () => {
    const item = 'x'.repeat(1000);
    const small = await runWorkflow('growing', { items: [item, item] }, options());
    assert.deepEqual((small as { kept: string[] }).kept, [item, item]);
    // Each state's input is under the limit; the Map's output (items and kept) is not.
    const items = Array.from({ length: 150 }, () => item);
    await assert.rejects(runWorkflow('growing', { items }, options()), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'States.DataLimitExceeded');
      assert.match(error.cause, /the output of state Fan Out is \d+ bytes/);
      assert.equal(error.state, 'Fan Out');
      return true;
    });
  });

  it('fails the run whose history passes 25,000 events, as Step Functions does', async () => {
    // Each item: its iteration's start and end, and its Pass state's entered and exited events.
    const items = (count: number) => ({
      items: Array.from({ length: count }, (_, index) => index),
    });
    const within = (await runWorkflow('growing', items(6000), options())) as { kept: number[] };
    assert.equal(within.kept.length, 6000);
    const overLimit = (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, HISTORY_LIMIT_EXCEEDED);
      assert.match(error.cause, /reached Step Functions' hard limit of 25000 history events/);
      return true;
    };
    await assert.rejects(runWorkflow('growing', items(6300), options()), overLimit);
    // A Lambda task records five events besides the iteration's two: 3,500 fit, 3,600 do not.
    const tasks = (await runWorkflow('many-tasks', items(3500), options())) as number[];
    assert.equal(tasks.length, 3500);
    await assert.rejects(runWorkflow('many-tasks', items(3600), options()), overLimit);
  });

  it("reports each execution's history events when it ends, a nested run's apart from its parent's", async () => {
    const counted: string[] = [];
    const onHistoryEvents = (workflow: string, events: number) =>
      counted.push(`${workflow} ${events}`);
    await runWorkflow('many-tasks', { items: [0, 1, 2] }, options({ onHistoryEvents }));
    // Start and end, the Map's entered, started, ended and exited events, seven an item.
    assert.deepEqual(counted, [`many-tasks ${2 + 4 + 3 * 7}`]);

    counted.length = 0;
    await runWorkflow(
      'parent',
      { key: 'history', values: [1, 2, 3] },
      options({ onHistoryEvents }),
    );
    // The child: start and end, and its one task's five. The parent: start and end, the Wait's two,
    // the flaky task's five and three more per retry (two), the Map's four and seven an item, the
    // nested run's six (its submitted event too) and the Pass state's two.
    assert.deepEqual(counted, [
      `child ${2 + 5}`,
      `parent ${2 + 2 + (5 + 2 * 3) + (4 + 3 * 7) + 6 + 2}`,
    ]);
  });

  it('reports the history of a run that fails too', async () => {
    const counted: number[] = [];
    await assert.rejects(
      runWorkflow(
        'growing',
        { items: Array.from({ length: 6300 }, (_, index) => index) },
        options({ onHistoryEvents: (_workflow, events) => counted.push(events) }),
      ),
      { name: 'WorkflowFailedError' },
    );
    assert.equal(counted.length, 1);
    assert.ok((counted[0] ?? 0) > 25_000);
  });

  it('refuses a definition whose substitutions are missing', async () => {
    await assert.rejects(
      runWorkflow('parent', { key: 'x', values: [] }, options({ substitutions: {} })),
      (error: unknown) => error instanceof WorkflowDefinitionError && /Label/.test(error.message),
    );
  });

  it('names the expected file for an unknown workflow', async () => {
    await assert.rejects(
      runWorkflow('no-such-workflow', {}, options()),
      /no workflow named "no-such-workflow"/,
    );
  });
});

describe('Task timeouts', () => {
  it("give a Task without TimeoutSeconds Step Functions' default (as long as the execution), not the runner library's 60 s, and keep those set", () => {
    const states = allStates({
      StartAt: 'Nested',
      States: {
        Nested: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution.sync:2',
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Inner',
            States: {
              Inner: { Type: 'Task', Resource: 'arn:fn', Next: 'Set' },
              Set: { Type: 'Task', Resource: 'arn:fn', TimeoutSeconds: 30, Next: 'ByPath' },
              ByPath: { Type: 'Task', Resource: 'arn:fn', TimeoutSecondsPath: '$.t', End: true },
            },
          },
          End: true,
        },
      },
    });
    giveTasksAwsDefaultTimeout(states);
    const timeouts = Object.fromEntries(
      [...states].map(([name, state]) => [name, state.TimeoutSeconds]),
    );
    assert.deepEqual(timeouts, {
      Nested: AWS_DEFAULT_TASK_TIMEOUT_SECONDS,
      Each: undefined,
      Inner: AWS_DEFAULT_TASK_TIMEOUT_SECONDS,
      Set: 30,
      ByPath: undefined,
    });
    // Longer than a day (the workflows' execution timeout), within what a node timer can wait.
    assert.ok(AWS_DEFAULT_TASK_TIMEOUT_SECONDS > 86_400);
    assert.ok(AWS_DEFAULT_TASK_TIMEOUT_SECONDS * 1000 <= 2 ** 31 - 1);
  });
});
