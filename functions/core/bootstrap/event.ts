/**
 * What starts a bootstrap run, and which cluster it is for.
 *
 * EKS emits no event of its own when a cluster is created, so the trigger is CloudTrail's record
 * of the `CreateCluster` call, which EventBridge delivers as "AWS API Call via CloudTrail" while
 * the cluster is still CREATING. A person can start the same run with `{clusterName, region?}`.
 *
 * A record that is not a successful CreateCluster (a failed call, another API, another service)
 * is not an error: the run ends at once as ignored, with the reason in its output, because rules
 * and buses can be wider than this workflow and a failed CreateCluster created nothing.
 */

import { isClusterName, isRegionName } from '../config/index.ts';
import { NamedError } from '../errors.ts';
import * as z from '../zod.ts';
import { describeIssues } from '../zod-issues.ts';

/** The EventBridge pattern of the trigger (the stack's rule matches exactly these). */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const EKS_EVENT_SOURCE = 'aws.eks';
export const EKS_API_SOURCE = 'eks.amazonaws.com';
export const CREATE_CLUSTER = 'CreateCluster';

/** The input is neither a CloudTrail event nor `{clusterName, region?}`, or names no valid cluster. */
export class BootstrapInputError extends NamedError {
  override readonly name = 'BootstrapInputError';
}

/** The cluster is in another region than the deployment, which can only act in its own. */
export class RegionMismatchError extends NamedError {
  override readonly name = 'RegionMismatchError';
}

/** Where the run came from, for the report and the run-completed event. */
export type BootstrapTrigger =
  | {
      kind: 'event';
      eventId: string | null;
      eventTime: string | null;
      /** The principal that called CreateCluster. */
      requestedBy: string | null;
    }
  | { kind: 'input' };

export type BootstrapStart =
  | { ignored: false; clusterName: string; region: string; trigger: BootstrapTrigger }
  | { ignored: true; reason: string; clusterName: string | null; region: string | null };

const consoleInputSchema = z.strictObject({
  clusterName: z.string(),
  region: z.optional(z.string()),
});

const text = z.nullish(z.string());

/** Only the fields the run reads; CloudTrail records carry many more, which pass through. */
const cloudTrailDetailSchema = z.looseObject({
  eventSource: text,
  eventName: text,
  eventID: text,
  eventTime: text,
  awsRegion: text,
  errorCode: text,
  errorMessage: text,
  userIdentity: z.nullish(z.looseObject({ arn: text })),
  requestParameters: z.nullish(z.looseObject({ name: text })),
  responseElements: z.nullish(z.looseObject({ cluster: z.nullish(z.looseObject({ name: text })) })),
});

const eventEnvelopeSchema = z.looseObject({
  source: text,
  'detail-type': text,
  id: text,
  time: text,
  region: text,
  detail: z.unknown(),
});

const ACCEPTED_INPUTS =
  'expected the EventBridge event "AWS API Call via CloudTrail" of an eks.amazonaws.com CreateCluster call, or {"clusterName": "...", "region": "..."}';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeError(what: string, error: z.core.$ZodError, base: string[]): BootstrapInputError {
  return new BootstrapInputError(
    `${what} is malformed: ${describeIssues(error.issues, base).join('; ')}`,
  );
}

function checkedClusterName(name: string | null | undefined, where: string): string {
  if (name === undefined || name === null || name === '') {
    throw new BootstrapInputError(`${where} must name the cluster; ${ACCEPTED_INPUTS}`);
  }
  if (!isClusterName(name)) {
    throw new BootstrapInputError(
      `${where} ${JSON.stringify(name)} is not a valid EKS cluster name; use 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit`,
    );
  }
  return name;
}

function checkedRegion(region: string, where: string): string {
  if (!isRegionName(region)) {
    throw new BootstrapInputError(
      `${where} ${JSON.stringify(region)} is not a valid AWS region name; use a region code such as us-west-2`,
    );
  }
  return region;
}

