import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { openEngine } from '../../../local/cli/engine.ts';
import type { GlobalOptions } from '../../../local/cli/engine-types.ts';
import { main } from '../../../local/cli/main.ts';
import { FollowStoppedError } from '../../../local/cli/remote-engine.ts';
import { UsageError } from '../../../local/cli/usage-error.ts';
import { WorkflowFailedError } from '../../../local/runner/run-workflow.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const STATE_MACHINE = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const ASSOCIATIONS_ARN = STATE_MACHINE('AssociationsWorkflowStateMachine1A2B3C');
const BOOTSTRAP_ARN = STATE_MACHINE('BootstrapClusterWorkflowStateMachine4D5E6F');
const DEMO_WORLD = join(import.meta.dirname, '..', '..', '..', 'events', 'worlds', 'demo.yaml');

const sfn = mockClient(SFNClient);
const cloudFormation = mockClient(CloudFormationClient);

/** Builds a history: ids count from 1, each event follows the one before unless `after` says. */
function historyOf(
  ...events: (Omit<HistoryEvent, 'id' | 'timestamp' | 'previousEventId'> & { after?: number })[]
): HistoryEvent[] {
  return events.map(({ after, ...event }, index) => ({
    ...event,
    id: index + 1,
    previousEventId: after ?? index,
    timestamp: new Date(0),
  }));
}

const lambda = (type: 'Scheduled' | 'Started' | 'Succeeded', after?: number) =>
  ({ type: `LambdaFunction${type}`, after }) as const;

/**
 * A fake Step Functions execution: the history grows by one chunk per DescribeExecution, and
 * GetExecutionHistory serves what has happened so far, newest first when asked, `pageSize`
 * events per page, with nextToken, as the service does.
 */
class FakeExecution {
  describes = 0;
  constructor(
    readonly arn: string,
    private readonly history: HistoryEvent[],
    /** Events visible after the 1st, 2nd, ... describe; the last count also ends the run. */
    private readonly visibleAfter: number[],
    private readonly ending: DescribeExecutionOutput,
    private readonly pageSize = 4,
  ) {}

  describe(): DescribeExecutionOutput {
    this.describes += 1;
    const running = this.describes < this.visibleAfter.length;
    return running
      ? { executionArn: this.arn, status: 'RUNNING', stateMachineArn: '', startDate: new Date() }
      : this.ending;
  }

  page(input: { reverseOrder?: boolean; maxResults?: number; nextToken?: string }) {
    // A nested execution is never described: the parent's history says when it ended.
    const polls = Math.max(1, Math.min(this.describes, this.visibleAfter.length));
    const visible = this.visibleAfter[polls - 1] ?? 0;
    const events = this.history.slice(0, visible);
    if (input.reverseOrder) events.reverse();
    const start = input.nextToken === undefined ? 0 : Number(input.nextToken);
    const size = Math.min(this.pageSize, input.maxResults ?? 1000);
    const end = start + size;
    return {
      events: events.slice(start, end),
      nextToken: end < events.length ? String(end) : undefined,
    };
  }
}

function serve(...executions: FakeExecution[]): void {
  const byArn = new Map(executions.map((execution) => [execution.arn, execution]));
  const find = (arn: string | undefined) => {
    const execution = byArn.get(arn ?? '');
    if (execution === undefined) throw new Error(`no fake execution ${arn}`);
    return execution;
  };
  const [first] = executions;
  sfn
    .on(StartExecutionCommand)
    .callsFake(() => ({ executionArn: first?.arn, startDate: new Date() }));
  sfn.on(DescribeExecutionCommand).callsFake((input) => find(input.executionArn).describe());
  sfn.on(GetExecutionHistoryCommand).callsFake((input) => find(input.executionArn).page(input));
}

function deployedStack(
  outputs: Record<string, string>,
  status: StackStatus = 'UPDATE_COMPLETE',
): void {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'EksPodIdentityAutomation',
        StackStatus: status,
        CreationTime: new Date(0),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
        })),
      },
    ],
  });
}

async function remoteEngine(extra: Partial<GlobalOptions> = {}) {
  const lines: string[] = [];
  const engine = await openEngine(
    { engine: 'remote', region: REGION, pollIntervalMs: 1, ...extra },
    (line) => lines.push(line),
  );
  return { engine, lines };
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

function inputFile(value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'eks-pia-remote-')), 'input.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function executionOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const succeeded = (arn: string, output: unknown): DescribeExecutionOutput => ({
  executionArn: arn,
  stateMachineArn: '',
  status: 'SUCCEEDED',
  startDate: new Date(),
  output: JSON.stringify(output),
});

