import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { WorkflowDefinitionError } from '../../functions/core/workflow-files.ts';
import { AUTOMATION_TAG_KEY } from '../../infra/stacks/pod-identity-automation-stack.ts';
import {
  expectedLogGroupName,
  FIXTURE_FUNCTIONS_DIR,
  fixtureStack,
  logicalIdOf,
  resolveIntrinsic,
  scratchDir,
  substitutedDefinition,
  workflowsDir,
} from './fixture-stack.ts';

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

const PUT_RULE_RESOURCE =
  'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule';

describe('PodIdentityAutomationStack built from the fixture workflows', () => {
  const { stack } = fixtureStack();
  const template = Template.fromStack(stack);
  const lookupCluster = required(stack.taskFunctions.get('lookup-cluster'), 'lookup-cluster');
  const writeReport = required(stack.taskFunctions.get('write-report'), 'write-report');
  const parent = required(stack.workflows.get('parent'), 'parent workflow');
  const child = required(stack.workflows.get('child'), 'child workflow');

  /** The state machine's definition as CloudFormation will deploy it. */
  function deployedDefinition(logicalId: string): {
    States: Record<string, Record<string, unknown>>;
    TimeoutSeconds?: number;
  } {
    const resource = required(
      template.findResources('AWS::StepFunctions::StateMachine')[logicalId],
      logicalId,
    );
    const properties = resource.Properties as Record<string, unknown>;
    return substitutedDefinition(
      properties.DefinitionString,
      properties.DefinitionSubstitutions as Record<string, unknown>,
    ) as { States: Record<string, Record<string, unknown>>; TimeoutSeconds?: number };
  }

  /** The statements of the policy attached to a state machine's role. */
  function stateMachinePolicyStatements(logicalRoleId: string): Record<string, unknown>[] {
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalRoleId }] },
      }),
    );
    return policies.flatMap(
      (policy) =>
        (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } })
          .PolicyDocument.Statement,
    );
  }

  describe('tasks', () => {
    it('creates one function per distinct task, shared by the workflows that use it', () => {
      template.resourceCountIs('AWS::Lambda::Function', 2);
      assert.deepEqual([...stack.taskFunctions.keys()].sort(), ['lookup-cluster', 'write-report']);
    });

    it('runs every task on Node 22 arm64 with active tracing, source maps and a service name', () => {
      template.allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        Timeout: 30,
        MemorySize: 512,
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: 'eks-pod-identity-automation',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    it('names in each function’s environment the workflows that invoke it, for its log lines', () => {
      for (const [task, workflows] of [
        ['lookup-cluster', 'child,parent'],
        ['write-report', 'parent'],
      ]) {
        template.hasResourceProperties('AWS::Lambda::Function', {
          Description: Match.stringLikeRegexp(`Task ${task} `),
          Environment: { Variables: { TASK_WORKFLOWS: workflows } },
        });
      }
    });

    it('sends each task’s logs to its own log group, kept for a month after the stack is gone', () => {
      const logGroupRef = new Capture();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('lookup-cluster'),
        LoggingConfig: { LogGroup: { Ref: logGroupRef } },
      });
      assert.deepEqual(template.findResources('AWS::Logs::LogGroup')[logGroupRef.asString()], {
        Type: 'AWS::Logs::LogGroup',
        // The tag the permissions boundary keeps pods off the automation's resources by.
        Properties: {
          RetentionInDays: 30,
          Tags: [{ Key: AUTOMATION_TAG_KEY, Value: stack.stackName }],
        },
        UpdateReplacePolicy: 'Retain',
        DeletionPolicy: 'Retain',
      });
    });

    it('gives no role an AWS managed policy', () => {
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });

    it('lets a task role write only to its own log group until task permissions are added', () => {
      const role = logicalIdOf(required(writeReport.role, 'write-report role'));
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
      ).flatMap(
        (policy) =>
          (policy.Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument
            .Statement,
      );

      assert.deepEqual(statements, [
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalIdOf(writeReport.logGroup), 'Arn'] },
        },
        {
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Effect: 'Allow',
          Resource: '*',
        },
      ]);
    });
  });

  describe('state machines', () => {
    it('creates one Standard state machine per workflow file, with X-Ray tracing', () => {
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
      template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
      });
    });

    it('logs every event with execution data to a log group under /aws/vendedlogs/states', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [
            {
              CloudWatchLogsLogGroup: {
                LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(parent.logGroup), 'Arn'] },
              },
            },
          ],
        },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: expectedLogGroupName('Fixture', 'parent'),
        RetentionInDays: 90,
      });
    });

    it('points each Lambda task of the deployed definition at its function ARN', () => {
      const definition = deployedDefinition(logicalIdOf(parent.stateMachine));

      assert.equal(
        definition.States.LookupCluster?.Resource,
        resolveIntrinsic(stack.resolve(lookupCluster.functionArn)),
      );
      assert.deepEqual(definition.States.WriteReport?.Parameters, {
        FunctionName: resolveIntrinsic(stack.resolve(writeReport.functionArn)),
        'Payload.$': '$',
      });
    });

    it('points the nested execution at the nested workflow’s state machine', () => {
      const definition = deployedDefinition(logicalIdOf(parent.stateMachine));

      assert.deepEqual(definition.States.RunChild?.Parameters, {
        StateMachineArn: `<${logicalIdOf(child.stateMachine)}>`,
        'Input.$': '$',
      });
    });

    it('fills extra substitutions the definition uses', () => {
      const definition = deployedDefinition(logicalIdOf(child.stateMachine));

      assert.deepEqual(definition.States.PointAtConfigs?.Parameters, { bucket: 'fixture-configs' });
    });

    it('writes a one-hour overall timeout into the definition by default', () => {
      assert.equal(deployedDefinition(logicalIdOf(parent.stateMachine)).TimeoutSeconds, 3600);
    });

    it('lets each state machine invoke exactly the unqualified ARNs of the functions its file names', () => {
      const childStatements = stateMachinePolicyStatements(logicalIdOf(child.stateMachine.role));
      const invokes = childStatements.filter(
        (statement) => statement.Action === 'lambda:InvokeFunction',
      );

      assert.deepEqual(
        invokes.map((statement) => statement.Resource),
        [stack.resolve(lookupCluster.functionArn)],
      );
      const parentInvokes = stateMachinePolicyStatements(
        logicalIdOf(parent.stateMachine.role),
      ).filter((statement) => statement.Action === 'lambda:InvokeFunction');
      assert.deepEqual(
        parentInvokes.map((statement) => statement.Resource),
        [stack.resolve(lookupCluster.functionArn), stack.resolve(writeReport.functionArn)],
      );
    });

    it('lets the parent start, follow and stop executions of the nested workflow only', () => {
      const statements = stateMachinePolicyStatements(logicalIdOf(parent.stateMachine.role));
      const byAction = (action: string) =>
        statements.find((statement) => JSON.stringify(statement.Action).includes(action));

      assert.deepEqual(required(byAction('states:StartExecution'), 'StartExecution').Resource, {
        Ref: logicalIdOf(child.stateMachine),
      });
      const follow = required(byAction('states:DescribeExecution'), 'DescribeExecution');
      assert.deepEqual(follow.Action, ['states:DescribeExecution', 'states:StopExecution']);
      assert.equal(
        resolveIntrinsic(follow.Resource),
        `arn:aws:states:eu-west-1:111122223333:execution:<${logicalIdOf(child.stateMachine)}.Name>:*`,
      );
      const rule = required(byAction('events:PutRule'), 'PutRule');
      assert.deepEqual(rule.Action, ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']);
      assert.equal(resolveIntrinsic(rule.Resource), PUT_RULE_RESOURCE);
    });

    it('gives a workflow that nests nothing no Step Functions or EventBridge permission', () => {
      const actions = JSON.stringify(
        stateMachinePolicyStatements(logicalIdOf(child.stateMachine.role)).map((s) => s.Action),
      );

      assert.doesNotMatch(actions, /states:|events:/);
    });

    for (const [key, metricName] of [
      ['failed', 'ExecutionsFailed'],
      ['timedOut', 'ExecutionsTimedOut'],
      ['aborted', 'ExecutionsAborted'],
      ['throttled', 'ExecutionThrottled'],
    ] as const) {
      it(`raises the ${key} alarm on the first ${metricName} of a 5-minute window`, () => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/States',
          MetricName: metricName,
          Dimensions: [
            { Name: 'StateMachineArn', Value: { Ref: logicalIdOf(parent.stateMachine) } },
          ],
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
        const alarm = parent.alarms[key];
        assert.equal(
          template.findResources('AWS::CloudWatch::Alarm')[logicalIdOf(alarm)]?.Properties
            ?.MetricName,
          metricName,
        );
      });
    }

    it('outputs the ARN of every state machine', () => {
      template.hasOutput('ParentStateMachineArn', {
        Value: { Ref: logicalIdOf(parent.stateMachine) },
      });
      template.hasOutput('ChildStateMachineArn', {
        Value: { Ref: logicalIdOf(child.stateMachine) },
      });
    });
  });
});