function fromEvent(input: Record<string, unknown>): BootstrapStart {
  const envelope = eventEnvelopeSchema.safeParse(input);
  if (!envelope.success) throw shapeError('the EventBridge event', envelope.error, []);
  const { source, 'detail-type': detailType } = envelope.data;
  if (source !== EKS_EVENT_SOURCE || detailType !== CLOUDTRAIL_DETAIL_TYPE) {
    return {
      ignored: true,
      reason: `a "${detailType ?? 'unknown'}" event from ${source ?? 'an unknown source'} does not start a bootstrap; only the CloudTrail record of an ${EKS_API_SOURCE} ${CREATE_CLUSTER} call does`,
      clusterName: null,
      region: null,
    };
  }
  const parsed = cloudTrailDetailSchema.safeParse(envelope.data.detail);
  if (!parsed.success) throw shapeError('the CloudTrail record', parsed.error, ['detail']);
  const detail = parsed.data;
  const region = detail.awsRegion ?? envelope.data.region ?? null;
  const requestedName =
    detail.responseElements?.cluster?.name ?? detail.requestParameters?.name ?? null;
  if (detail.eventSource !== EKS_API_SOURCE || detail.eventName !== CREATE_CLUSTER) {
    return {
      ignored: true,
      reason: `${detail.eventSource ?? 'an unknown service'} ${detail.eventName ?? 'call'} does not start a bootstrap; only ${EKS_API_SOURCE} ${CREATE_CLUSTER} does`,
      clusterName: requestedName,
      region,
    };
  }
  if (detail.errorCode !== undefined && detail.errorCode !== null && detail.errorCode !== '') {
    const message = detail.errorMessage ? `: ${detail.errorMessage}` : '';
    return {
      ignored: true,
      reason: `the ${CREATE_CLUSTER} call for cluster ${JSON.stringify(requestedName ?? 'unknown')} failed (${detail.errorCode}${message}), so no cluster was created`,
      clusterName: requestedName,
      region,
    };
  }
  if (region === null) {
    throw new BootstrapInputError(
      'the CloudTrail record names no region (detail.awsRegion, or the event region)',
    );
  }
  return {
    ignored: false,
    clusterName: checkedClusterName(requestedName, 'the CreateCluster record (cluster name)'),
    region: checkedRegion(region, 'the CreateCluster record (detail.awsRegion)'),
    trigger: {
      kind: 'event',
      eventId: detail.eventID ?? envelope.data.id ?? null,
      eventTime: detail.eventTime ?? envelope.data.time ?? null,
      requestedBy: detail.userIdentity?.arn ?? null,
    },
  };
}

function fromConsoleInput(
  input: Record<string, unknown>,
  deploymentRegion: string,
): BootstrapStart {
  const parsed = consoleInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new BootstrapInputError(
      `the input is malformed: ${describeIssues(parsed.error.issues).join('; ')}; ${ACCEPTED_INPUTS}`,
    );
  }
  return {
    ignored: false,
    clusterName: checkedClusterName(parsed.data.clusterName, 'clusterName'),
    region: checkedRegion(parsed.data.region ?? deploymentRegion, 'region'),
    trigger: { kind: 'input' },
  };
}

/**
 * The cluster a bootstrap run is for, or why the input starts nothing. Throws
 * BootstrapInputError for an input of no accepted shape, and RegionMismatchError for a cluster
 * outside the deployment's region (a console input without a region means the deployment's).
 */
export function parseBootstrapInput(input: unknown, deploymentRegion: string): BootstrapStart {
  if (!isObject(input)) throw new BootstrapInputError(ACCEPTED_INPUTS);
  const start =
    'detail-type' in input || 'source' in input
      ? fromEvent(input)
      : fromConsoleInput(input, deploymentRegion);
  if (!start.ignored && start.region !== deploymentRegion) {
    throw new RegionMismatchError(
      `cluster "${start.clusterName}" is in ${start.region}, but this deployment bootstraps clusters in ${deploymentRegion}; deploy the stack in ${start.region} (CloudTrail events reach EventBridge in the region of the call) or start that deployment's bootstrap-cluster workflow`,
    );
  }
  return start;
}
