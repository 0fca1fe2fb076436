/**
 * The run documents each workflow keeps in the run store (`runs/<runId>/<name>.json`,
 * functions/aws/run-store.ts): one table per workflow giving each document its name and the
 * schema it is read back through, so a step that writes a document and the steps that read it
 * cannot spell its name or its type differently, and a document that is not what its reader
 * expects (left by another version of the service, or edited in the bucket) stops the step with
 * RunDocumentInvalidError instead of being acted on. The infra grants on the `runs/` prefix,
 * except where a name is granted on its own (the bootstrap's applied config).
 *
 * The plans' items are checked as records only: their content is judged again where it matters
 * (the guardrails re-check of every entry a batch carries out), and checking each field of
 * thousands of items on every read would cost each batch more than its S3 read.
 */

import type { AddonRequest, AddonResult } from './addon-plan.ts';
import type { DesiredAssociation } from './associations/desired.ts';
import type { AssociationRow, AssociationsReport, ItemResult } from './associations/report.ts';
import type { AssociationRequest, RequestSource } from './associations/request.ts';
import type {
  BatchDocument,
  BatchRequest,
  PlanDocument,
  PlanItem,
  RoleUsage,
} from './associations/run-plan.ts';
import { OPERATIONS } from './config/operations.ts';
import type { ClusterConfig } from './config/schema.ts';
import type { DriftReport } from './drift/report.ts';
import type { FleetConfig } from './fleet/fleet-config.ts';
import type { FleetMigrationReport } from './fleet/fleet-migration.ts';
import type { FleetReport } from './fleet/report.ts';
import type { AddonMigrationResult } from './migration/addons.ts';
import { DISCOVERY_MODES } from './migration/discovery-modes.ts';
import type {
  AnnotationOutcome,
  AssociationOutcome,
  OidcTrustOutcome,
  RoleTrustOutcome,
} from './migration/outcomes.ts';
import type {
  MigrationBatch,
  MigrationBatchDocument,
  MigrationPlan,
  PlannedRole,
  PlannedServiceAccount,
} from './migration/plan.ts';
import type { MigrationReport } from './migration/report.ts';
import { PARTITIONS } from './well-known-policies.ts';
import * as z from './zod.ts';

/** Where the run store keeps every run's documents in the config bucket. */
export const RUNS_PREFIX = 'runs/';

/** The object key of one run document. */
export function runDocumentKey(runId: string, name: string): string {
  return `${RUNS_PREFIX}${runId}/${name}.json`;
}

/** A run document: its name in the run store and what it holds. */
export interface RunDocument<T> {
  readonly name: string;
  readonly schema: z.ZodMiniType<T>;
}

/*
 * Every schema below is built on first use, through functions marked free of side effects, so
 * esbuild leaves out of a task's bundle the schemas of documents the task never reads (a
 * bundle's size is its Lambda's cold start). esbuild honours the mark only within this module.
 */

/* @__NO_SIDE_EFFECTS__ */
function lazily<T>(build: () => z.ZodMiniType<T>): () => z.ZodMiniType<T> {
  let schema: z.ZodMiniType<T> | undefined;
  return () => {
    schema ??= build();
    return schema;
  };
}

/* @__NO_SIDE_EFFECTS__ */
function runDocument<T>(name: string, schema: () => z.ZodMiniType<T>): RunDocument<T> {
  return {
    name,
    get schema() {
      return schema();
    },
  };
}

/** A value whose fields the reader does not check here (see the module comment). */
function record<T>(): z.ZodMiniType<T> {
  return z.custom<T>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'expected an object',
  );
}

function records<T>(): z.ZodMiniType<T[]> {
  return z.array(record<T>());
}

function count() {
  return z.int().check(z.minimum(0));
}

function roleUsage(): z.ZodMiniType<RoleUsage> {
  return z.array(
    z.looseObject({ namespace: z.string(), serviceAccount: z.string(), roleArn: z.string() }),
  );
}

function refused() {
  return z.optional(
    z.array(
      z.looseObject({ namespace: z.string(), serviceAccount: z.string(), reason: z.string() }),
    ),
  );
}

/** The request's header, which a batch carries too. */
function requestHeader() {
  return {
    operation: z.enum(OPERATIONS),
    clusterName: z.string(),
    region: z.string(),
    partition: z.enum(PARTITIONS),
    account: z.string(),
    dryRun: z.boolean(),
    prune: z.boolean(),
    source: record<RequestSource>(),
    entries: records<DesiredAssociation>(),
  };
}

const associationRequest = lazily<AssociationRequest>(() =>
  z.looseObject({
    ...requestHeader(),
    addons: z.optional(record<AddonRequest>()),
    warnings: z.array(z.string()),
  }),
);

