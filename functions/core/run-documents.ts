/**
 * Names of the run documents each workflow keeps in the run store (`runs/<runId>/<name>.json`,
 * functions/aws/run-store.ts): one table per workflow, so a step that writes a document and the
 * steps that read it cannot spell its name differently. The infra grants on the `runs/` prefix,
 * except where a name is granted on its own (the bootstrap's applied config).
 */

/** Where the run store keeps every run's documents in the config bucket. */
export const RUNS_PREFIX = 'runs/';

/** The object key of one run document. */
export function runDocumentKey(runId: string, name: string): string {
  return `${RUNS_PREFIX}${runId}/${name}.json`;
}

/** The associations workflow's documents. */
export const ASSOCIATION_DOCUMENTS = {
  /** The validated request (load-request); read whole by plan-associations and apply-addons. */
  request: 'request',
  /** The whole plan (plan-associations): every item, refused entries, which role each association uses. */
  plan: 'plan',
  /** One batch's slice of the request and the plan: all that process-batch reads. */
  batch: (batch: number) => `batch-${batch}`,
  /** One batch's item results (process-batch). */
  results: (batch: number) => `results-${batch}`,
  /** The results of the config's add-ons (apply-addons). */
  addonResults: 'addon-results',
  /** One page of a get run's listing (get-associations). */
  getPage: (page: number) => `get-${page}`,
  report: 'report',
} as const;

/** The migrate-to-pod-identity workflow's documents. */
export const MIGRATION_DOCUMENTS = {
  /** The whole plan (discover-irsa), which the report reads. */
  plan: 'migration-plan',
  /** What the tasks of one batch read (MigrationBatchDocument, written by discover-irsa). */
  batch: (batch: number) => `batch-${batch}`,
  report: 'report',
  trust: (batch: number) => `trust-${batch}`,
  associations: (batch: number) => `associations-${batch}`,
  annotations: (batch: number) => `annotations-${batch}`,
  oidcTrust: (batch: number) => `oidc-trust-${batch}`,
  addons: 'addon-migration-results',
} as const;

/** The bootstrap workflow's documents. */
export const BOOTSTRAP_DOCUMENTS = {
  /** The config a bootstrap run applies, which the nested associations run reads. */
  appliedConfig: 'cluster-config',
} as const;
