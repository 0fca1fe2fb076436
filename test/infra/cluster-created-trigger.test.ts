import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { createAutomationApp } from '../../infra/automation-app.ts';
import { ClusterCreatedTrigger } from '../../infra/constructs/cluster-created-trigger.ts';
import {
  FIXTURE_STACK_PROPS,
  fixtureStack,
  logicalIdOf,
  propertiesOf,
  testAppProps,
} from './fixture-stack.ts';

/** The fixture stack with its `child` workflow standing in for bootstrap-cluster. */
function bootstrapFixture() {
  const { stack } = fixtureStack({ clusterCreatedWorkflow: 'child' });
  const trigger = stack.clusterCreatedTrigger;
  const child = stack.workflows.get('child');
  assert.ok(trigger);
  assert.ok(child);
  return { stack, trigger, child, template: Template.fromStack(stack) };
}

describe('the CreateCluster trigger of the bootstrap workflow', () => {
  const { trigger, child, template } = bootstrapFixture();
  const ruleId = logicalIdOf(trigger.rule);
  const queueId = logicalIdOf(trigger.deadLetterQueue);

  it('matches CloudTrail’s record of a successful eks.amazonaws.com CreateCluster call', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.eks'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['eks.amazonaws.com'],
          eventName: ['CreateCluster'],
          errorCode: [{ exists: false }],
        },
      },
    });
  });

  it('matches no other EKS call, such as DeleteCluster or CreateAddon', () => {
    const { EventPattern: pattern } = propertiesOf<{
      EventPattern: { detail: { eventName: string[] } };
    }>(template, 'AWS::Events::Rule', ruleId);

    assert.deepEqual(pattern.detail.eventName, ['CreateCluster']);
  });

  it('starts the bootstrap state machine with the whole event, retrying for a day before the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.eks'] }),
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: { Ref: logicalIdOf(child.stateMachine) },
          RoleArn: { 'Fn::GetAtt': [logicalIdOf(trigger.role), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ],
    });
    const [target] = propertiesOf<{ Targets: Record<string, unknown>[] }>(
      template,
      'AWS::Events::Rule',
      ruleId,
    ).Targets;
    assert.equal(target?.Input, undefined, 'no Input: the workflow reads the CloudTrail record');
    assert.equal(target?.InputPath, undefined);
  });

  it('lets EventBridge start executions of the bootstrap state machine and do nothing else', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalIdOf(trigger.role) }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) =>
        (policy.Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument
          .Statement,
    );

    assert.deepEqual(statements, [
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: logicalIdOf(child.stateMachine) },
      },
    ]);
  });

  it('keeps undeliverable events in an encrypted queue and raises an alarm on the first one', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription:
        'A new cluster could not start its bootstrap workflow; the event is in the dead-letter queue',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
    });
  });
});

describe('ClusterCreatedTrigger', () => {
  it('uses the retry policy it is given', () => {
    const stack = new Stack(new App(testAppProps()), 'Trigger');
    const stateMachine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
    });
    new ClusterCreatedTrigger(stack, 'Trigger', {
      stateMachine,
      maxEventAge: Duration.hours(6),
      retryAttempts: 20,
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 20 },
        }),
      ],
    });
  });
});

describe('a stack without the bootstrap workflow', () => {
  it('has no CreateCluster rule', () => {
    const { stack } = fixtureStack();

    assert.equal(stack.clusterCreatedTrigger, undefined);
    Template.fromStack(stack).resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ source: ['aws.eks'] }) },
      0,
    );
  });
});

describe('the CreateCluster trigger checked by cdk-nag AwsSolutions', () => {
  it('synthesises with every finding acknowledged', () => {
    const appProps = testAppProps();
    const { app } = createAutomationApp({
      appProps,
      stackProps: { ...FIXTURE_STACK_PROPS, clusterCreatedWorkflow: 'child' },
    });

    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    const report = readFileSync(path.join(appProps.outdir ?? '', 'validation-report.json'), 'utf8');
    assert.equal(error, undefined, report);
  });
});