describe('PodIdentityAutomationStack options', () => {
  it('synthesises an empty stack when there is no workflow yet', () => {
    const { stack } = fixtureStack({ stateMachinesDir: scratchDir('empty-state-machines') });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });

  it('deploys only the listed workflows and the tasks they use', () => {
    const { stack } = fixtureStack({ workflows: ['child'] });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    assert.deepEqual([...stack.taskFunctions.keys()], ['lookup-cluster']);
  });

  it('deploys the workflows a listed workflow nests', () => {
    const { stack } = fixtureStack({ workflows: ['parent'] });

    assert.deepEqual([...stack.workflows.keys()].sort(), ['child', 'parent']);
  });

  it('uses the timeout given for a workflow instead of the default', () => {
    const { stack } = fixtureStack({ workflowTimeouts: { child: Duration.minutes(15) } });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.serializedJson(
        Match.objectLike({ Comment: Match.stringLikeRegexp('shares a task'), TimeoutSeconds: 900 }),
      ),
    });
  });

  it('keeps a timeout the file declares when none is given', () => {
    const dir = workflowsDir({
      waits: { StartAt: 'A', TimeoutSeconds: 120, States: { A: { Type: 'Succeed' } } },
    });
    const template = Template.fromStack(fixtureStack({ stateMachinesDir: dir }).stack);

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.serializedJson(Match.objectLike({ TimeoutSeconds: 120 })),
    });
  });
});

