/**
 * What starts a fleet-associations run:
 *
 * 1. the console or the CLI: `{config: {s3: {bucket, key}} | {inline: <fleet config>},
 *    clusters?: "a,b" | "prod-*" | "tag:env=prod", dryRun?}` (`clusters` replaces the config's
 *    `fleet:` block);
 * 2. the config bucket's EventBridge "Object Created" event for a config file under `fleet/`.
 */
import {
  CONFIG_EXTENSIONS,
  type ConfigLocation,
  configLocation,
  decodeS3Key,
  InvalidRequestError,
  parseShape,
  s3EventSchema,
} from '../associations/request.ts';
import { withoutStartedBy } from '../nested-runs.ts';
import * as z from '../zod.ts';
import {
  FLEET_PREFIX,
  type FleetSelector,
  FleetSelectorError,
  parseClustersFlag,
} from './fleet-config.ts';

export type FleetInput =
  | { kind: 'ignored'; reason: string }
  | {
      kind: 'fleet';
      config: ConfigLocation;
      /** The console's `clusters` or the CLI's `--clusters`, read; it replaces the `fleet:` block. */
      clusters: FleetSelector | undefined;
      dryRun: boolean;
    };

const consoleSchema = z.strictObject({
  config: z.unknown(),
  clusters: z.optional(z.string()),
  dryRun: z.optional(z.boolean()),
});

const ACCEPTED_SHAPES =
  'expected {config: {s3: {bucket, key}} | {inline: {...}}, clusters?: "a,b" | "prod-*" | "tag:env=prod", dryRun?} or an EventBridge S3 Object Created event for a key under fleet/';

function fromS3Event(input: Record<string, unknown>): FleetInput {
  const event = parseShape(s3EventSchema, input);
  if (event['detail-type'] !== 'Object Created') {
    return {
      kind: 'ignored',
      reason: `${event['detail-type']} events do not start a run; only Object Created does`,
    };
  }
  const key = decodeS3Key(event.detail.object.key);
  if (!key.startsWith(FLEET_PREFIX) || key.endsWith('/')) {
    return {
      kind: 'ignored',
      reason: `${JSON.stringify(key)} is not a file under ${FLEET_PREFIX}`,
    };
  }
  if (!CONFIG_EXTENSIONS.some((extension) => key.toLowerCase().endsWith(extension))) {
    return {
      kind: 'ignored',
      reason: `${JSON.stringify(key)} does not end in ${CONFIG_EXTENSIONS.join(', ')}; only eksctl config files start a run`,
    };
  }
  return {
    kind: 'fleet',
    config: {
      s3: { bucket: event.detail.bucket.name, key, versionId: event.detail.object['version-id'] },
    },
    clusters: undefined,
    dryRun: false,
  };
}

/**
 * An input's `clusters` (the CLI's `--clusters`) read as a selector, or InvalidRequestError at
 * `clusters` saying what is wrong with it.
 */
export function clustersField(value: string): FleetSelector;
export function clustersField(value: string | undefined): FleetSelector | undefined;
export function clustersField(value: string | undefined): FleetSelector | undefined {
  if (value === undefined) return undefined;
  try {
    return parseClustersFlag(value);
  } catch (error) {
    if (!(error instanceof FleetSelectorError)) throw error;
    throw new InvalidRequestError([{ path: 'clusters', message: error.message }]);
  }
}

/** Checks the shape of a fleet-associations input. Throws InvalidRequestError saying what is wrong. */
export function parseFleetInput(given: unknown): FleetInput {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidRequestError([{ path: '', message: ACCEPTED_SHAPES }]);
  }
  const input = withoutStartedBy(given) as Record<string, unknown>;
  if (input.source === 'aws.s3' || 'detail-type' in input) return fromS3Event(input);
  if (!('config' in input)) throw new InvalidRequestError([{ path: '', message: ACCEPTED_SHAPES }]);
  const parsed = parseShape(consoleSchema, input);
  return {
    kind: 'fleet',
    config: configLocation(parsed.config),
    clusters: clustersField(parsed.clusters),
    dryRun: parsed.dryRun ?? false,
  };
}
