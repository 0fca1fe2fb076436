import {
  type MigrationRequest,
  parseMigrationInput,
  WORKFLOW,
} from '../../core/migration/request.ts';

/** What the workflow carries from state to state: the validated request and the run's id. */
export interface LoadedMigrationRequest extends MigrationRequest {
  runId: string;
  /** For the shared check-cluster-readiness task, which checks what each operation needs. */
  operation: typeof WORKFLOW;
}

/** Validates the console or CLI input before anything is read or changed; a bad input fails the run here. */
export function loadMigrationRequest(
  runId: string,
  input: unknown,
  deps: { deploymentRegion: string },
): LoadedMigrationRequest {
  return { runId, operation: WORKFLOW, ...parseMigrationInput(input, deps.deploymentRegion) };
}
