import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { inLambdaInstance, newLambdaInstance } from '../../../functions/aws/clients.ts';
import { NamedError } from '../../../functions/core/errors.ts';
import {
  TASK_WORKFLOWS_VARIABLE,
  workflowsByTask,
} from '../../../functions/core/workflow-files.ts';
import * as z from '../../../functions/core/zod.ts';
import { STATE_MACHINES_DIR } from '../../../local/runner/definition.ts';

// The logger takes its level when the module loads and returns to it at every invocation, so the
// level the test runner silences logs with is lifted before the import; the lines are captured.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { defineTask, functionAccount, InvalidTaskInputError, InvalidTaskOutputError, logger } =
  await import('../../../functions/aws/lambda.ts');

class ClusterNotActiveError extends NamedError {
  override readonly name = 'ClusterNotActiveError';
}

const context = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

const probe = defineTask(
  'probe',
  {
    input: z.object({ clusterName: z.string(), fail: z.optional(z.boolean()) }),
    output: z.object({ checked: z.string() }),
  },
  async (event) => {
    logger.info('checking');
    if (event.fail) {
      throw new ClusterNotActiveError(`${event.clusterName} is CREATING`, {
        cause: new Error('describe said so'),
      });
    }
    return { checked: event.clusterName };
  },
);

/** Every line the shared logger prints, parsed, while the test runs. */
let lines: Record<string, unknown>[] = [];

describe('defineTask', () => {
  const loggerConsole = logger as unknown as { console: Record<string, unknown> };
  let saved: Record<string, unknown>;
  beforeEach(() => {
    lines = [];
    saved = loggerConsole.console;
    const capture = (text: string) => lines.push(JSON.parse(text) as Record<string, unknown>);
    loggerConsole.console = {
      info: capture,
      error: capture,
      warn: capture,
      debug: capture,
      log: capture,
      trace: capture,
    };
    process.env[TASK_WORKFLOWS_VARIABLE] = 'associations';
  });
  afterEach(() => {
    loggerConsole.console = saved;
    delete process.env[TASK_WORKFLOWS_VARIABLE];
  });

  it('refuses an input its schema refuses, with InvalidTaskInputError', async () => {
    await assert.rejects(probe({ clusterName: 7 }, context), (error: Error) => {
      assert.ok(error instanceof InvalidTaskInputError);
      assert.equal(error.name, 'InvalidTaskInputError');
      assert.match(error.message, /^probe: invalid input: clusterName: /);
      return true;
    });
  });

  it('refuses an output its schema refuses, with InvalidTaskOutputError naming the task', async () => {
    const wrong = defineTask(
      'wrong-output',
      { input: z.object({}), output: z.object({ found: z.boolean() }) },
      async () => ({ found: 'yes' }) as unknown as { found: boolean },
    );
    await assert.rejects(wrong({}, context), (error: Error) => {
      assert.ok(error instanceof InvalidTaskOutputError);
      assert.equal(error.name, 'InvalidTaskOutputError');
      assert.match(error.message, /^wrong-output: invalid output: found: /);
      return true;
    });
  });

  it('returns the task’s own value once its output schema accepts it', async () => {
    assert.deepEqual(await probe({ clusterName: 'demo' }, context), { checked: 'demo' });
  });

  it('logs a failure once, at error level, with its name, message and cause, then rethrows it unchanged', async () => {
    await assert.rejects(probe({ clusterName: 'demo', fail: true, runId: 'run-1' }, context), {
      name: 'ClusterNotActiveError',
      message: 'demo is CREATING',
    });
    const errors = lines.filter((line) => line.level === 'ERROR');
    assert.equal(errors.length, 1);
    const [line] = errors;
    assert.match(String(line?.message), /ClusterNotActiveError: demo is CREATING/);
    const error = line?.error as Record<string, unknown>;
    assert.equal(error.name, 'ClusterNotActiveError');
    assert.equal(error.message, 'demo is CREATING');
    assert.equal((error.cause as Record<string, unknown>).message, 'describe said so');
  });

  it('logs an invalid input with its error name too', async () => {
    await assert.rejects(probe({}, context), { name: 'InvalidTaskInputError' });
    assert.deepEqual(
      lines.map((line) => [line.level, (line.error as { name?: string } | undefined)?.name]),
      [['ERROR', 'InvalidTaskInputError']],
    );
  });

  it('puts task, workflow, execution and cluster on every line of an invocation, and only of that one', async () => {
    await probe({ clusterName: 'demo', runId: 'exec-42' }, context);
    await assert.rejects(probe({ clusterName: 'other', fail: true }, context));
    assert.equal(lines.length, 3);
    const [first, second, third] = lines;
    assert.deepEqual(
      [first?.task, first?.workflow, first?.execution, first?.cluster],
      ['probe', 'associations', 'exec-42', 'demo'],
    );
    for (const line of [second, third]) {
      assert.deepEqual(
        [line?.task, line?.workflow, line?.cluster, 'execution' in (line ?? {})],
        ['probe', 'associations', 'other', false],
      );
    }
  });

  it("takes the workflow from the instance's own environment where instances share a process", async () => {
    const instance = newLambdaInstance({ [TASK_WORKFLOWS_VARIABLE]: 'migrate-to-pod-identity' });
    await inLambdaInstance(instance, () => probe({ clusterName: 'demo' }, context));
    assert.equal(lines[0]?.workflow, 'migrate-to-pod-identity');
  });

  it('keeps a level its host holds through every later invocation, warm ones too, until released', async () => {
    // Powertools returns to the level it was built with at each warm invocation.
    try {
      logger.holdLogLevel('SILENT');
      for (let invocation = 0; invocation < 3; invocation += 1) {
        await assert.rejects(probe({ clusterName: 'demo', fail: true }, context));
      }
      assert.equal(lines.length, 0);
    } finally {
      logger.holdLogLevel(undefined);
    }
    await probe({ clusterName: 'demo' }, context);
    assert.deepEqual(
      lines.map((line) => line.message),
      ['checking'],
    );
  });
});

describe('workflowsByTask', () => {
  it('names, for each task, the workflows whose definitions invoke it', () => {
    const byTask = workflowsByTask(STATE_MACHINES_DIR);
    assert.deepEqual(byTask.get('check-cluster-readiness'), [
      'associations',
      'migrate-to-pod-identity',
    ]);
    assert.deepEqual(byTask.get('apply-association-batch'), ['associations']);
    assert.deepEqual(byTask.get('remove-oidc-trust'), ['migrate-to-pod-identity']);
  });
});

describe('functionAccount', () => {
  it('reads the account from the invoked ARN, qualified or not, in any partition', () => {
    for (const arn of [
      'arn:aws:lambda:us-west-2:111122223333:function:eks-pia-load',
      'arn:aws-cn:lambda:cn-north-1:111122223333:function:eks-pia-load:live',
    ]) {
      assert.equal(functionAccount({ invokedFunctionArn: arn }), '111122223333');
    }
  });

  it('refuses a context without a function ARN, saying what Lambda passes', () => {
    for (const invokedFunctionArn of ['', 'arn:aws:iam::111122223333:role/x']) {
      assert.throws(() => functionAccount({ invokedFunctionArn }), {
        name: 'InvalidLambdaContextError',
        message: /invokedFunctionArn is arn:<partition>:lambda:<region>:<account>:function:<name>/,
      });
    }
  });
});