const failed = (arn: string, error: string, cause: string): DescribeExecutionOutput => ({
  executionArn: arn,
  stateMachineArn: '',
  status: 'FAILED',
  startDate: new Date(),
  error,
  cause,
});

beforeEach(() => {
  sfn.reset();
  cloudFormation.reset();
});

afterEach(() => {
  delete process.env.AWS_REGION;
});

describe('the remote engine finding the state machine', () => {
  it('starts the state machine the stack outputs for the workflow, with the input as JSON', async () => {
    deployedStack({
      AssociationsStateMachineArn: ASSOCIATIONS_ARN,
      ConfigBucketName: 'configs',
    });
    const arn = executionOf(ASSOCIATIONS_ARN, 'run-1');
    serve(new FakeExecution(arn, historyOf({ type: 'ExecutionStarted' }), [1], succeeded(arn, {})));
    const { engine } = await remoteEngine();

    await engine.run('associations', { clusterName: 'demo' });

    assert.deepEqual(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input, {
      StackName: 'EksPodIdentityAutomation',
    });
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    assert.equal(start?.stateMachineArn, ASSOCIATIONS_ARN);
    assert.equal(start?.input, '{"clusterName":"demo"}');
    assert.match(start?.name ?? '', /^eks-pia-associations-\d{8}T\d{6}-[0-9a-f]{6}$/);
  });

  it('reads the stack named by --stack-name', async () => {
    deployedStack({ AssociationsStateMachineArn: ASSOCIATIONS_ARN });
    const arn = executionOf(ASSOCIATIONS_ARN, 'run-1');
    serve(new FakeExecution(arn, historyOf({ type: 'ExecutionStarted' }), [1], succeeded(arn, {})));
    const { engine } = await remoteEngine({ stackName: 'pod-identity-prod' });

    await engine.run('associations', {});

    assert.equal(
      cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input.StackName,
      'pod-identity-prod',
    );
  });

  it('starts the --state-machine-arn without reading any stack, in that ARN’s region', async () => {
    const given = STATE_MACHINE('hand-made');
    const arn = executionOf(given, 'run-1');
    serve(new FakeExecution(arn, historyOf({ type: 'ExecutionStarted' }), [1], succeeded(arn, 7)));
    const { engine } = await remoteEngine({ region: undefined, stateMachineArn: given });

    assert.equal(await engine.run('associations', {}), 7);
    assert.equal(engine.region, REGION);
    assert.equal(cloudFormation.commandCalls(DescribeStacksCommand).length, 0);
    assert.equal(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn, given);
  });

  it('says how to fix a stack that is not deployed', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id EksPodIdentityAutomation does not exist'), {
        name: 'ValidationError',
      }),
    );
    const { engine } = await remoteEngine();

    await assert.rejects(
      engine.run('associations', {}),
      (error: unknown) =>
        error instanceof UsageError &&
        /stack EksPodIdentityAutomation does not exist in eu-west-1/.test(error.message) &&
        /npx cdk deploy/.test(error.message) &&
        /--state-machine-arn ARN/.test(error.message),
    );
    assert.equal(sfn.commandCalls(StartExecutionCommand).length, 0);
  });

  it('says how to fix a workflow the stack does not deploy', async () => {
    deployedStack({ AssociationsStateMachineArn: ASSOCIATIONS_ARN });
    const { engine } = await remoteEngine();

    await assert.rejects(
      engine.run('bootstrap-cluster', {}),
      (error: unknown) =>
        error instanceof UsageError &&
        /has no output BootstrapClusterStateMachineArn, so the bootstrap-cluster workflow is not deployed there/.test(
          error.message,
        ) &&
        /npx cdk deploy.*--state-machine-arn ARN/.test(error.message),
    );
  });

  it('names the stack status when the stack is still being created', async () => {
    deployedStack({}, 'CREATE_IN_PROGRESS');
    const { engine } = await remoteEngine();

    await assert.rejects(
      engine.run('associations', {}),
      (error: unknown) =>
        error instanceof UsageError && /\(stack status: CREATE_IN_PROGRESS\)/.test(error.message),
    );
  });

  it('refuses a --state-machine-arn that is not one, or that contradicts --region', async () => {
    await assert.rejects(
      remoteEngine({ stateMachineArn: 'arn:aws:lambda:eu-west-1:111122223333:function:x' }),
      (error: unknown) =>
        error instanceof UsageError && /is not a state machine ARN/.test(error.message),
    );
    await assert.rejects(
      remoteEngine({ region: 'us-east-1', stateMachineArn: ASSOCIATIONS_ARN }),
      (error: unknown) =>
        error instanceof UsageError &&
        /differs from the region of --state-machine-arn/.test(error.message),
    );
  });

  it('refuses the simulator flags, and the remote flags without --engine remote', async () => {
    const simulated = await cli(
      '--engine',
      'remote',
      '--simulate',
      DEMO_WORLD,
      'create',
      'addon',
      '--cluster',
      'demo',
    );
    assert.equal(simulated.code, 2);
    assert.match(simulated.err, /do not combine with --engine remote/);

    const local = await cli(
      '--state-machine-arn',
      ASSOCIATIONS_ARN,
      '--region',
      REGION,
      'create',
      'addon',
      '--cluster',
      'demo',
    );
    assert.equal(local.code, 2);
    assert.match(local.err, /add --engine remote/);
  });
});

