import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// The logger takes its level when its module loads, so the level the test runner silences logs
// with is lifted before the import; the lines are captured instead.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { logger } = await import('../../../functions/aws/lambda.ts');
const { runWorkflow } = await import('../../../local/runner/run-workflow.ts');

const fixtures = join(import.meta.dirname, 'fixtures');

describe('the local runner, running invocations side by side in one process', () => {
  it("keeps each invocation's correlation keys and Lambda context on its own log lines", async () => {
    const lines: Record<string, unknown>[] = [];
    const loggerConsole = logger as unknown as { console: Record<string, unknown> };
    const saved = loggerConsole.console;
    const capture = (text: string) => lines.push(JSON.parse(text) as Record<string, unknown>);
    loggerConsole.console = { info: capture, error: capture, warn: capture, debug: capture };
    // The longest starts first and ends last: the others start while it waits and end before it.
    const clusters = [
      { clusterName: 'long', holdMs: 400 },
      { clusterName: 'short', holdMs: 50 },
      { clusterName: 'middle', holdMs: 200 },
    ];
    try {
      const output = await runWorkflow(
        'logging',
        { clusters },
        {
          region: 'us-west-2',
          account: '111122223333',
          stateMachinesDir: join(fixtures, 'state-machines'),
          functionsDir: join(fixtures, 'functions'),
          shortenWaits: true,
        },
      );
      assert.deepEqual(output, ['long', 'short', 'middle']);
    } finally {
      loggerConsole.console = saved;
    }
    assert.equal(lines.length, 6, JSON.stringify(lines));
    const requestIds = new Map<string, Set<unknown>>();
    for (const line of lines) {
      const cluster = /for (\w+)$/.exec(String(line.message))?.[1] ?? '';
      assert.equal(line.cluster, cluster, JSON.stringify(line));
      assert.equal(line.task, 'log-keys', JSON.stringify(line));
      assert.equal(line.function_name, 'eks-pia-log-keys', JSON.stringify(line));
      requestIds.set(cluster, (requestIds.get(cluster) ?? new Set()).add(line.function_request_id));
    }
    // Each invocation's two lines name its own request, and no two invocations the same one.
    const ids = [...requestIds.values()];
    assert.deepEqual(
      ids.map((set) => set.size),
      [1, 1, 1],
    );
    assert.equal(new Set(ids.flatMap((set) => [...set])).size, 3);
  });
});
