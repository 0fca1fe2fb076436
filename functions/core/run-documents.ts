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
} from './associations/run-plan.ts';
import { OPERATIONS } from './config/rules.ts';
import type { AddonMigrationResult } from './migration/addons.ts';
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
import { DISCOVERY_MODES } from './migration/request.ts';
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

function runDocument<T>(name: string, schema: z.ZodMiniType<T>): RunDocument<T> {
  return { name, schema };
}

/** A value whose fields the reader does not check here (see the module comment). */
function record<T>(): z.ZodMiniType<T> {
  return z.custom<T>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'expected an object',
  );
}

const text = z.string();
const optionalText = z.optional(z.string());
const count = z.int().check(z.minimum(0));
const roleUsage = z.array(z.looseObject({ namespace: text, serviceAccount: text, roleArn: text }));
const refused = z.optional(
  z.array(z.looseObject({ namespace: text, serviceAccount: text, reason: text })),
);

/** The request's header, which a batch carries too. */
const requestHeader = {
  operation: z.enum(OPERATIONS),
  clusterName: text,
  region: text,
  partition: z.enum(PARTITIONS),
  account: text,
  dryRun: z.boolean(),
  prune: z.boolean(),
  source: record<RequestSource>(),
  entries: z.array(record<DesiredAssociation>()),
};

const associationRequest: z.ZodMiniType<AssociationRequest> = z.looseObject({
  ...requestHeader,
  addons: z.optional(record<AddonRequest>()),
  warnings: z.array(text),
});

const planDocument: z.ZodMiniType<PlanDocument> = z.looseObject({
  batchSize: z.int().check(z.minimum(1)),
  items: z.array(record<PlanItem>()),
  refused,
  roleUsage: z.optional(roleUsage),
});

const batchDocument: z.ZodMiniType<BatchDocument> = z.looseObject({
  batch: count,
  request: z.looseObject(requestHeader) as z.ZodMiniType<BatchRequest>,
  items: z.array(record<PlanItem>()),
  refused,
  roleUsage: z.optional(z.looseObject({ roles: z.array(text), associations: roleUsage })),
});

/** The associations workflow's documents. */
export const ASSOCIATION_DOCUMENTS = {
  /** The validated request (load-association-request); read whole by plan-associations and apply-addons. */
  request: runDocument('request', associationRequest),
  /** The whole plan (plan-associations): every item, refused entries, which role each association uses. */
  plan: runDocument('plan', planDocument),
  /** One batch's slice of the request and the plan: all that apply-association-batch reads. */
  batch: (batch: number) => runDocument(`batch-${batch}`, batchDocument),
  /** One batch's item results (apply-association-batch). */
  results: (batch: number) => runDocument(`results-${batch}`, z.array(record<ItemResult>())),
  /** The results of the config's add-ons (apply-addons). */
  addonResults: runDocument('addon-results', z.array(record<AddonResult>())),
  /** One page of a get run's listing (get-associations). */
  getPage: (page: number) => runDocument(`get-${page}`, z.array(record<AssociationRow>())),
  report: runDocument('report', record<AssociationsReport>()),
} as const;

const migrationBatch: z.ZodMiniType<MigrationBatch> = z.looseObject({
  firstRole: count,
  roleCount: count,
  firstServiceAccount: count,
  serviceAccountCount: count,
});

const migrationSettings = {
  clusterName: text,
  region: text,
  providerArn: text,
  account: text,
  approve: z.boolean(),
  removeOidcProviderTrustRelationship: z.boolean(),
  allowStackDrift: z.boolean(),
  namespaces: z.array(text),
  discovery: z.looseObject({
    requested: z.enum(DISCOVERY_MODES),
    used: z.enum(['kubernetes', 'iam']),
  }),
  agentInstalled: z.boolean(),
  assumeRolePolicySizeQuota: count,
};

const migrationPlan: z.ZodMiniType<MigrationPlan> = z.looseObject({
  ...migrationSettings,
  batches: z.array(migrationBatch),
  roles: z.array(record<PlannedRole>()),
  serviceAccounts: z.array(record<PlannedServiceAccount>()),
  findings: z.array(record<MigrationPlan['findings'][number]>()),
  warnings: z.array(text),
  addons: z.optional(z.array(record<NonNullable<MigrationPlan['addons']>[number]>())),
});

const migrationBatchDocument: z.ZodMiniType<MigrationBatchDocument> = z.looseObject({
  settings: z.looseObject(migrationSettings),
  batch: count,
  entry: migrationBatch,
  roles: z.array(record<PlannedRole>()),
  serviceAccounts: z.array(record<PlannedServiceAccount>()),
});

const roleIndex = count;
const serviceAccountIndex = count;

const trustOutcomes: z.ZodMiniType<RoleTrustOutcome[]> = z.array(
  z.looseObject({
    roleIndex,
    result: z.enum(['added', 'present', 'failed']),
    reason: optionalText,
    stackStatus: optionalText,
  }),
);

const associationOutcomes: z.ZodMiniType<AssociationOutcome[]> = z.array(
  z.looseObject({
    serviceAccountIndex,
    result: z.enum(['created', 'exists', 'conflict', 'failed', 'not-attempted']),
    reason: optionalText,
  }),
);

const annotationOutcomes: z.ZodMiniType<AnnotationOutcome[]> = z.array(
  z.looseObject({
    serviceAccountIndex,
    result: z.enum(['removed', 'absent', 'changed', 'failed', 'not-attempted']),
    reason: optionalText,
  }),
);

const oidcTrustOutcomes: z.ZodMiniType<OidcTrustOutcome[]> = z.array(
  z.looseObject({
    roleIndex,
    result: z.enum(['removed', 'unchanged', 'kept', 'failed']),
    removed: z.array(text),
    stackStatus: optionalText,
    kept: z.array(z.looseObject({ subject: text, reason: text })),
    reason: optionalText,
  }),
);

/** The migrate-to-pod-identity workflow's documents. */
export const MIGRATION_DOCUMENTS = {
  /** The whole plan (discover-irsa), which migrate-addons and the report read. */
  plan: runDocument('migration-plan', migrationPlan),
  /** What the tasks of one batch read (written by discover-irsa). */
  batch: (batch: number) => runDocument(`batch-${batch}`, migrationBatchDocument),
  report: runDocument('report', record<MigrationReport>()),
  trust: (batch: number) => runDocument(`trust-${batch}`, trustOutcomes),
  associations: (batch: number) => runDocument(`associations-${batch}`, associationOutcomes),
  annotations: (batch: number) => runDocument(`annotations-${batch}`, annotationOutcomes),
  oidcTrust: (batch: number) => runDocument(`oidc-trust-${batch}`, oidcTrustOutcomes),
  addons: runDocument('addon-migration-results', z.array(record<AddonMigrationResult>())),
} as const;

/** The bootstrap workflow's documents. */
export const BOOTSTRAP_DOCUMENTS = {
  /**
   * The config a bootstrap run applies, which the nested associations run reads as it reads any
   * config (functions/core/config), so it is checked there, not here.
   */
  appliedConfig: runDocument('cluster-config', z.unknown()),
} as const;
