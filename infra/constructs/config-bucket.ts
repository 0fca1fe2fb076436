import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { TRIGGER_PREFIXES } from '../../functions/core/associations/request.ts';
import { RUNS_PREFIX } from '../../functions/core/run-documents.ts';

/**
 * Where configs live that a console or CLI input names by S3 location (`config.s3.key`). Keys here
 * start nothing, so a config can be checked with a dry run before it is dropped under a trigger
 * prefix.
 */
export const CONFIGS_PREFIX = 'configs/';

export interface ConfigBucketProps {
  /**
   * A fixed name makes the bucket easy to find, but a retained bucket then blocks a new stack of
   * the same name until it is deleted by hand.
   *
   * @default a name CloudFormation generates
   */
  readonly bucketName?: string;
  /**
   * How long the working documents of a run (`runs/<runId>/*.json`: request, plan, per-batch
   * results, report) are kept; the execution history keeps the summary for 90 days anyway.
   *
   * @default Duration.days(30)
   */
  readonly runDocumentsExpiration?: Duration;
  /**
   * How long a replaced or deleted config stays restorable.
   *
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * @default Duration.days(365)
   */
  readonly accessLogsExpiration?: Duration;
}

/**
 * The config bucket: eksctl configs dropped under `create/`, `update/`, `delete/` or `apply/` start
 * the associations workflow (through EventBridge), configs under `configs/` are read on request,
 * and `runs/` holds the workflows' working documents.
 *
 * Encrypted with S3-managed keys (SSE-S3) rather than KMS: the objects are configs and plans (role
 * names, policy documents), not secrets; SSE-S3 needs no key policy and no kms: grant in any task
 * or in EventBridge, and adds no KMS request per read and write of a run document, which matters
 * at thousands of associations per run. Versioned so a bad config can be restored, private, TLS
 * only, with server access logs in a bucket of their own.
 */
export class ConfigBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** Prefixes whose new objects start the associations workflow. */
  readonly triggerPrefixes: readonly string[] = Object.keys(TRIGGER_PREFIXES);
  /** Prefix of the workflows' working documents; never a trigger prefix. */
  readonly runsPrefix = RUNS_PREFIX;
  /** Prefix of configs that inputs name by location; never a trigger prefix. */
  readonly configsPrefix = CONFIGS_PREFIX;

  constructor(scope: Construct, id: string, props: ConfigBucketProps = {}) {
    super(scope, id);
    // Log delivery granted by a bucket policy, not the LogDeliveryWrite ACL: ACLs stay disabled
    // (BucketOwnerEnforced) on both buckets, whatever the app's feature flags say.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to buckets encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { expiration: props.accessLogsExpiration ?? Duration.days(365) },
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the config bucket; logging its own accesses ' +
        'would write a log object for every log object delivered.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'config-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireRunDocuments',
          prefix: RUNS_PREFIX,
          expiration: props.runDocumentsExpiration ?? Duration.days(30),
        },
        {
          id: 'ExpireOldVersions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
          // Once every older version is gone, a delete marker only clutters listings.
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // S3 sends every event of the bucket to EventBridge, where a rule picks the trigger prefixes.
    // Set on the bucket resource itself: `eventBridgeEnabled: true` would do it through a custom
    // resource, adding a Lambda function (with an AWS managed policy and a runtime we do not pin)
    // only to call PutBucketNotificationConfiguration, which CloudFormation does natively.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }

  get bucketName(): string {
    return this.bucket.bucketName;
  }

  /** ARN pattern of the objects under a prefix, e.g. `<bucket ARN>/runs/*`. */
  objectsUnder(prefix: string): string {
    return this.bucket.arnForObjects(`${prefix}*`);
  }
}