describe('the remote engine following an execution', () => {
  const PARENT = executionOf(BOOTSTRAP_ARN, 'run-1');
  const CHILD = executionOf(ASSOCIATIONS_ARN, 'nested-1');

  const parentHistory = historyOf(
    { type: 'ExecutionStarted' }, // 1
    { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Load Request' } }, // 2
    lambda('Scheduled'), // 3
    lambda('Started'), // 4
    {
      type: 'LambdaFunctionFailed',
      lambdaFunctionFailedEventDetails: { error: 'ThrottlingException', cause: 'slow down' },
    }, // 5
    lambda('Scheduled'), // 6
    lambda('Started'), // 7
    lambda('Succeeded'), // 8
    { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Load Request' } }, // 9
    { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'Process Batches' } }, // 10
    { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 2 } }, // 11
    {
      type: 'MapIterationStarted',
      mapIterationStartedEventDetails: { name: 'Process Batches', index: 0 },
    }, // 12
    {
      type: 'MapIterationStarted',
      mapIterationStartedEventDetails: { name: 'Process Batches', index: 1 },
      after: 11,
    }, // 13
    { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Process Batch' }, after: 12 }, // 14
    { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Process Batch' }, after: 13 }, // 15
    lambda('Scheduled', 14), // 16
    lambda('Scheduled', 15), // 17
    lambda('Succeeded', 16), // 18
    {
      type: 'MapIterationSucceeded',
      mapIterationSucceededEventDetails: { name: 'Process Batches', index: 0 },
    }, // 19
    lambda('Succeeded', 17), // 20
    {
      type: 'MapIterationSucceeded',
      mapIterationSucceededEventDetails: { name: 'Process Batches', index: 1 },
    }, // 21
    { type: 'MapStateSucceeded' }, // 22
    { type: 'MapStateExited', stateExitedEventDetails: { name: 'Process Batches' } }, // 23
    { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Run Associations' } }, // 24
    { type: 'TaskScheduled' }, // 25
    { type: 'TaskStarted' }, // 26
    {
      type: 'TaskSubmitted',
      taskSubmittedEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        output: JSON.stringify({ ExecutionArn: CHILD, StartDate: 0 }),
      },
    }, // 27
    { type: 'TaskSucceeded' }, // 28
    { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Run Associations' } }, // 29
    { type: 'ExecutionSucceeded' }, // 30
  );
  const childHistory = historyOf(
    { type: 'ExecutionStarted' },
    { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'Apply Items' } },
    { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 1 } },
    {
      type: 'MapIterationStarted',
      mapIterationStartedEventDetails: { name: 'Apply Items', index: 0 },
    },
    {
      type: 'MapIterationSucceeded',
      mapIterationSucceededEventDetails: { name: 'Apply Items', index: 0 },
    },
    { type: 'MapStateExited', stateExitedEventDetails: { name: 'Apply Items' } },
    { type: 'ExecutionSucceeded' },
  );
  const report = { cluster: 'demo', counts: { created: 2 } };

  it('polls until the execution ends, prints each notable event once, and returns the output', async () => {
    deployedStack({
      AssociationsStateMachineArn: ASSOCIATIONS_ARN,
      BootstrapClusterStateMachineArn: BOOTSTRAP_ARN,
    });
    const parent = new FakeExecution(
      PARENT,
      parentHistory,
      [4, 9, 19, 27, 30],
      succeeded(PARENT, report),
    );
    const child = new FakeExecution(CHILD, childHistory, [7], succeeded(CHILD, {}));
    serve(parent, child);
    const { engine, lines } = await remoteEngine();

    const output = await engine.run('bootstrap-cluster', { clusterName: 'demo' });

    assert.deepEqual(output, report);
    assert.deepEqual(lines, [
      `bootstrap-cluster: started execution ${PARENT}`,
      'Load Request: retrying after ThrottlingException (attempt 1)',
      'Process Batches: 1 / 2 items done',
      'Process Batches: 2 / 2 items done',
      `Run Associations: started nested workflow associations (${CHILD})`,
      'Apply Items: 1 / 1 items done',
      'Run Associations: nested workflow associations succeeded',
    ]);
    assert.equal(parent.describes, 5);
    const historyCalls = sfn
      .commandCalls(GetExecutionHistoryCommand)
      .map((call) => call.args[0].input);
    assert.ok(
      historyCalls.some((input) => input.nextToken !== undefined),
      'a poll read more than one page',
    );
    assert.ok(historyCalls.every((input) => input.reverseOrder === true));
  });

  it('reads every history page it needs and no page twice within a poll', async () => {
    const arn = executionOf(ASSOCIATIONS_ARN, 'long');
    const many = historyOf(
      { type: 'ExecutionStarted' },
      { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'Items' } },
      { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 10 } },
      ...Array.from({ length: 10 }, (_, index) => ({
        type: 'MapIterationSucceeded' as const,
        mapIterationSucceededEventDetails: { name: 'Items', index },
      })),
    );
    serve(new FakeExecution(arn, many, [13], succeeded(arn, null), 3));
    const { engine, lines } = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });

    await engine.run('associations', {});

    assert.equal(lines.filter((line) => line.startsWith('Items:')).length, 10);
    assert.equal(lines.at(-1), 'Items: 10 / 10 items done');
    const tokens = sfn
      .commandCalls(GetExecutionHistoryCommand)
      .map((call) => call.args[0].input.nextToken);
    assert.deepEqual(tokens, [undefined, '3', '6', '9', '12']);
  });

  it('counts associations, not batches, and says what each look at an add-on found', async () => {
    const arn = executionOf(ASSOCIATIONS_ARN, 'batches');
    const batch = (index: number, itemCount: number) => [
      {
        type: 'MapIterationStarted' as const,
        mapIterationStartedEventDetails: { name: 'Process Batches', index },
      },
      { type: 'TaskStateEntered' as const, stateEnteredEventDetails: { name: 'Process Batch' } },
      lambda('Scheduled'),
      lambda('Succeeded'),
      {
        type: 'TaskStateExited' as const,
        stateExitedEventDetails: {
          name: 'Process Batch',
          output: JSON.stringify({ batch: index, itemCount, counts: { created: itemCount } }),
        },
      },
      {
        type: 'MapIterationSucceeded' as const,
        mapIterationSucceededEventDetails: { name: 'Process Batches', index },
      },
    ];
    const history = historyOf(
      { type: 'ExecutionStarted' },
      {
        type: 'MapStateEntered',
        stateEnteredEventDetails: {
          name: 'Process Batches',
          input: JSON.stringify({ plan: { batches: [{}, {}, {}], itemCount: 120 } }),
        },
      },
      { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 3 } },
      ...batch(0, 50),
      ...batch(1, 50),
      {
        type: 'MapIterationStarted',
        mapIterationStartedEventDetails: { name: 'Process Batches', index: 2 },
      },
      {
        type: 'PassStateExited',
        stateExitedEventDetails: {
          name: 'Batch Failed',
          output: JSON.stringify({ batch: 2, failed: true }),
        },
      },
      {
        type: 'MapIterationSucceeded',
        mapIterationSucceededEventDetails: { name: 'Process Batches', index: 2 },
      },
      { type: 'MapStateExited', stateExitedEventDetails: { name: 'Process Batches' } },
      { type: 'ExecutionSucceeded' },
    );
    serve(new FakeExecution(arn, history, [history.length], succeeded(arn, null), 100));
    const associations = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });
    await associations.engine.run('associations', {});
    assert.deepEqual(associations.lines.slice(1), [
      'Process Batches: 50 / 120 associations done',
      'Process Batches: 100 / 120 associations done',
      'Process Batches: 100 / 120 associations done (1 batch(es) failed)',
    ]);

    sfn.reset();
    const addonArn = executionOf(STATE_MACHINE('EnsureAddonWorkflowStateMachine'), 'agent');
    const look = (status: string) => ({
      type: 'WaitStateEntered' as const,
      stateEnteredEventDetails: {
        name: 'Wait For Add-on',
        input: JSON.stringify({
          clusterName: 'demo',
          addonName: 'eks-pod-identity-agent',
          addon: { status },
        }),
      },
    });
    const waits = historyOf(
      { type: 'ExecutionStarted' },
      look('CREATING'),
      { type: 'WaitStateExited', stateExitedEventDetails: { name: 'Wait For Add-on' } },
      look('CREATING'),
      { type: 'ExecutionSucceeded' },
    );
    serve(new FakeExecution(addonArn, waits, [2, 5], succeeded(addonArn, null)));
    const addon = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });
    await addon.engine.run('ensure-addon', {});
    assert.deepEqual(addon.lines.slice(1), [
      'Wait For Add-on: waiting for add-on "eks-pod-identity-agent" (CREATING), look 1',
      'Wait For Add-on: waiting for add-on "eks-pod-identity-agent" (CREATING), look 2',
    ]);
  });

  it('fails with the execution’s error and cause, naming the state that failed', async () => {
    const arn = executionOf(ASSOCIATIONS_ARN, 'broken');
    const history = historyOf(
      { type: 'ExecutionStarted' },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Check Cluster' } },
      lambda('Scheduled'),
      {
        type: 'LambdaFunctionFailed',
        lambdaFunctionFailedEventDetails: { error: 'ClusterNotActiveError', cause: 'CREATING' },
      },
      { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'ClusterNotActiveError' } },
    );
    serve(
      new FakeExecution(
        arn,
        history,
        [2, 5],
        failed(arn, 'ClusterNotActiveError', 'cluster demo is CREATING'),
      ),
    );
    const { engine } = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });

    await assert.rejects(engine.run('associations', {}), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.workflow, 'associations');
      assert.equal(error.error, 'ClusterNotActiveError');
      assert.equal(error.cause, 'cluster demo is CREATING');
      assert.equal(error.state, 'Check Cluster');
      return true;
    });
  });

  it('names the Map state when an iteration failed, and a Fail state when one was reached', async () => {
    const mapArn = executionOf(ASSOCIATIONS_ARN, 'map');
    const mapHistory = historyOf(
      { type: 'ExecutionStarted' },
      { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'Process Batches' } },
      { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 1 } },
      {
        type: 'MapIterationStarted',
        mapIterationStartedEventDetails: { name: 'Process Batches', index: 0 },
      },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Process Batch' } },
      lambda('Scheduled'),
      { type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error: 'Boom' } },
      {
        type: 'MapIterationFailed',
        mapIterationFailedEventDetails: { name: 'Process Batches', index: 0 },
      },
      { type: 'MapStateFailed' },
      { type: 'ExecutionFailed' },
    );
    const failArn = executionOf(ASSOCIATIONS_ARN, 'fail');
    const failHistory = historyOf(
      { type: 'ExecutionStarted' },
      { type: 'FailStateEntered', stateEnteredEventDetails: { name: 'Cluster Not Found' } },
      { type: 'ExecutionFailed' },
    );
    const { engine, lines } = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });

    serve(new FakeExecution(mapArn, mapHistory, [10], failed(mapArn, 'Boom', 'it broke')));
    await assert.rejects(
      engine.run('associations', {}),
      (error: unknown) => error instanceof WorkflowFailedError && error.state === 'Process Batches',
    );
    assert.ok(lines.includes('Process Batches: 1 / 1 items done (1 failed)'));

    sfn.reset();
    serve(
      new FakeExecution(failArn, failHistory, [3], failed(failArn, 'ClusterNotFoundError', 'no')),
    );
    await assert.rejects(
      engine.run('associations', {}),
      (error: unknown) =>
        error instanceof WorkflowFailedError && error.state === 'Cluster Not Found',
    );
  });

  it('reports a timed-out execution as States.Timeout', async () => {
    const arn = executionOf(ASSOCIATIONS_ARN, 'slow');
    serve(
      new FakeExecution(arn, historyOf({ type: 'ExecutionStarted' }), [1], {
        executionArn: arn,
        stateMachineArn: ASSOCIATIONS_ARN,
        status: 'TIMED_OUT',
        startDate: new Date(),
      }),
    );
    const { engine } = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });

    await assert.rejects(
      engine.run('associations', {}),
      (error: unknown) => error instanceof WorkflowFailedError && error.error === 'States.Timeout',
    );
  });

  it('stops following on Ctrl-C, leaves the execution running and says where to find it', async () => {
    const arn = executionOf(ASSOCIATIONS_ARN, 'long-running');
    const execution = new FakeExecution(
      arn,
      historyOf({ type: 'ExecutionStarted' }),
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
      succeeded(arn, {}),
    );
    serve(execution);
    sfn.on(DescribeExecutionCommand).callsFake(() => {
      const description = execution.describe();
      if (execution.describes === 2) process.emit('SIGINT');
      return description;
    });
    const { engine } = await remoteEngine({ stateMachineArn: ASSOCIATIONS_ARN });

    await assert.rejects(engine.run('associations', {}), (error: unknown) => {
      assert.ok(error instanceof FollowStoppedError);
      assert.equal(error.executionArn, arn);
      assert.match(error.message, /keeps running/);
      assert.match(
        error.message,
        /aws stepfunctions describe-execution --execution-arn arn:aws:states:eu-west-1:111122223333:execution:/,
      );
      assert.match(error.message, /https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\//);
      return true;
    });
    assert.equal(execution.describes, 2);
    assert.equal(sfn.commandCalls(StopExecutionCommand).length, 0);
    assert.equal(process.listenerCount('SIGINT'), 0, 'the Ctrl-C handler is removed');
  });
});

