/**
 * One SDK v3 client per service per process, built on first use.
 *
 * In Lambda the clients take region and credentials from the environment. The local runner points
 * them at the simulator (or a real account) with `configureAwsClients`, which drops the cached
 * clients so the next call builds them with the new settings.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, RetryStrategyV2 } from '@smithy/types';
import { SDK_MAX_ATTEMPTS } from '../core/timeout-budget.ts';

export interface AwsClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  /** Replaces the default retry behaviour (tests and the local runner shorten the backoff). */
  retryStrategy?: RetryStrategyV2;
  maxAttempts?: number;
}

/**
 * Throttling is expected at scale (IAM's account-wide token buckets in particular), so clients
 * retry more than the SDK's default 3 attempts, with adaptive client-side rate limiting. The
 * tasks' timeouts are budgeted on this number.
 */
const DEFAULT_MAX_ATTEMPTS = SDK_MAX_ATTEMPTS;

let settings: AwsClientSettings = {};
const cache = new Map<string, unknown>();

export function configureAwsClients(next: AwsClientSettings): void {
  settings = { ...next };
  for (const client of cache.values()) (client as { destroy(): void }).destroy();
  cache.clear();
}

function baseConfig() {
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.retryStrategy
      ? { retryStrategy: settings.retryStrategy }
      : { maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, retryMode: 'adaptive' }),
  };
}

function cached<T>(key: string, build: () => T): T {
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = build();
    cache.set(key, client);
  }
  return client;
}

// Separate functions, not one object, so a task's bundle keeps only the clients it calls.
export const eksClient = () => cached('eks', () => new EKSClient(baseConfig()));
export const iamClient = () => cached('iam', () => new IAMClient(baseConfig()));
export const stsClient = () => cached('sts', () => new STSClient(baseConfig()));
// Path-style addressing only against a given endpoint (the simulator), where virtual-hosted
// names cannot resolve; in AWS, virtual-hosted style as S3 recommends.
export const s3Client = () =>
  cached(
    's3',
    () => new S3Client({ ...baseConfig(), forcePathStyle: settings.endpoint !== undefined }),
  );
export const cloudFormationClient = () =>
  cached('cloudformation', () => new CloudFormationClient(baseConfig()));
export const sfnClient = () => cached('sfn', () => new SFNClient(baseConfig()));
export const eventBridgeClient = () =>
  cached('eventbridge', () => new EventBridgeClient(baseConfig()));
