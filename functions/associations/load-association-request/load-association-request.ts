import type { SealedDocument } from '../../aws/run-store.ts';
import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import {
  checkGuardrails,
  type GuardrailReaders,
  type GuardrailSettings,
  lookUpForGuardrails,
} from '../../core/associations/guardrails.ts';
import type { AssociationRequest, WorkflowInput } from '../../core/associations/request.ts';
import {
  associationRequestFrom,
  describeSource,
  InvalidRequestError,
} from '../../core/associations/request.ts';
import {
  checkRoleQuota,
  type RoleQuotaReaders,
  rolesTheRequestMayCreate,
} from '../../core/associations/role-quota.ts';
import type { ClusterConfig } from '../../core/config/index.ts';

export interface LoadAssociationRequestDeps {
  deploymentRegion: string;
  guardrails: GuardrailSettings;
  parseInput(input: unknown): WorkflowInput;
  account(): Promise<string>;
  /** The config read-association-config validated, as it wrote it (refused if changed since). */
  readConfig(sealed: SealedDocument): Promise<ClusterConfig>;
  saveRequest(runId: string, request: AssociationRequest): Promise<string>;
  /**
   * What the guardrails read from IAM: tags of an existing role the config names, which may opt
   * it in to being associated, and documents of the customer managed policies it attaches.
   */
  guardrailReaders: GuardrailReaders;
  roleQuotaReaders: RoleQuotaReaders;
}

/** The run's input, and the validated config read-association-config handed on if it names one. */
export interface ReadConfigOutput {
  input: unknown;
  config: SealedDocument | null;
}

/** The small summary the workflow carries from state to state; the request itself is in the run store. */
export interface LoadedRequest {
  runId: string;
  operation: AssociationRequest['operation'];
  clusterName: string;
  region: string;
  dryRun: boolean;
  prune: boolean;
  source: string;
  entryCount: number;
  /** Add-ons of the config this run acts on. */
  addonCount: number;
  /** The addons: section installs the pod identity agent (so associations may follow it). */
  installsAgent: boolean;
  warnings: string[];
  requestDocument: string;
}

/**
 * Turns any accepted input (console, flags, S3 event) into a validated request: its config,
 * validated by read-association-config, is built into entries and the guardrails are applied
 * before anything changes, so a bad input fails the run here, whole, with every problem listed.
 */
export async function loadAssociationRequest(
  runId: string,
  read: ReadConfigOutput,
  deps: LoadAssociationRequestDeps,
): Promise<LoadedRequest> {
  const parsed = deps.parseInput(read.input);
  if (parsed.kind === 'ignored') {
    // read-association-config ends such runs before this step.
    throw new InvalidRequestError([{ path: '', message: parsed.reason }]);
  }
  const request = associationRequestFrom(parsed, {
    deploymentRegion: deps.deploymentRegion,
    account: await deps.account(),
    config: read.config === null ? undefined : await deps.readConfig(read.config),
    enforcedPermissionsBoundaryArn: deps.guardrails.enforcedPermissionsBoundaryArn,
  });
  if (request.region !== deps.deploymentRegion) {
    // Each deployment serves the clusters of its own region (the CloudTrail rule is regional too).
    throw new InvalidRequestError([
      {
        path: 'metadata.region',
        message: `this deployment manages clusters in ${deps.deploymentRegion}, but the request is for ${request.region}; send it to the ${request.region} deployment`,
      },
    ]);
  }
  // Violations that stand only unless the association already has the role are not refused
  // here: this task reads no EKS state (see CurrentRoleCondition for why). They go with
  // the request, and plan-associations, which lists the cluster's associations before any step
  // changes anything, refuses the run unless each association has its role (guardrails.ts,
  // CurrentRoleCondition).
  const conditions = checkGuardrails(
    request,
    deps.guardrails,
    await lookUpForGuardrails(request, deps.guardrails, deps.guardrailReaders),
  );
  if (conditions.length > 0) request.currentRoleConditions = conditions;
  await checkRoleQuota(rolesTheRequestMayCreate(request), deps.roleQuotaReaders);
  const requestDocument = await deps.saveRequest(runId, request);
  return {
    runId,
    operation: request.operation,
    clusterName: request.clusterName,
    region: request.region,
    dryRun: request.dryRun,
    prune: request.prune,
    source: describeSource(request.source),
    entryCount: request.entries.length,
    addonCount: request.addons?.addons.length ?? 0,
    installsAgent: (request.addons?.addons ?? []).some(
      (addon) => addon.name === POD_IDENTITY_AGENT,
    ),
    warnings: request.warnings,
    requestDocument,
  };
}