describe('eks-pia --engine remote', () => {
  it('exits 2 when the execution failed on bad input, and 1 when it failed otherwise', async () => {
    const input = inputFile({ clusterName: 'demo' });
    for (const [error, code] of [
      ['ConfigValidationError', 2],
      ['AccessDeniedException', 1],
    ] as const) {
      sfn.reset();
      const arn = executionOf(ASSOCIATIONS_ARN, error);
      serve(
        new FakeExecution(
          arn,
          historyOf({ type: 'ExecutionStarted' }),
          [1],
          failed(arn, error, 'what went wrong'),
        ),
      );

      const result = await cli(
        '--engine',
        'remote',
        '--state-machine-arn',
        ASSOCIATIONS_ARN,
        'run',
        'associations',
        '--input',
        input,
      );

      assert.equal(result.code, code, result.err);
      assert.match(result.err, new RegExp(`Error: ${error}: what went wrong`));
    }
  });

  it('stops following at --timeout, leaves the execution running and names it', async () => {
    const migrate = STATE_MACHINE('MigrateToPodIdentityWorkflowStateMachine7G8H9I');
    const arn = executionOf(migrate, 'long-running');
    const execution = new FakeExecution(
      arn,
      historyOf({ type: 'ExecutionStarted' }),
      Array.from({ length: 1000 }, () => 1),
      succeeded(arn, {}),
    );
    serve(execution);

    const result = await cli(
      '--engine',
      'remote',
      '--state-machine-arn',
      migrate,
      'utils',
      'migrate-to-pod-identity',
      '--cluster',
      'demo',
      '--timeout',
      '200ms',
    );

    assert.equal(result.code, 1, result.err);
    assert.ok(
      result.err.endsWith(
        `Error: timed out after 200ms (--timeout) waiting for the migrate-to-pod-identity workflow (execution ${arn}), which keeps running in Step Functions\n` +
          `  look it up with: aws stepfunctions describe-execution --execution-arn ${arn}\n` +
          `  or in the console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}\n`,
      ),
      result.err,
    );
    // Following stopped (its Ctrl-C handler is gone) and the execution was left alone.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(process.listenerCount('SIGINT'), 0);
    assert.equal(sfn.commandCalls(StopExecutionCommand).length, 0);
    const name = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name;
    assert.match(name ?? '', /^eks-pia-migrate-to-pod-identity-\d{8}T\d{6}-[0-9a-f]{6}$/);
  });

  it('prints the same report as the local engine', async () => {
    const local = await cli('create', 'addon', '--cluster', 'demo', '--simulate', DEMO_WORLD);
    const localJson = await cli(
      'create',
      'addon',
      '--cluster',
      'demo',
      '--simulate',
      DEMO_WORLD,
      '-o',
      'json',
    );
    assert.equal(local.code, 0, local.err);
    const ensureAddon = STATE_MACHINE('EnsureAddonWorkflowStateMachine');
    deployedStack({ EnsureAddonStateMachineArn: ensureAddon });
    const arn = executionOf(ensureAddon, 'run');
    serve(
      new FakeExecution(
        arn,
        historyOf({ type: 'ExecutionStarted' }),
        [1],
        succeeded(arn, JSON.parse(localJson.out)),
      ),
    );

    const remote = await cli(
      '--engine',
      'remote',
      '--region',
      REGION,
      'create',
      'addon',
      '--cluster',
      'demo',
    );

    assert.equal(remote.code, 0, remote.err);
    assert.equal(remote.out, local.out);
    assert.deepEqual(
      JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? ''),
      {
        clusterName: 'demo',
        addonName: 'eks-pod-identity-agent',
      },
    );
  });
});

