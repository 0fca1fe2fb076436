import pMap from 'p-map';
import {
  KubernetesAuthError,
  KubernetesForbiddenError,
  type KubernetesPod,
  type KubernetesServiceAccount,
  KubernetesUnreachableError,
} from '../../aws/kubernetes.ts';
import { parseRoleArn } from '../../core/arn.ts';
import { asError } from '../../core/errors.ts';
import {
  type AddonMigrationFact,
  addonsToMigrate,
  planAddonMigrations,
} from '../../core/migration/addons.ts';
import type { MigratableRoles } from '../../core/migration/migratable.ts';
import {
  type AddonRoleFact,
  type AssociationFact,
  annotatedRolesToLookUp,
  batchDocument,
  hasPendingStep,
  type MigrationBatchDocument,
  type MigrationFacts,
  type MigrationPlan,
  pendingSteps,
  planMigration,
  ROLE_ARN_ANNOTATION,
  type ServiceAccountFact,
  type StackFact,
} from '../../core/migration/plan.ts';
import { type OidcProviderFact, providerFromArn } from '../../core/migration/provider.ts';
import type { MigrationRequest } from '../../core/migration/request.ts';
import type { RoleFact } from '../../core/migration/role-fact.ts';
import { findIrsaSubjects } from '../../core/trust-policy.ts';

/** IAM's default AssumeRolePolicySizeQuota, for an account summary that does not report it. */
const DEFAULT_TRUST_POLICY_QUOTA = 2048;
/**
 * A new access entry may take a few seconds to be honoured: when this run just granted read
 * access, a refusal is retried this many times, this far apart, before falling back to IAM.
 */
export const ACCESS_PROPAGATION_ATTEMPTS = 6;
export const ACCESS_PROPAGATION_DELAY_MS = 5000;
/** Roles looked up at once (annotated roles that do not trust the cluster). */
const ROLE_LOOKUP_CONCURRENCY = 4;
/** Batch documents written at once. */
const RUN_STORE_WRITE_CONCURRENCY = 8;

export interface DiscoverInput
  extends Pick<
    MigrationRequest,
    | 'clusterName'
    | 'region'
    | 'approve'
    | 'removeOidcProviderTrustRelationship'
    | 'discovery'
    | 'namespaces'
    | 'allowStackDrift'
  > {
  runId: string;
  providerArn: string;
  agentInstalled: boolean;
  /** What the read-access step did (an approved run sets it up before discovery). */
  readAccess: { granted: boolean; changed: boolean; warning?: string | undefined };
}

export interface KubernetesReader {
  authenticationMode: string;
  serviceAccounts(namespace?: string): Promise<KubernetesServiceAccount[]>;
  pods(namespace?: string): Promise<KubernetesPod[]>;
}

export interface DiscoverDeps {
  /** The deployment's migratableRoleArnPatterns: roles outside them are planned as skipped. */
  migratableRoleArnPatterns: MigratableRoles;
  kubernetes(clusterName: string): Promise<KubernetesReader>;
  listRolesTrusting(providerArn: string): Promise<RoleFact[]>;
  getRoleTrust(name: string): Promise<RoleFact | undefined>;
  listAddonRoles(clusterName: string): Promise<AddonRoleFact[]>;
  /** The service accounts an add-on version takes associations for (empty: no pod identity support). */
  addonPodIdentityAccounts(addonName: string, addonVersion: string): Promise<string[]>;
  listIamServiceAccountStacks(): Promise<StackFact[]>;
  listAssociations(
    clusterName: string,
  ): Promise<{ associationId: string; namespace: string; serviceAccount: string }[]>;
  describeAssociations(clusterName: string, ids: string[]): Promise<AssociationFact[]>;
  getAccountSummary(): Promise<Record<string, number>>;
  savePlan(runId: string, plan: MigrationPlan): Promise<string>;
  /** Stores what the tasks of one batch read. */
  saveBatch(runId: string, batch: number, document: MigrationBatchDocument): Promise<unknown>;
  sleep(milliseconds: number): Promise<unknown>;
}

/** What the workflow branches and maps on; the plan itself is in the run store. */
export interface DiscoverySummary {
  planDocument: string;
  discovery: 'kubernetes' | 'iam';
  serviceAccounts: number;
  roles: number;
  findings: number;
  /** Some service account has a step left to do. */
  hasWork: boolean;
  createsAssociations: boolean;
  /** Some add-on is migrated through its podIdentityAssociations. */
  migratesAddons: boolean;
  /** The Map's items: one per batch of the plan. */
  batches: number[];
  removesAnnotations: boolean;
  /** Namespaces of the annotations to remove, for the write access they need. */
  annotationNamespaces: string[];
  removesOidcTrust: boolean;
}

function isRefusal(error: unknown): boolean {
  return error instanceof KubernetesAuthError || error instanceof KubernetesForbiddenError;
}

