import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigBucket } from '../../infra/constructs/config-bucket.ts';
import { logicalIdOf, testAppProps } from './fixture-stack.ts';

describe('ConfigBucket', () => {
  const stack = new Stack(new App(testAppProps()), 'Bucket');
  const configBucket = new ConfigBucket(stack, 'ConfigBucket');
  const template = Template.fromStack(stack);
  const bucketId = logicalIdOf(configBucket.bucket);
  const logsId = logicalIdOf(configBucket.accessLogsBucket);

  function bucketResource(logicalId: string): Record<string, unknown> {
    const resource = template.findResources('AWS::S3::Bucket')[logicalId];
    assert.ok(resource, logicalId);
    return resource;
  }

  it('encrypts, versions and blocks every kind of public access to the config bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    assert.deepEqual(
      (bucketResource(bucketId).Properties as Record<string, unknown>).VersioningConfiguration,
      { Status: 'Enabled' },
    );
  });

  it('sends its events to EventBridge natively, without a notifications custom resource', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  for (const [name, bucket] of [
    ['config bucket', () => bucketId],
    ['access log bucket', () => logsId],
  ] as const) {
    it(`denies every request to the ${name} that does not use TLS`, () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket() },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: [
                { 'Fn::GetAtt': [bucket(), 'Arn'] },
                { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket(), 'Arn'] }, '/*']] },
              ],
            },
          ]),
        },
      });
    });

    it(`keeps the ${name} when the stack is deleted or the bucket replaced`, () => {
      const resource = bucketResource(bucket());
      assert.equal(resource.DeletionPolicy, 'Retain');
      assert.equal(resource.UpdateReplacePolicy, 'Retain');
    });
  }

  it('expires run documents after 30 days and replaced versions after 90, but never current configs', () => {
    const rules = (
      (bucketResource(bucketId).Properties as Record<string, unknown>).LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;

    assert.deepEqual(rules, [
      { Id: 'ExpireRunDocuments', Prefix: 'runs/', ExpirationInDays: 30, Status: 'Enabled' },
      {
        Id: 'ExpireOldVersions',
        NoncurrentVersionExpiration: { NoncurrentDays: 90 },
        ExpiredObjectDeleteMarker: true,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        Status: 'Enabled',
      },
    ]);
  });

  it('logs server access to the separate log bucket, which S3 log delivery may write to by policy', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logsId },
        LogFilePrefix: 'config-bucket/',
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
            }),
          }),
        ]),
      },
    });
    const logs = bucketResource(logsId).Properties as Record<string, unknown>;
    assert.equal(logs.AccessControl, undefined, 'no ACL grant to the log delivery group');
  });

  it('keys trigger prefixes, run documents and named configs apart', () => {
    assert.deepEqual([...configBucket.triggerPrefixes].sort(), [
      'apply/',
      'create/',
      'delete/',
      'update/',
    ]);
    for (const other of [configBucket.runsPrefix, configBucket.configsPrefix]) {
      assert.equal(
        configBucket.triggerPrefixes.some(
          (prefix) => other.startsWith(prefix) || prefix.startsWith(other),
        ),
        false,
        `${other} overlaps no trigger prefix`,
      );
    }
  });

  it('takes a fixed name and other retention periods when given', () => {
    const other = new Stack(new App(testAppProps()), 'Named');
    new ConfigBucket(other, 'ConfigBucket', {
      bucketName: 'eks-pia-configs-111122223333',
      runDocumentsExpiration: Duration.days(7),
      noncurrentVersionExpiration: Duration.days(30),
      accessLogsExpiration: Duration.days(90),
    });
    const named = Template.fromStack(other);

    named.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'eks-pia-configs-111122223333',
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 7 }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
        ],
      },
    });
    named.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([{ ExpirationInDays: 90, Status: 'Enabled' }]),
      },
    });
  });
});