describe('the local engine on a real account', () => {
  it('finds the config bucket in the stack outputs, as the remote engine finds its state machines', async () => {
    const previous = process.env.CONFIG_BUCKET;
    delete process.env.CONFIG_BUCKET;
    try {
      deployedStack({ ConfigBucketName: 'eks-pia-configs-from-outputs' });
      const engine = await openEngine(
        { engine: 'local', region: REGION, stackName: 'Staging' },
        () => undefined,
      );
      // An input the first task refuses before any AWS call: only the stack is read.
      await assert.rejects(engine.run('associations', {}), WorkflowFailedError);
      assert.equal(process.env.CONFIG_BUCKET, 'eks-pia-configs-from-outputs');
      assert.equal(
        cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input.StackName,
        'Staging',
      );
    } finally {
      if (previous === undefined) delete process.env.CONFIG_BUCKET;
      else process.env.CONFIG_BUCKET = previous;
    }
  });

  it('says how to fix a stack without the bucket output', async () => {
    const previous = process.env.CONFIG_BUCKET;
    delete process.env.CONFIG_BUCKET;
    try {
      deployedStack({});
      const engine = await openEngine({ engine: 'local', region: REGION }, () => undefined);
      await assert.rejects(
        engine.run('associations', {}),
        /stack EksPodIdentityAutomation in eu-west-1 has no output ConfigBucketName: deploy it with `npx cdk deploy`/,
      );
    } finally {
      if (previous === undefined) delete process.env.CONFIG_BUCKET;
      else process.env.CONFIG_BUCKET = previous;
    }
  });
});