const planDocument = lazily<PlanDocument>(() =>
  z.looseObject({
    batchSize: z.int().check(z.minimum(1)),
    items: records<PlanItem>(),
    refused: refused(),
  }),
);

const batchDocument = lazily<BatchDocument>(() =>
  z.looseObject({
    batch: count(),
    request: z.looseObject(requestHeader()) as z.ZodMiniType<BatchRequest>,
    items: records<PlanItem>(),
    refused: refused(),
    roleUsage: z.optional(z.looseObject({ roles: z.array(z.string()), associations: roleUsage() })),
    rolesFound: z.optional(z.array(z.string())),
  }),
);

const itemResults = lazily(() => records<ItemResult>());
const associationRows = lazily(() => records<AssociationRow>());

/** The associations workflow's documents. */
export const ASSOCIATION_DOCUMENTS = {
  /**
   * The run's ClusterConfig, validated (read-association-config). Sealed (run-store.ts), so
   * load-association-request relies on that validation without the config rules in its bundle.
   */
  config: runDocument(
    'config',
    lazily(() => record<ClusterConfig>()),
  ),
  /** The validated request (load-association-request); read whole by plan-associations and apply-addons. */
  request: runDocument('request', associationRequest),
  /** The whole plan (plan-associations): every item, refused entries, undeclared associations. */
  plan: runDocument('plan', planDocument),
  /**
   * Which role each association of the cluster used at plan time (plan-associations, when roles
   * may be deleted): what a batch reads, instead of the whole plan, for an association moved to
   * a role its own document does not cover.
   */
  roleUsage: runDocument('role-usage', lazily(roleUsage)),
  /** One batch's slice of the request and the plan: all that prepare-association-batch and apply-association-batch read. */
  batch: (batch: number) => runDocument(`batch-${batch}`, batchDocument),
  /** One batch's item results (apply-association-batch). */
  results: (batch: number) => runDocument(`results-${batch}`, itemResults),
  /** The results of the config's add-ons (apply-addons). */
  addonResults: runDocument(
    'addon-results',
    lazily(() => records<AddonResult>()),
  ),
  /** One page of a get run's listing (get-associations). */
  getPage: (page: number) => runDocument(`get-${page}`, associationRows),
  report: runDocument(
    'report',
    lazily(() => record<AssociationsReport>()),
  ),
} as const;

const migrationBatch = lazily<MigrationBatch>(() =>
  z.looseObject({
    firstRole: count(),
    roleCount: count(),
    firstServiceAccount: count(),
    serviceAccountCount: count(),
  }),
);

function migrationSettings() {
  return {
    clusterName: z.string(),
    region: z.string(),
    providerArn: z.string(),
    account: z.string(),
    approve: z.boolean(),
    removeOidcProviderTrustRelationship: z.boolean(),
    allowStackDrift: z.boolean(),
    namespaces: z.array(z.string()),
    discovery: z.looseObject({
      requested: z.enum(DISCOVERY_MODES),
      used: z.enum(['kubernetes', 'iam']),
    }),
    agentInstalled: z.boolean(),
    assumeRolePolicySizeQuota: count(),
  };
}

const migrationPlan = lazily<MigrationPlan>(() =>
  z.looseObject({
    ...migrationSettings(),
    batches: z.array(migrationBatch()),
    roles: records<PlannedRole>(),
    serviceAccounts: records<PlannedServiceAccount>(),
    findings: records<MigrationPlan['findings'][number]>(),
    warnings: z.array(z.string()),
    addons: z.optional(records<NonNullable<MigrationPlan['addons']>[number]>()),
  }),
);

const migrationBatchDocument = lazily<MigrationBatchDocument>(() =>
  z.looseObject({
    settings: z.looseObject(migrationSettings()),
    batch: count(),
    entry: migrationBatch(),
    roles: records<PlannedRole>(),
    serviceAccounts: records<PlannedServiceAccount>(),
  }),
);

const trustOutcomes = lazily<RoleTrustOutcome[]>(() =>
  z.array(
    z.looseObject({
      roleIndex: count(),
      result: z.enum(['added', 'present', 'failed']),
      reason: z.optional(z.string()),
      stackStatus: z.optional(z.string()),
    }),
  ),
);

/** One outcome per service account of a batch, with the results the step can have. */
function serviceAccountOutcomes<const Result extends readonly [string, ...string[]]>(
  results: Result,
) {
  return z.array(
    z.looseObject({
      serviceAccountIndex: count(),
      result: z.enum(results),
      reason: z.optional(z.string()),
    }),
  );
}

const associationOutcomes = lazily<AssociationOutcome[]>(() =>
  serviceAccountOutcomes(['created', 'exists', 'conflict', 'failed', 'not-attempted']),
);

