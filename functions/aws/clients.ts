/**
 * One SDK v3 client per service per Lambda instance, built on first use.
 *
 * In Lambda the clients take region and credentials from the environment, and each instance (one
 * process) has its own clients, so its own retry quota and adaptive rate limiter. The local runner
 * runs many simulated instances in one process: it gives each its own clients by running the
 * handler inside `inLambdaInstance`. It points the clients at the simulator (or a real account)
 * with `configureAwsClients`, after which every instance builds its clients anew.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { partition } from '@aws-sdk/core/client';
import type { AwsCredentialIdentity, RetryStrategyV2 } from '@smithy/types';
import { SDK_MAX_ATTEMPTS } from '../core/timeout-budget.ts';

export interface AwsClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity;
  /**
   * Replaces the default retry behaviour (tests and the local runner shorten the backoff). A
   * factory, because a strategy holds its client's retry quota, which no two clients share.
   */
  retryStrategy?: () => RetryStrategyV2;
  maxAttempts?: number;
}

/**
 * Throttling is expected at scale (IAM's account-wide token buckets in particular), so clients
 * retry more than the SDK's default 3 attempts, with adaptive client-side rate limiting. The
 * tasks' timeouts are budgeted on this number.
 */
const DEFAULT_MAX_ATTEMPTS = SDK_MAX_ATTEMPTS;

/** The clients one Lambda instance has built, for the settings of one `configureAwsClients`. */
export interface LambdaInstance {
  clients: Map<string, unknown>;
  settingsVersion: number;
  /** The function's own environment variables, where instances of several share one process. */
  environment: Readonly<Record<string, string>>;
  /**
   * Other state a Lambda instance keeps between invocations (the Kubernetes clients and tokens),
   * kept across reconfigurations: its keys name the endpoint and credentials it was built for.
   */
  caches: Map<string, unknown>;
}

let settings: AwsClientSettings = {};
let settingsVersion = 0;
const processInstance = newLambdaInstance();
const currentInstance = new AsyncLocalStorage<LambdaInstance>();

export function newLambdaInstance(
  environment: Readonly<Record<string, string>> = {},
): LambdaInstance {
  return { clients: new Map(), settingsVersion, environment, caches: new Map() };
}

/** The running instance's own environment variables (none in Lambda, where process.env is its own). */
export function instanceEnvironment(): Readonly<Record<string, string>> {
  return (currentInstance.getStore() ?? processInstance).environment;
}

/** The running instance's cache named `key`, built on its first use in that instance. */
export function instanceCache<T>(key: string, build: () => T): T {
  const { caches } = currentInstance.getStore() ?? processInstance;
  let cache = caches.get(key) as T | undefined;
  if (cache === undefined) {
    cache = build();
    caches.set(key, cache);
  }
  return cache;
}

/** Runs `work` with the clients of `instance`, as a handler runs in its own Lambda instance. */
export function inLambdaInstance<T>(instance: LambdaInstance, work: () => T): T {
  return currentInstance.run(instance, work);
}

export function configureAwsClients(next: AwsClientSettings): void {
  settings = { ...next };
  settingsVersion += 1;
}

function baseConfig() {
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.retryStrategy
      ? { retryStrategy: settings.retryStrategy() }
      : { maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, retryMode: 'adaptive' }),
  };
}

function cached<T>(key: string, build: () => T): T {
  const instance = currentInstance.getStore() ?? processInstance;
  if (instance.settingsVersion !== settingsVersion) {
    for (const client of instance.clients.values()) (client as { destroy(): void }).destroy();
    instance.clients.clear();
    instance.settingsVersion = settingsVersion;
  }
  let client = instance.clients.get(key) as T | undefined;
  if (!client) {
    client = build();
    instance.clients.set(key, client);
  }
  return client;
}

// Separate functions, not one object, so a task's bundle keeps only the clients it calls.
export const eksClient = () => cached('eks', () => new EKSClient(baseConfig()));
export const iamClient = () => cached('iam', () => new IAMClient(baseConfig()));
export const stsClient = () => cached('sts', () => new STSClient(baseConfig()));

/**
 * The STS endpoint an EKS token names. The Kubernetes tasks sign a GetCallerIdentity URL but
 * never call STS, and an STS client would add about 14 KiB to their bundles for this URL alone.
 * The same precedence as the SDK's: the endpoint the clients are pointed at (the simulator), then
 * `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL`, then STS's regional endpoint in the region's
 * partition (what the STS client resolves without FIPS, dual-stack or the global endpoint).
 */
export function stsEndpointUrl(region: string): string {
  if (settings.endpoint !== undefined) return settings.endpoint;
  const configured = process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
  if (configured && process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== 'true') return configured;
  return `https://sts.${region}.${partition(region).dnsSuffix}`;
}
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
