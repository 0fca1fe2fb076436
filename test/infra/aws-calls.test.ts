/**
 * Each task's descriptor against its code and its grants: `awsCalls` lists exactly the AWS calls
 * the task's Lambda bundle can send (built as TaskFunction builds it, so code no handler reaches
 * does not count), and the task's grants allow each of them, or infra/grants.ts says why not.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { readTaskDescriptor, type TaskDescriptor } from '../../functions/core/task-descriptor.ts';
import { handlerEntry, listTasks } from '../../functions/core/workflow-files.ts';
import { GRANTS, UNGRANTED_CALLS } from '../../infra/grants.ts';
import { FUNCTIONS_DIR } from '../../infra/paths.ts';
import { type BundledSdk, buildTaskBundles, bundledSdk } from '../../infra/task-bundle.ts';
import {
  actionsForOwnCalls,
  type GrantTable,
  standaloneGrantContext,
  taskPermissionsFor,
} from '../../infra/task-permissions.ts';

const TASKS = [...listTasks(FUNCTIONS_DIR).keys()];

/** The IAM service prefix of an SDK client package where it is not the package's own suffix. */
const IAM_PREFIXES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-eventbridge': 'events',
};

/** SDK operations authorised by an IAM action of another name. */
const ACTION_OF_OPERATION: Readonly<Record<string, string>> = {
  's3:ListObjectsV2': 's3:ListBucket',
};

/** Actions a call needs only with some inputs, beside its own: GetObject of a given version. */
const INPUT_DEPENDENT_ACTIONS: Readonly<Record<string, string>> = {
  's3:GetObjectVersion': 's3:GetObject',
};

/** The IAM action each SDK command of a bundle needs. */
function actionsOf(sdk: BundledSdk): Set<string> {
  return new Set(
    sdk.commands.map(({ package: sdkPackage, operation }) => {
      const action = `${IAM_PREFIXES[sdkPackage] ?? sdkPackage.replace('@aws-sdk/client-', '')}:${operation}`;
      return ACTION_OF_OPERATION[action] ?? action;
    }),
  );
}

/** The calls of `awsCalls` that the grants (built for the stack's defaults and variants) leave out. */
function uncoveredCalls(
  grants: GrantTable,
  task: string,
  descriptor: TaskDescriptor,
  context: Parameters<typeof standaloneGrantContext>[1] = {},
): string[] {
  const allowed = actionsForOwnCalls(
    taskPermissionsFor(
      grants,
      task,
      descriptor.grants,
      standaloneGrantContext(new Stack(), context),
    ),
  );
  return descriptor.awsCalls.filter(
    (call) => !allowed.has(call) && !Object.hasOwn(UNGRANTED_CALLS, call),
  );
}

describe('each task’s AWS calls', () => {
  let bundles: Map<string, BundledSdk>;

  before(async () => {
    // One build of every task with TaskFunction's options, in memory: nothing is written or run.
    const { metafile } = await buildTaskBundles(
      Object.fromEntries(TASKS.map((task) => [task, handlerEntry(FUNCTIONS_DIR, task)])),
      path.join(tmpdir(), 'eks-pia-aws-calls'),
      { write: false, logLevel: 'error', metafile: true },
    );
    assert.ok(metafile);
    bundles = bundledSdk(metafile);
  });

  for (const task of TASKS) {
    it(`${task}: lists every SDK command its bundle sends, and no other`, () => {
      const sdk = bundles.get(task);
      assert.ok(sdk, `no bundle for ${task}`);
      const sent = actionsOf(sdk);
      const { awsCalls } = readTaskDescriptor(FUNCTIONS_DIR, task);

      assert.deepEqual(
        [...sent].filter((action) => !awsCalls.includes(action)),
        [],
        `${task}'s code sends these, but its descriptor's awsCalls does not list them`,
      );
      assert.deepEqual(
        awsCalls.filter(
          (call) => !sent.has(call) && !sent.has(INPUT_DEPENDENT_ACTIONS[call] ?? call),
        ),
        [],
        `${task}'s descriptor lists these in awsCalls, but its code sends no such command`,
      );
    });
  }
});

describe('each task’s grants', () => {
  const variants = {
    'the stack’s defaults': {},
    'allowed role patterns': {
      guardrails: { allowedRoleArnPatterns: ['arn:aws:iam::111122223333:role/apps/*'] },
    },
  };

  for (const task of TASKS) {
    it(`${task}: allow every call its descriptor lists, with the stack's defaults or guardrails`, () => {
      const descriptor = readTaskDescriptor(FUNCTIONS_DIR, task);
      for (const [variant, context] of Object.entries(variants)) {
        assert.deepEqual(
          uncoveredCalls(GRANTS, task, descriptor, context),
          [],
          `${task} calls these, but none of its grants (${descriptor.grants.join(', ')}) allows them, with ${variant}`,
        );
      }
    });
  }

  it('do not count a statement that allows calls only through CloudFormation', () => {
    const descriptor = readTaskDescriptor(FUNCTIONS_DIR, 'add-pod-identity-trust');

    assert.deepEqual(
      uncoveredCalls(GRANTS, 'add-pod-identity-trust', {
        ...descriptor,
        awsCalls: [...descriptor.awsCalls, 'iam:TagRole'],
      }),
      ['iam:TagRole'],
    );
  });

  it('leave out only calls that some task makes and no grant allows', () => {
    const called = new Set(
      TASKS.flatMap((task) => readTaskDescriptor(FUNCTIONS_DIR, task).awsCalls),
    );
    const context = standaloneGrantContext(new Stack());
    const granted = new Set(
      Object.values(GRANTS).flatMap((grant) =>
        grant.build(context).statements.flatMap((statement) => statement.actions),
      ),
    );

    for (const call of Object.keys(UNGRANTED_CALLS)) {
      assert.ok(called.has(call), `${call} is listed as ungranted, but no task calls it`);
      assert.ok(!granted.has(call), `${call} is listed as ungranted, but a grant allows it`);
    }
  });
});
