import type { SealedDocument } from '../../aws/run-store.ts';
import type { S3Location, WorkflowInput } from '../../core/associations/request.ts';
import { validatedConfig } from '../../core/associations/request-config.ts';
import type { ClusterConfig } from '../../core/config/index.ts';

export interface ReadAssociationConfigDeps {
  parseInput(input: unknown): WorkflowInput;
  readConfig(location: S3Location): Promise<string>;
  saveConfig(runId: string, config: ClusterConfig): Promise<SealedDocument>;
}

export type ReadConfig =
  | { runId: string; ignored: true; reason: string }
  | { runId: string; ignored: false; config: SealedDocument | null };

/**
 * The first step of a run: an input that is not for this workflow ends it quietly, and the
 * ClusterConfig an input names (in S3 or inline) is read and validated for the operation, every
 * problem listed, before anything else is looked at. The validated config goes on sealed, so the
 * next step (which reads the input again from the execution) builds the request from exactly
 * what was checked here; the input is not handed on, as it may be as large as a state may be.
 */
export async function readAssociationConfig(
  runId: string,
  input: unknown,
  deps: ReadAssociationConfigDeps,
): Promise<ReadConfig> {
  const parsed = deps.parseInput(input);
  if (parsed.kind === 'ignored') return { runId, ignored: true, reason: parsed.reason };
  if (parsed.kind !== 'config') return { runId, ignored: false, config: null };
  const text = 's3' in parsed.config ? await deps.readConfig(parsed.config.s3) : undefined;
  const config = validatedConfig(parsed, text);
  return { runId, ignored: false, config: await deps.saveConfig(runId, config) };
}