function isAccessProblem(error: unknown): boolean {
  return isRefusal(error) || error instanceof KubernetesUnreachableError;
}

function fallbackWarning(input: DiscoverInput, error: unknown, authenticationMode: string): string {
  const base = `${asError(error).message}; service accounts were discovered from IAM alone`;
  if (!isRefusal(error) || input.approve) return base;
  if (authenticationMode === 'CONFIG_MAP') {
    return `${base}. The cluster's authentication mode is CONFIG_MAP, which has no access entries: switch it to API_AND_CONFIG_MAP so that eks-pia can read the ${ROLE_ARN_ANNOTATION} annotations`;
  }
  return `${base}. An approved run first gives eks-pia read access (AmazonEKSViewPolicy) through an EKS access entry, then reads the ${ROLE_ARN_ANNOTATION} annotations`;
}

async function listEach<T>(
  namespaces: readonly string[],
  list: (namespace?: string) => Promise<T[]>,
): Promise<T[]> {
  if (namespaces.length === 0) return list();
  const pages = [];
  for (const namespace of namespaces) pages.push(await list(namespace));
  return pages.flat();
}

/**
 * Service accounts (and pods) from the Kubernetes API, or undefined when `auto` discovery falls
 * back to IAM because the API is out of reach or refuses this role.
 */
async function readKubernetes(
  input: DiscoverInput,
  deps: DiscoverDeps,
  warnings: string[],
): Promise<MigrationFacts['kubernetes']> {
  const reader = await deps.kubernetes(input.clusterName);
  const attempts = input.readAccess.changed ? ACCESS_PROPAGATION_ATTEMPTS : 1;
  let serviceAccounts: KubernetesServiceAccount[] | undefined;
  for (let attempt = 1; serviceAccounts === undefined; attempt += 1) {
    try {
      serviceAccounts = await listEach(input.namespaces, (namespace) =>
        reader.serviceAccounts(namespace),
      );
    } catch (error) {
      if (isRefusal(error) && attempt < attempts) {
        await deps.sleep(ACCESS_PROPAGATION_DELAY_MS);
        continue;
      }
      if (input.discovery === 'kubernetes' || !isAccessProblem(error)) throw error;
      warnings.push(fallbackWarning(input, error, reader.authenticationMode));
      return undefined;
    }
  }
  let pods: KubernetesPod[] | undefined;
  try {
    pods = await listEach(input.namespaces, (namespace) => reader.pods(namespace));
  } catch (error) {
    if (!isAccessProblem(error)) throw error;
    warnings.push(
      `pods could not be listed (${asError(error).message}); the report names the service accounts whose workloads must restart, not their pods`,
    );
  }
  return {
    serviceAccounts: serviceAccounts.map(
      (sa): ServiceAccountFact => ({
        namespace: sa.namespace,
        name: sa.name,
        roleArnAnnotation: sa.annotations[ROLE_ARN_ANNOTATION],
        resourceVersion: sa.resourceVersion,
      }),
    ),
    pods: pods?.map((pod) => ({
      namespace: pod.namespace,
      name: pod.name,
      serviceAccount: pod.serviceAccountName,
    })),
  };
}

/**
 * Service accounts whose association matters: annotated ones, and those an exact trust subject
 * names (without Kubernetes, the only ones known; with it, the half-migrated ones whose
 * annotation an interrupted run already removed).
 */
function serviceAccountsOfInterest(
  kubernetes: MigrationFacts['kubernetes'],
  roles: readonly RoleFact[],
  providerArn: string,
): Set<string> {
  const annotated = (kubernetes?.serviceAccounts ?? [])
    .filter((sa) => sa.roleArnAnnotation !== undefined)
    .map((sa) => `${sa.namespace}/${sa.name}`);
  return new Set([
    ...annotated,
    ...roles.flatMap((role) =>
      findIrsaSubjects(role.trustPolicy, providerArn).subjects.flatMap((subject) =>
        subject.namespace !== undefined && subject.serviceAccount !== undefined && !subject.wildcard
          ? [`${subject.namespace}/${subject.serviceAccount}`]
          : [],
      ),
    ),
  ]);
}

export function summarise(plan: MigrationPlan, planDocument: string): DiscoverySummary {
  const migratesAddons = addonsToMigrate(plan.addons).length > 0;
  const steps = plan.serviceAccounts.map((_, index) => pendingSteps(plan, index));
  const runnable = steps.filter((step) => step.blocked === undefined);
  const annotationNamespaces = [
    ...new Set(
      plan.serviceAccounts.flatMap((sa, index) => {
        const step = steps[index];
        return step?.annotation && step.blocked === undefined ? [sa.namespace] : [];
      }),
    ),
  ].sort();
  return {
    planDocument,
    discovery: plan.discovery.used,
    serviceAccounts: plan.serviceAccounts.length,
    roles: plan.roles.length,
    findings: plan.findings.length,
    hasWork: runnable.some(hasPendingStep) || migratesAddons,
    createsAssociations: runnable.some((step) => step.association) || migratesAddons,
    migratesAddons,
    batches: plan.batches.map((_, index) => index),
    removesAnnotations: annotationNamespaces.length > 0,
    annotationNamespaces,
    removesOidcTrust: runnable.some((step) => step.oidcTrust),
  };
}