const annotationOutcomes = lazily<AnnotationOutcome[]>(() =>
  serviceAccountOutcomes(['removed', 'absent', 'changed', 'failed', 'not-attempted']),
);

const oidcTrustOutcomes = lazily<OidcTrustOutcome[]>(() =>
  z.array(
    z.looseObject({
      roleIndex: count(),
      result: z.enum(['removed', 'unchanged', 'kept', 'failed']),
      removed: z.array(z.string()),
      stackStatus: z.optional(z.string()),
      kept: z.array(z.looseObject({ subject: z.string(), reason: z.string() })),
      reason: z.optional(z.string()),
    }),
  ),
);

/** The migrate-to-pod-identity workflow's documents. */
export const MIGRATION_DOCUMENTS = {
  /** The whole plan (discover-irsa), which migrate-addons and the report read. */
  plan: runDocument('migration-plan', migrationPlan),
  /** What the tasks of one batch read (written by discover-irsa). */
  batch: (batch: number) => runDocument(`batch-${batch}`, migrationBatchDocument),
  report: runDocument(
    'report',
    lazily(() => record<MigrationReport>()),
  ),
  trust: (batch: number) => runDocument(`trust-${batch}`, trustOutcomes),
  associations: (batch: number) => runDocument(`associations-${batch}`, associationOutcomes),
  annotations: (batch: number) => runDocument(`annotations-${batch}`, annotationOutcomes),
  oidcTrust: (batch: number) => runDocument(`oidc-trust-${batch}`, oidcTrustOutcomes),
  addons: runDocument(
    'addon-migration-results',
    lazily(() => records<AddonMigrationResult>()),
  ),
} as const;

/** The bootstrap workflow's documents. */
export const BOOTSTRAP_DOCUMENTS = {
  /**
   * The config a bootstrap run applies, which the nested associations run reads as it reads any
   * config (functions/core/config), so it is checked there, not here.
   */
  appliedConfig: runDocument(
    'cluster-config',
    lazily(() => z.unknown()),
  ),
} as const;

/* @__NO_SIDE_EFFECTS__ */
function clusterConfigOfFleetRun(clusterName: string): RunDocument<unknown> {
  return runDocument(
    `${clusterName}/${BOOTSTRAP_DOCUMENTS.appliedConfig.name}`,
    () => BOOTSTRAP_DOCUMENTS.appliedConfig.schema,
  );
}

export const FLEET_DOCUMENTS = {
  /**
   * The fleet config as read-fleet-config read and checked it, its selector the one the run uses.
   * Sealed, so select-fleet-clusters applies exactly that without the YAML reader in its bundle.
   */
  config: runDocument(
    'fleet-config',
    lazily(() => record<FleetConfig>()),
  ),
  /**
   * One selected cluster's config as a fleet run applies it (`runs/<runId>/<cluster>/cluster-config.json`),
   * which that cluster's nested associations run reads as a bootstrap run's.
   */
  clusterConfig: clusterConfigOfFleetRun,
  /** The fleet run's whole report: every cluster's outcome. */
  report: runDocument(
    'fleet-report',
    lazily(() => record<FleetReport>()),
  ),
  /** The fleet migration's whole report: every cluster's outcome. */
  migrationReport: runDocument(
    'fleet-migration-report',
    lazily(() => record<FleetMigrationReport>()),
  ),
} as const;

/** What a Map over clusters keeps of one cluster's iteration: its nested run's summary or failure. */
export type ClusterOutcome = { clusterName: string } & Record<string, unknown>;

/**
 * A cluster's outcome document; its reader names the shape it expects (`schema`), the writer
 * only that it is the cluster's.
 */
/* @__NO_SIDE_EFFECTS__ */
function clusterOutcomeOf<T extends ClusterOutcome = ClusterOutcome>(
  clusterName: string,
  schema: () => z.ZodMiniType<T> = lazily(() => record<T>()),
): RunDocument<T> {
  return runDocument(`${clusterName}/outcome`, schema);
}

/**
 * The documents of a workflow that runs a Map over clusters (fleet-associations, fleet-migration,
 * drift-check): each iteration's outcome (`runs/<runId>/<cluster>/outcome.json`), which the report
 * reads, so the Map's own result stays a list of names whatever the clusters' runs returned.
 */
export const CLUSTER_RUN_DOCUMENTS = {
  outcome: clusterOutcomeOf,
} as const;

export const DRIFT_DOCUMENTS = {
  /** The drift check's whole report: every cluster's drift and heal. */
  report: runDocument(
    'drift-report',
    lazily(() => record<DriftReport>()),
  ),
} as const;