describe('the region of an AWS profile', () => {
  it('comes from the shared config file, for --profile and for AWS_PROFILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-profile-'));
    const config = join(dir, 'config');
    writeFileSync(
      config,
      '[default]\nregion = ap-south-1\n[profile prod]\nregion = eu-central-1\n',
    );
    const saved = Object.fromEntries(
      ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE', 'AWS_DEFAULT_REGION'].map(
        (key) => [key, process.env[key]],
      ),
    );
    Object.assign(process.env, {
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const flagged = await openEngine({ engine: 'local', profile: 'prod' }, () => undefined);
      assert.equal(flagged.region, 'eu-central-1');
      assert.equal(process.env.AWS_PROFILE, 'prod');

      delete process.env.AWS_REGION;
      const remote = await openEngine({ engine: 'remote', pollIntervalMs: 1 }, () => undefined);
      assert.equal(remote.region, 'eu-central-1', 'AWS_PROFILE=prod');

      delete process.env.AWS_REGION;
      delete process.env.AWS_PROFILE;
      const byDefault = await openEngine({ engine: 'local' }, () => undefined);
      assert.equal(byDefault.region, 'ap-south-1');

      delete process.env.AWS_REGION;
      process.env.AWS_CONFIG_FILE = join(dir, 'missing');
      const none = await cli('create', 'addon', '--cluster', 'demo');
      assert.equal(none.code, 2);
      assert.match(none.err, /no region: pass --region, set AWS_REGION, or give the profile/);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
