/**
 * What every Task state of every workflow must carry: its kind's one retry policy, a state
 * timeout that lets its function finish (at least the function's timeout, at most a minute
 * more), and a function timeout that covers the task's worst case. Every ASL file, the test
 * fixtures included, passes asl-validator.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import aslValidator from 'asl-validator';
import { roleVisibilityWaitSeconds } from '../../functions/aws/eks-associations.ts';
import { readTaskDescriptor } from '../../functions/core/task-descriptor.ts';
import { throttledCallSeconds, worstCaseSeconds } from '../../functions/core/timeout-budget.ts';
import {
  fillPlaceholders,
  listWorkflows,
  NESTED_RUN_RESOURCE,
  readWorkflowDefinition,
  taskOfPlaceholder,
  workflowFile,
  workflowOfPlaceholder,
} from '../../functions/core/workflow-files.ts';
import {
  ACCESS_PROPAGATION_ATTEMPTS,
  ACCESS_PROPAGATION_DELAY_MS,
} from '../../functions/migration/discover-irsa/discover-irsa.ts';
import { FUNCTIONS_DIR, PROJECT_ROOT, STATE_MACHINES_DIR } from '../../infra/paths.ts';
import { retryPolicyFor } from '../../infra/retry-policies.ts';
import { functionArn, stateMachineArn } from '../../local/runner/definition.ts';

const ACCOUNT = { region: 'us-east-1', account: '111122223333' };

interface TaskState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Retry?: unknown;
}

function taskStates(asl: Record<string, unknown>): [string, TaskState][] {
  const found: [string, TaskState][] = [];
  const visit = (machine: { States: Record<string, TaskState & Record<string, unknown>> }) => {
    for (const [name, state] of Object.entries(machine.States)) {
      if (state.Type === 'Task') found.push([name, state]);
      for (const key of ['ItemProcessor', 'Iterator']) {
        if (state[key]) visit(state[key] as typeof machine);
      }
      for (const branch of (state.Branches as (typeof machine)[] | undefined) ?? []) visit(branch);
    }
  };
  visit(asl as { States: Record<string, TaskState & Record<string, unknown>> });
  return found;
}

const workflows = listWorkflows(STATE_MACHINES_DIR).map((workflow) =>
  readWorkflowDefinition(workflowFile(STATE_MACHINES_DIR, workflow)),
);

describe('every Task state', () => {
  for (const definition of workflows) {
    for (const [name, state] of taskStates(definition.asl)) {
      const resource = state.Resource ?? '';
      it(`${definition.workflow} / ${name}: carries the canonical retry policy of its kind`, () => {
        assert.deepEqual(
          state.Retry,
          retryPolicyFor(resource),
          `replace its Retry with the policy in infra/retry-policies.ts`,
        );
      });
      const placeholder = /^\$\{(\w+)\}$/.exec(resource)?.[1];
      const task = placeholder === undefined ? undefined : taskOfPlaceholder(placeholder);
      if (task !== undefined) {
        it(`${definition.workflow} / ${name}: waits for ${task} at least its Lambda timeout and at most a minute more`, () => {
          const { timeoutSeconds } = readTaskDescriptor(FUNCTIONS_DIR, task).timeout;
          assert.ok(
            state.TimeoutSeconds !== undefined &&
              state.TimeoutSeconds >= timeoutSeconds &&
              state.TimeoutSeconds <= timeoutSeconds + 60,
            `TimeoutSeconds ${state.TimeoutSeconds} must be within [${timeoutSeconds}, ${timeoutSeconds + 60}]`,
          );
        });
      } else {
        it(`${definition.workflow} / ${name}: is a nested run that names its parent execution`, () => {
          assert.match(resource, NESTED_RUN_RESOURCE);
          const input = (state as { Parameters?: { Input?: Record<string, unknown> } }).Parameters
            ?.Input;
          assert.equal(input?.['AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$'], '$$.Execution.Id');
        });
      }
    }
  }
});

describe('task timeouts', () => {
  const tasks = [...new Set(workflows.flatMap((definition) => definition.tasks))];

  it('a fully throttled call runs 8 attempts through delays of up to 20 s (+5 s Retry-After)', () => {
    // 8 attempts of 1 s; delays 1, 2, 4, 8, 16, 20, 20 s, each stretched by up to 5 s.
    assert.equal(throttledCallSeconds(), 8 + 71 + 35);
  });

  for (const task of tasks) {
    it(`${task}: its worst case, retry chains included, fits its Lambda timeout`, () => {
      const { timeoutSeconds, worstCase } = readTaskDescriptor(FUNCTIONS_DIR, task).timeout;
      assert.ok(
        worstCaseSeconds(worstCase) <= timeoutSeconds,
        `worst case ${worstCaseSeconds(worstCase)} s > timeout ${timeoutSeconds} s`,
      );
      if (worstCase.sequentialCalls > 0) assert.ok(worstCase.throttledCalls >= 1);
    });
  }

  it('tasks that create associations budget the whole role-visibility retry', () => {
    for (const task of ['apply-association-batch', 'create-migration-associations']) {
      assert.ok(
        readTaskDescriptor(FUNCTIONS_DIR, task).timeout.worstCase.waitSeconds >=
          roleVisibilityWaitSeconds(),
      );
    }
  });

  it('discover-irsa budgets the wait for its new access entry', () => {
    assert.ok(
      readTaskDescriptor(FUNCTIONS_DIR, 'discover-irsa').timeout.worstCase.waitSeconds >=
        ((ACCESS_PROPAGATION_ATTEMPTS - 1) * ACCESS_PROPAGATION_DELAY_MS) / 1000,
    );
  });
});

describe('asl-validator', () => {
  const files = [
    ...workflows.map((definition) => definition.file),
    ...findAslFiles(path.join(PROJECT_ROOT, 'test')),
  ];
  for (const file of files) {
    it(`${path.relative(PROJECT_ROOT, file)} is valid ASL`, () => {
      // Placeholders filled as deployment fills them: ARNs for tasks and nested workflows.
      const { text } = fillPlaceholders(readWorkflowDefinition(file).text, (name) => {
        const task = taskOfPlaceholder(name);
        if (task !== undefined) return functionArn(task, ACCOUNT);
        const nested = workflowOfPlaceholder(name);
        return nested === undefined ? name : stateMachineArn(nested, ACCOUNT);
      });
      const { isValid, errorsText } = aslValidator(JSON.parse(text), {
        checkArn: true,
        checkPaths: true,
      });
      assert.ok(isValid, errorsText('\n'));
    });
  }
});

function findAslFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.asl.json'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