/** What the add-on migration needs: each IRSA add-on's pod identity support and its role's trust. */
async function addonFacts(
  addonRoles: readonly AddonRoleFact[],
  roles: readonly RoleFact[],
  provider: OidcProviderFact,
  deps: DiscoverDeps,
): Promise<AddonMigrationFact[]> {
  return pMap(
    addonRoles,
    async (addon): Promise<AddonMigrationFact> => {
      const parsed = parseRoleArn(addon.roleArn);
      const inAccount = parsed !== undefined && parsed.account === provider.account;
      const role = !inAccount
        ? undefined
        : (roles.find((candidate) => candidate.arn === addon.roleArn) ??
          (await deps.getRoleTrust(parsed.name)));
      return {
        addonName: addon.addonName,
        version: addon.version ?? '',
        roleArn: addon.roleArn,
        hasPodIdentityAssociations: addon.hasPodIdentityAssociations === true,
        podIdentityServiceAccounts:
          addon.hasPodIdentityAssociations === true || !addon.version
            ? []
            : await deps.addonPodIdentityAccounts(addon.addonName, addon.version),
        configurationValues: addon.configurationValues,
        role,
      };
    },
    { concurrency: ROLE_LOOKUP_CONCURRENCY },
  );
}

/**
 * Reads everything the plan depends on — the cluster's annotated service accounts (unless IAM
 * alone was asked for or Kubernetes is out of reach), the roles trusting its OIDC provider, the
 * add-ons' and eksctl stacks' roles, existing associations, the trust policy size quota — and
 * stores the plan. Nothing is changed here.
 */
export async function discoverIrsa(
  input: DiscoverInput,
  deps: DiscoverDeps,
): Promise<DiscoverySummary> {
  const provider = providerFromArn(input.providerArn);
  const warnings: string[] = input.readAccess.warning ? [input.readAccess.warning] : [];
  // An approved run that could not set up its access has said why; the API would only refuse.
  const accessRefused = input.approve && !input.readAccess.granted && input.readAccess.warning;
  const kubernetes =
    input.discovery === 'iam' || accessRefused
      ? undefined
      : await readKubernetes(input, deps, warnings);
  const [trusting, addonRoles, stacks, summaries, accountSummary] = await Promise.all([
    deps.listRolesTrusting(provider.arn),
    deps.listAddonRoles(input.clusterName),
    deps.listIamServiceAccountStacks(),
    deps.listAssociations(input.clusterName),
    deps.getAccountSummary(),
  ]);
  const lookups = kubernetes
    ? annotatedRolesToLookUp(kubernetes.serviceAccounts, trusting, provider, input.namespaces)
    : [];
  const lookedUp = await pMap(lookups, (name) => deps.getRoleTrust(name), {
    concurrency: ROLE_LOOKUP_CONCURRENCY,
  });
  const roles = [...trusting, ...lookedUp.filter((role) => role !== undefined)];
  const interesting = serviceAccountsOfInterest(kubernetes, trusting, provider.arn);
  const associations = await deps.describeAssociations(
    input.clusterName,
    summaries
      .filter((summary) => interesting.has(`${summary.namespace}/${summary.serviceAccount}`))
      .map((summary) => summary.associationId),
  );
  const plan = planMigration({
    request: input,
    provider,
    agentInstalled: input.agentInstalled,
    assumeRolePolicySizeQuota:
      accountSummary.AssumeRolePolicySizeQuota ?? DEFAULT_TRUST_POLICY_QUOTA,
    kubernetes,
    roles,
    addonRoles,
    stacks,
    associations,
    warnings,
    migratableRoleArnPatterns: deps.migratableRoleArnPatterns,
  });
  // A run scoped to namespaces migrates the service accounts of those namespaces only; add-ons
  // (whose service accounts live where each add-on puts them) wait for an unscoped run.
  plan.addons =
    input.namespaces.length === 0
      ? planAddonMigrations(
          await addonFacts(addonRoles, roles, provider, deps),
          provider,
          input.removeOidcProviderTrustRelationship,
          associations,
          deps.migratableRoleArnPatterns,
        )
      : [];
  // Only an approved run has batches to run; they are stored before the plan that names them.
  if (input.approve) {
    await pMap(
      plan.batches.keys(),
      (batch) => deps.saveBatch(input.runId, batch, batchDocument(plan, batch)),
      { concurrency: RUN_STORE_WRITE_CONCURRENCY },
    );
  }
  return summarise(plan, await deps.savePlan(input.runId, plan));
}
