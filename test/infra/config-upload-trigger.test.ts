import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ConfigUploadTrigger } from '../../infra/constructs/config-upload-trigger.ts';
import { TriggerSettingsError } from '../../infra/errors.ts';
import {
  associationsFixtureStack,
  fixtureStack,
  logicalIdOf,
  propertiesOf,
  testAppProps,
} from './fixture-stack.ts';

describe('the config upload trigger of the associations workflow', () => {
  const { stack } = associationsFixtureStack();
  const template = Template.fromStack(stack);
  const trigger = stack.configUploadTrigger;
  assert.ok(trigger);
  const associations = stack.workflows.get('associations');
  assert.ok(associations);
  const bucketId = logicalIdOf(stack.configBucket.bucket);
  const queueId = logicalIdOf(trigger.deadLetterQueue);

  it('matches only objects created in the config bucket under the four trigger prefixes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: bucketId }] },
          object: {
            key: [
              { prefix: 'create/' },
              { prefix: 'update/' },
              { prefix: 'delete/' },
              { prefix: 'apply/' },
            ],
          },
        },
      },
    });
  });

  it('never matches the run documents the workflows write under runs/', () => {
    const keys = propertiesOf<{
      EventPattern: { detail: { object: { key: { prefix: string }[] } } };
    }>(template, 'AWS::Events::Rule', logicalIdOf(trigger.rule)).EventPattern.detail.object.key;

    assert.equal(
      keys.some(({ prefix }) => 'runs/x/plan.json'.startsWith(prefix)),
      false,
    );
  });

  it('starts the associations state machine with the whole event, retrying for a day before the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: { Ref: logicalIdOf(associations.stateMachine) },
          RoleArn: { 'Fn::GetAtt': [logicalIdOf(trigger.role), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ],
    });
    const [target] = propertiesOf<{ Targets: Record<string, unknown>[] }>(
      template,
      'AWS::Events::Rule',
      logicalIdOf(trigger.rule),
    ).Targets;
    assert.equal(target?.Input, undefined, 'no Input: the state machine gets the event as is');
    assert.equal(target?.InputPath, undefined);
  });

  it('lets EventBridge start executions of that one state machine and do nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
          },
        ],
      },
    });
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
        Resource: { Ref: logicalIdOf(associations.stateMachine) },
      },
    ]);
  });

  it('keeps undeliverable events for 14 days in an encrypted, TLS-only queue only the rule may write to', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf(trigger.rule), 'Arn'] } },
            },
          }),
        ]),
      },
    });
  });

  it('raises an alarm as soon as one event is in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('ConfigUploadTrigger', () => {
  function parts(): { stack: Stack; bucket: s3.Bucket; stateMachine: sfn.StateMachine } {
    const stack = new Stack(new App(testAppProps()), 'Trigger');
    return {
      stack,
      bucket: new s3.Bucket(stack, 'Bucket'),
      stateMachine: new sfn.StateMachine(stack, 'Machine', {
        definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
      }),
    };
  }

  it('refuses an empty prefix list, which would make every object start a run', () => {
    const { stack, bucket, stateMachine } = parts();

    assert.throws(
      () => new ConfigUploadTrigger(stack, 'Trigger', { bucket, stateMachine, prefixes: [] }),
      (error: unknown) =>
        error instanceof TriggerSettingsError && /at least one key prefix/.test(error.message),
    );
  });

  it('uses the retry policy it is given', () => {
    const { stack, bucket, stateMachine } = parts();
    new ConfigUploadTrigger(stack, 'Trigger', {
      bucket,
      stateMachine,
      prefixes: ['apply/'],
      maxEventAge: Duration.hours(2),
      retryAttempts: 10,
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 10 },
        }),
      ],
    });
  });
});

describe('a stack without the associations workflow', () => {
  it('has the config bucket but no upload trigger', () => {
    const { stack } = fixtureStack();
    const template = Template.fromStack(stack);

    assert.equal(stack.configUploadTrigger, undefined);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.hasOutput('ConfigBucketName', {
      Value: { Ref: logicalIdOf(stack.configBucket.bucket) },
    });
  });

  it('triggers the workflow named by configUploadWorkflow instead', () => {
    const { stack } = fixtureStack({ configUploadWorkflow: 'child' });
    const child = stack.workflows.get('child');
    assert.ok(child);

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { Ref: logicalIdOf(child.stateMachine) } })],
    });
  });
});