describe('PodIdentityAutomationStack refuses definitions it cannot deploy', () => {
  const task = (name: string) => ({ Type: 'Task', Resource: `\${${name}FunctionArn}`, End: true });
  const nest = (workflow: string) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::states:startExecution.sync:2',
    Parameters: { StateMachineArn: `\${${workflow}StateMachineArn}` },
    End: true,
  });

  it('names the missing handler file of a referenced task', () => {
    const dir = workflowsDir({ solo: { StartAt: 'A', States: { A: task('DoesNotExist') } } });

    assert.throws(
      () => fixtureStack({ stateMachinesDir: dir }),
      (error: unknown) =>
        error instanceof WorkflowDefinitionError &&
        error.message.includes(
          `${FIXTURE_FUNCTIONS_DIR}/*/does-not-exist/handler.ts does not exist`,
        ),
    );
  });

  it('names the missing file of a nested workflow and who starts it', () => {
    const dir = workflowsDir({ outer: { StartAt: 'A', States: { A: nest('Inner') } } });

    assert.throws(
      () => fixtureStack({ stateMachinesDir: dir }),
      /Workflow outer starts \$\{InnerStateMachineArn\}, but .*inner\.asl\.json does not exist/,
    );
  });

  it('reports workflows that nest each other in a cycle', () => {
    const dir = workflowsDir({
      first: { StartAt: 'A', States: { A: nest('Second') } },
      second: { StartAt: 'A', States: { A: nest('First') } },
    });

    assert.throws(
      () => fixtureStack({ stateMachinesDir: dir }),
      /nest each other in a cycle: first → second → first/,
    );
  });

  it('names a placeholder no substitution fills', () => {
    const dir = workflowsDir({
      solo: {
        StartAt: 'A',
        States: { A: { Type: 'Pass', Parameters: { bus: `\${EventBusName}` }, End: true } },
      },
    });

    assert.throws(
      () => fixtureStack({ stateMachinesDir: dir }),
      /solo\.asl\.json uses \$\{EventBusName\}, but no substitution was given/,
    );
  });

  it('names a listed workflow that has no file', () => {
    assert.throws(
      () => fixtureStack({ workflows: ['absent'] }),
      /absent\.asl\.json does not exist/,
    );
  });
});
