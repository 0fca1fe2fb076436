/**
 * What tasks' contracts (functions/<group>/<task>/contract.ts) have in common: the fields several
 * of their schemas share, and the types a task's own module takes from its contract. The fields
 * are functions rather than schemas built here: a bundle then holds only the ones its task's
 * contract uses.
 */

import { OPERATIONS } from './config/operations.ts';
import { DISCOVERY_MODES } from './migration/discovery-modes.ts';
import * as z from './zod.ts';

/**
 * The input a task's contract accepts, once the contract has checked it (defaults filled in), for
 * the task's module: `TaskInput<typeof contract>` with `import type * as contract from
 * './contract.ts'`.
 */
export type TaskInput<Contract extends { readonly input: z.ZodMiniType }> = z.infer<
  Contract['input']
>;

/** The output a task's contract checks, for the task's module (as TaskInput). */
export type TaskOutput<Contract extends { readonly output: z.ZodMiniType }> = z.infer<
  Contract['output']
>;

/** Text a task cannot do without: a name or id the workflow passes on. */
export function requiredText() {
  return z.string().check(z.minLength(1));
}

/**
 * The input of a task that needs only its run: all else it reads from the run's documents
 * (`runId` names them; each workflow's ASL sets it from the execution's name).
 */
export function runStepInput() {
  return z.looseObject({ runId: requiredText() });
}

/** The input of a run's first task: the workflow's input as given, which the task checks itself. */
export function runRequestInput() {
  return z.object({ runId: requiredText(), input: z.unknown() });
}

/** A run's first task's answer to an input that is not for its workflow: the run ends quietly. */
export function ignoredRun() {
  return z.object({ runId: z.string(), ignored: z.literal(true), reason: z.string() });
}

/**
 * What the associations workflow's Map gives each task of a batch: the batch, and the run's
 * cluster and operation as the workflow's state carries them, which the batch document must match.
 */
export function associationBatchFields() {
  return {
    runId: requiredText(),
    batch: z.int().check(z.minimum(0)),
    dryRun: z.boolean(),
    clusterName: requiredText(),
    operation: z.enum(OPERATIONS),
  };
}

/** Where a step left a run document sealed (run-store.ts `SealedDocument`), for the next to read. */
export function sealedDocument() {
  return z.object({ location: requiredText(), sha256: requiredText() });
}

/** The cluster a run is for. */
export function clusterFields() {
  return { clusterName: requiredText(), region: requiredText() };
}

/** What a workflow's last task returns first: which workflow ran, and for which cluster. */
export function runSummaryFields<Workflow extends string>(workflow: Workflow) {
  return { workflow: z.literal(workflow), clusterName: z.string(), region: z.string() };
}

/** What a run's report asks of whoever reads it: what to heed, and what to do next. */
export function reportAdviceFields() {
  return { warnings: z.array(z.string()), nextSteps: z.array(z.string()) };
}

/**
 * What an associations plan needs of the cluster's Kubernetes API: plan-associations returns it,
 * ensure-kubernetes-access gets the access it takes.
 */
export function kubernetesNeeds() {
  return z.object({ namespaces: z.array(z.string()), createsServiceAccounts: z.boolean() });
}

/** The migration's settings that its tasks after the request read from the workflow's state. */
export function migrationRunFields() {
  return {
    runId: requiredText(),
    ...clusterFields(),
    approve: z.boolean(),
    removeOidcProviderTrustRelationship: z.boolean(),
    discovery: z.enum(DISCOVERY_MODES),
  };
}

/** The clusters a fleet run selects: read-fleet-config hands it on, select-fleet-clusters matches it. */
export function fleetSelection() {
  return z.object({
    selector: z.object({
      clusters: z.optional(z.array(z.string())),
      namePattern: z.optional(z.string()),
      tags: z.optional(z.record(z.string(), z.string())),
    }),
    region: z.optional(z.string()),
  });
}

/**
 * What a Map over clusters hands its report: one entry per cluster, its name (record-cluster-outcome
 * keeps the rest in the run store).
 */
export function clusterRunResults() {
  return z.array(z.looseObject({ clusterName: requiredText() }));
}

/** A nested run's failure as a Catch caught it, or as record-cluster-outcome reduced it. */
export function caughtFailure() {
  return z.optional(
    z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  );
}
