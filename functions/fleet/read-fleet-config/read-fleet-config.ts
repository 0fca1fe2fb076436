import type { SealedDocument } from '../../aws/run-store.ts';
import type { S3Location } from '../../core/associations/request.ts';
import { decodeConfigFile } from '../../core/bootstrap/config-files.ts';
import {
  describeSelector,
  type FleetConfig,
  type FleetSelection,
  readFleetConfig,
} from '../../core/fleet/fleet-config.ts';
import type { FleetInput } from '../../core/fleet/fleet-input.ts';

export interface ReadFleetConfigDeps {
  parseInput(input: unknown): FleetInput;
  readConfig(location: S3Location): Promise<string>;
  saveConfig(runId: string, config: FleetConfig): Promise<SealedDocument>;
}

export type ReadFleetConfig =
  | { runId: string; ignored: true; reason: string }
  | {
      runId: string;
      ignored: false;
      dryRun: boolean;
      source: string;
      /** The selector the run uses, in a line. */
      selector: string;
      /** What select-fleet-clusters matches the region's clusters against. */
      selection: FleetSelection;
      config: SealedDocument;
    };

function sourceOf(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}${location.versionId ? ` (version ${location.versionId})` : ''}`;
}

/**
 * The first step of a fleet run: an input that is not for this workflow ends it quietly; the
 * fleet config it names is read and its `fleet:` block and placeholders checked, every problem
 * listed. The input's `clusters` replaces the block. The config goes on sealed to the step that
 * selects the clusters and checks the config once more for each of them.
 */
export async function readFleetConfigStep(
  runId: string,
  input: unknown,
  deps: ReadFleetConfigDeps,
): Promise<ReadFleetConfig> {
  const parsed = deps.parseInput(input);
  if (parsed.kind === 'ignored') return { runId, ignored: true, reason: parsed.reason };
  const source = 's3' in parsed.config ? sourceOf(parsed.config.s3) : 'the inline fleet config';
  const value =
    's3' in parsed.config
      ? decodeConfigFile({ source, text: await deps.readConfig(parsed.config.s3) }).value
      : parsed.config.inline;
  const read = readFleetConfig(value, source);
  const config: FleetConfig = { ...read, selector: parsed.clusters ?? read.selector };
  return {
    runId,
    ignored: false,
    dryRun: parsed.dryRun,
    source,
    selector: describeSelector(config.selector),
    selection: { selector: config.selector, region: config.region },
    config: await deps.saveConfig(runId, config),
  };
}
