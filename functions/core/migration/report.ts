/**
 * The report a migration run ends with: per service account and per role what was done (or,
 * in a plan, what would be), what was left out and why, the differences between Kubernetes and
 * IAM, the pods to restart, warnings and next steps, with eksctl's headline and closing lines.
 */
import type { ReportAccess } from '../associations/report.ts';
import {
  type AddonMigrationResult,
  type AddonMigrationResultKind,
  addonMigrationSteps,
  addonsToMigrate,
} from './addons.ts';
import type { DiscoveryMode } from './discovery-modes.ts';
import {
  type AnnotationOutcome,
  type AssociationOutcome,
  annotationGone,
  associationExists,
  type KeptSubject,
  type OidcTrustOutcome,
  type RoleTrustOutcome,
} from './outcomes.ts';
import {
  describeServiceAccount,
  type Finding,
  type FindingKind,
  hasPendingStep,
  type MigrationPlan,
  type PendingSteps,
  pendingSteps,
} from './plan.ts';
import { describeTaskTree, migrationTaskTree } from './task-tree.ts';

export const NO_OIDC_PROVIDER =
  'no IAM OIDC provider associated with cluster, hence no iamserviceaccounts to be migrated';
export const NOTHING_TO_MIGRATE =
  'no iamserviceaccounts or addons found to migrate to pod identity';
export const NO_CHANGES_APPLIED =
  "no changes were applied, run again with '--approve' to apply the changes";

/** Restart lines listed one by one before the rest are summed up. */
export const MAX_LISTED_RESTARTS = 20;

export type ServiceAccountResultKind = 'migrated' | 'unchanged' | 'planned' | 'skipped' | 'failed';

export interface ServiceAccountResult {
  namespace: string;
  serviceAccount: string;
  roleArn?: string | undefined;
  result: ServiceAccountResultKind;
  reason: string;
  /** What was done for it (or, in a plan, what would be), in order. */
  steps: string[];
  /** Pods running as it, when pods were listed. */
  pods?: string[] | undefined;
}

export interface RoleResult {
  roleName: string;
  roleArn: string;
  stackName?: string | undefined;
  /** The owning stack's final status, when the role was changed through it. */
  stackStatus?: string | undefined;
  trust: 'added' | 'present' | 'would-add' | 'too-large' | 'failed' | 'not-run';
  oidcTrust:
    | 'removed'
    | 'unchanged'
    | 'kept'
    | 'would-remove'
    | 'failed'
    | 'not-requested'
    | 'not-run';
  removedSubjects: string[];
  keptSubjects: KeptSubject[];
  reason?: string | undefined;
  serviceAccounts: string[];
}

export interface Restart {
  namespace: string;
  serviceAccount: string;
  /** Undefined when pods could not be listed (IAM discovery). */
  pods?: string[] | undefined;
}

export interface MigrationCounts {
  serviceAccounts: Record<ServiceAccountResultKind, number>;
  addons: Record<AddonMigrationResultKind, number>;
  roles: { trustAdded: number; oidcTrustRemoved: number; failed: number };
}

export interface MigrationReport {
  workflow: 'migrate-to-pod-identity';
  clusterName: string;
  region: string;
  approve: boolean;
  removeOidcProviderTrustRelationship: boolean;
  discovery: { requested: DiscoveryMode; used: 'kubernetes' | 'iam' | 'none' };
  oidcProviderArn: string | null;
  /** eksctl's first line: `(plan) would migrate N iamserviceaccount(s) ...` or why nothing is. */
  headline: string;
  /** The task tree, one line each. */
  tasks: string[];
  /** eksctl's closing lines (`all tasks were ...`, the '--approve' reminder). */
  closing: string[];
  counts: MigrationCounts;
  serviceAccounts: ServiceAccountResult[];
  /** The add-ons with an IRSA role: migrated through their podIdentityAssociations, or why not. */
  addons: AddonMigrationResult[];
  roles: RoleResult[];
  /** Differences between Kubernetes and IAM and notes that are not about one listed service account. */
  findings: Finding[];
  restarts: Restart[];
  warnings: string[];
  nextSteps: string[];
  access: ReportAccess[];
}

/** Outcomes of the apply steps, by role or service account index; empty maps in a plan. */
export interface StepOutcomes {
  trust: Map<number, RoleTrustOutcome>;
  associations: Map<number, AssociationOutcome>;
  annotations: Map<number, AnnotationOutcome>;
  oidcTrust: Map<number, OidcTrustOutcome>;
  /** Why a step's outcomes are missing for an index (its batch failed), by step. */
  missing: { trust?: string; associations?: string; annotations?: string; oidcTrust?: string };
}

export interface ReportInput {
  clusterName: string;
  region: string;
  approve: boolean;
  removeOidcProviderTrustRelationship: boolean;
  discovery: DiscoveryMode;
  /** Undefined when the cluster has no IAM OIDC provider. */
  plan?: MigrationPlan | undefined;
  outcomes?: StepOutcomes | undefined;
  /** What the approved run's add-on migration did. */
  addonOutcomes?: readonly AddonMigrationResult[] | undefined;
  access?: readonly ReportAccess[] | undefined;
  warnings?: readonly string[] | undefined;
}

/** Findings shown as a row of the service account they are about. */
const SERVICE_ACCOUNT_FINDINGS = new Set<FindingKind>([
  'invalid-annotation',
  'other-account',
  'addon-role',
  'stack-owned',
  'role-not-found',
  'annotation-without-trust',
  'association-conflict',
  'ambiguous-subject',
  'role-not-migratable',
]);

function isServiceAccountRow(finding: Finding): boolean {
  return (
    finding.skipped &&
    SERVICE_ACCOUNT_FINDINGS.has(finding.kind) &&
    finding.namespace !== undefined &&
    finding.serviceAccount !== undefined
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function plannedStepNames(steps: PendingSteps, roleName: string): string[] {
  return [
    steps.trust ? `add the pods.eks.amazonaws.com trust to role "${roleName}"` : undefined,
    steps.association ? 'create the pod identity association' : undefined,
    steps.annotation ? 'remove the role-arn annotation' : undefined,
    steps.oidcTrust ? `remove this cluster's OIDC trust for it from role "${roleName}"` : undefined,
  ].filter((step) => step !== undefined);
}

function emptyCounts(): MigrationCounts {
  return {
    serviceAccounts: { migrated: 0, unchanged: 0, planned: 0, skipped: 0, failed: 0 },
    addons: { migrated: 0, unchanged: 0, planned: 0, skipped: 0, failed: 0 },
    roles: { trustAdded: 0, oidcTrustRemoved: 0, failed: 0 },
  };
}

interface Evaluated {
  result: ServiceAccountResult;
  /** The association was created by this run (or would be): its pods must restart. */
  needsRestart: boolean;
}

/** A planned service account with its role, what is left to do, and the fields its result shares. */
function plannedEntry(plan: MigrationPlan, index: number) {
  const sa = plan.serviceAccounts[index];
  const role = sa ? plan.roles[sa.roleIndex] : undefined;
  if (!sa || !role) return undefined;
  const base = {
    namespace: sa.namespace,
    serviceAccount: sa.serviceAccount,
    roleArn: role.arn,
    ...(sa.pods ? { pods: sa.pods } : {}),
  };
  return { sa, role, steps: pendingSteps(plan, index), base };
}

function evaluatePlanned(plan: MigrationPlan, index: number): Evaluated | undefined {
  const entry = plannedEntry(plan, index);
  if (!entry) return undefined;
  const { role, steps, base } = entry;
  if (steps.blocked !== undefined) {
    const prefix = plan.approve ? 'not migrated' : 'would fail';
    return {
      result: { ...base, result: 'failed', reason: `${prefix}: ${steps.blocked}`, steps: [] },
      needsRestart: false,
    };
  }
  if (!hasPendingStep(steps)) {
    return {
      result: {
        ...base,
        result: 'unchanged',
        reason: `already migrated to pod identity with role "${role.name}"`,
        steps: [],
      },
      needsRestart: false,
    };
  }
  const names = plannedStepNames(steps, role.name);
  return {
    result: { ...base, result: 'planned', reason: `would ${names.join(', then ')}`, steps: names },
    needsRestart: steps.association,
  };
}

function evaluateApplied(
  plan: MigrationPlan,
  index: number,
  outcomes: StepOutcomes,
): Evaluated | undefined {
  const entry = plannedEntry(plan, index);
  if (!entry) return undefined;
  const { sa, role, steps, base } = entry;
  const done: string[] = [];
  const problems: string[] = [];
  const notes: string[] = [];

  const trust = outcomes.trust.get(sa.roleIndex);
  const throughStack = (status: string | undefined) =>
    role.throughStack ? ` through CloudFormation stack "${role.stackName}" (${status})` : '';
  if (trust?.result === 'added')
    done.push(
      `added the pods.eks.amazonaws.com trust to role "${role.name}"${throughStack(trust.stackStatus)}`,
    );
  if (trust?.result === 'failed' || trust === undefined) {
    problems.push(
      `not migrated: updating the trust policy of role "${role.name}" failed: ${trust?.reason ?? outcomes.missing.trust ?? 'the step did not run'}`,
    );
  }

  const association = outcomes.associations.get(index);
  if (association?.result === 'created') done.push('created the pod identity association');
  if (problems.length === 0 && !associationExists(association)) {
    problems.push(
      association?.reason ??
        `creating the pod identity association failed: ${outcomes.missing.associations ?? 'the step did not run'}`,
    );
  }

  if (steps.annotation && problems.length === 0) {
    const annotation = outcomes.annotations.get(index);
    if (annotation?.result === 'removed') done.push('removed the role-arn annotation');
    else if (annotation?.result === 'changed')
      notes.push(annotation.reason ?? 'the annotation changed');
    else if (!annotationGone(annotation)) {
      problems.push(
        `the association exists, but removing the role-arn annotation failed: ${annotation?.reason ?? outcomes.missing.annotations ?? 'the step did not run'}`,
      );
    }
  }

  if (steps.oidcTrust && problems.length === 0) {
    const oidc = outcomes.oidcTrust.get(sa.roleIndex);
    const subject = sa.coverage.kind === 'subject' ? sa.coverage.value : '';
    if (oidc?.removed.includes(subject)) {
      done.push(
        `removed this cluster's OIDC trust for it from role "${role.name}"${throughStack(oidc.stackStatus)}`,
      );
    } else if (oidc?.result === 'failed' || oidc === undefined) {
      problems.push(
        `removing this cluster's OIDC trust from role "${role.name}" failed: ${oidc?.reason ?? outcomes.missing.oidcTrust ?? 'the step did not run'}`,
      );
    } else {
      const kept = oidc.kept.find((entry) => entry.subject === subject);
      if (kept) notes.push(`OIDC trust kept: ${kept.reason}`);
      else if (oidc.result === 'kept' && oidc.reason) notes.push(`OIDC trust kept: ${oidc.reason}`);
    }
  }

  if (problems.length > 0) {
    return {
      result: { ...base, result: 'failed', reason: problems.join('; '), steps: done },
      needsRestart: association?.result === 'created',
    };
  }
  const changed = done.length > 0;
  const summary = changed
    ? `migrated to pod identity with role "${role.name}"`
    : `already migrated to pod identity with role "${role.name}"`;
  return {
    result: {
      ...base,
      result: changed ? 'migrated' : 'unchanged',
      reason: [summary, ...notes].join('; '),
      steps: done,
    },
    // A pod keeps the credentials it was started with: IRSA until it restarts.
    needsRestart:
      done.length > 0 && (association?.result === 'created' || steps.annotation || steps.oidcTrust),
  };
}

function roleResults(plan: MigrationPlan, outcomes: StepOutcomes | undefined): RoleResult[] {
  return plan.roles.map((role, roleIndex) => {
    const serviceAccounts = plan.serviceAccounts
      .slice(role.firstServiceAccount, role.firstServiceAccount + role.serviceAccountCount)
      .map(describeServiceAccount);
    const removal = plan.removeOidcProviderTrustRelationship;
    const base = {
      roleName: role.name,
      roleArn: role.arn,
      ...(role.stackName !== undefined ? { stackName: role.stackName } : {}),
      removedSubjects: [] as string[],
      keptSubjects: [] as KeptSubject[],
      serviceAccounts,
    };
    if (!plan.approve || outcomes === undefined) {
      const wouldRemove = plan.serviceAccounts
        .slice(role.firstServiceAccount, role.firstServiceAccount + role.serviceAccountCount)
        .some((sa) => sa.coverage.kind === 'subject');
      return {
        ...base,
        trust: role.trust === 'add' ? 'would-add' : role.trust,
        oidcTrust: !removal ? 'not-requested' : wouldRemove ? 'would-remove' : 'unchanged',
        ...(role.trust === 'too-large'
          ? { reason: `would fail: ${pendingSteps(plan, role.firstServiceAccount).blocked ?? ''}` }
          : {}),
      };
    }
    const trust = outcomes.trust.get(roleIndex);
    const oidc = outcomes.oidcTrust.get(roleIndex);
    const reasons = [trust?.reason, oidc?.reason].filter((reason) => reason !== undefined);
    const stackStatus = oidc?.stackStatus ?? trust?.stackStatus;
    return {
      ...base,
      ...(stackStatus !== undefined ? { stackStatus } : {}),
      trust: trust?.result ?? 'not-run',
      oidcTrust: !removal ? 'not-requested' : (oidc?.result ?? 'not-run'),
      removedSubjects: oidc?.removed ?? [],
      keptSubjects: oidc?.kept ?? [],
      ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    };
  });
}

function headlineOf(
  plan: MigrationPlan,
  migrating: number,
  unchanged: number,
  addons: { migrating: number; unchanged: number },
): string {
  if (migrating === 0 && addons.migrating === 0) {
    const found = unchanged + addons.unchanged;
    if (found === 0) return NOTHING_TO_MIGRATE;
    return found === 1
      ? `the one ${unchanged === 1 ? 'iamserviceaccount' : 'addon'} found is already migrated to pod identity`
      : `all ${unchanged} iamserviceaccount(s) and ${addons.unchanged} addon(s) found are already migrated to pod identity`;
  }
  const verb = plan.approve ? 'will migrate' : '(plan) would migrate';
  return `${verb} ${migrating} iamserviceaccount(s) and ${addons.migrating} addon(s) to pod identity by executing the following tasks`;
}

/** One row per add-on with an IRSA role: the plan's decision, or what the approved run did. */
function addonResults(
  plan: MigrationPlan,
  outcomes: readonly AddonMigrationResult[] | undefined,
): AddonMigrationResult[] {
  return (plan.addons ?? []).map((addon) => {
    const base = {
      addonName: addon.addonName,
      version: addon.version,
      roleArn: addon.roleArn,
      ...(addon.serviceAccount === undefined ? {} : { serviceAccount: addon.serviceAccount }),
    };
    if (addon.action === 'migrated')
      return { ...base, result: 'unchanged', reason: addon.reason, steps: [] };
    if (addon.action === 'skip')
      return { ...base, result: 'skipped', reason: addon.reason, steps: [] };
    const done = outcomes?.find((outcome) => outcome.addonName === addon.addonName);
    if (done) return done;
    return plan.approve && outcomes !== undefined
      ? {
          ...base,
          result: 'failed',
          reason: 'the add-on migration step did not report on it',
          steps: addonMigrationSteps(addon),
        }
      : { ...base, result: 'planned', reason: addon.reason, steps: addonMigrationSteps(addon) };
  });
}

function restartLines(restarts: readonly Restart[]): string[] {
  const lines = restarts.slice(0, MAX_LISTED_RESTARTS).map((restart) => {
    const pods =
      restart.pods === undefined
        ? ''
        : restart.pods.length === 0
          ? ' (no pod runs as it now)'
          : ` (${restart.pods.join(', ')})`;
    return `restart the workloads using ${restart.namespace}/${restart.serviceAccount}${pods} so their pods switch to Pod Identity`;
  });
  if (restarts.length > MAX_LISTED_RESTARTS) {
    lines.push(
      `restart the workloads of the other ${plural(restarts.length - MAX_LISTED_RESTARTS, 'service account')} listed in restarts`,
    );
  }
  return lines;
}

/** The report of a run; `plan` undefined means the cluster has no IAM OIDC provider. */
export function buildMigrationReport(input: ReportInput): MigrationReport {
  const access = [...(input.access ?? [])];
  const base = {
    workflow: 'migrate-to-pod-identity' as const,
    clusterName: input.clusterName,
    region: input.region,
    approve: input.approve,
    removeOidcProviderTrustRelationship: input.removeOidcProviderTrustRelationship,
    access,
  };
  const plan = input.plan;
  if (plan === undefined) {
    return {
      ...base,
      discovery: { requested: input.discovery, used: 'none' },
      oidcProviderArn: null,
      headline: NO_OIDC_PROVIDER,
      tasks: [],
      closing: [],
      counts: emptyCounts(),
      serviceAccounts: [],
      addons: [],
      roles: [],
      findings: [],
      restarts: [],
      warnings: [NO_OIDC_PROVIDER, ...(input.warnings ?? [])],
      nextSteps: ['nothing to do: IRSA cannot work on a cluster without an IAM OIDC provider'],
    };
  }

  const applied = plan.approve && input.outcomes !== undefined;
  const evaluated = plan.serviceAccounts.flatMap((_, index) => {
    const result =
      applied && input.outcomes
        ? evaluateApplied(plan, index, input.outcomes)
        : evaluatePlanned(plan, index);
    return result ? [result] : [];
  });
  const skippedRows: ServiceAccountResult[] = plan.findings
    .filter(isServiceAccountRow)
    .map((finding) => ({
      namespace: finding.namespace ?? '',
      serviceAccount: finding.serviceAccount ?? '',
      ...(finding.roleArn !== undefined ? { roleArn: finding.roleArn } : {}),
      result: finding.kind === 'association-conflict' ? 'failed' : 'skipped',
      reason: finding.message,
      steps: [],
    }));
  const serviceAccounts = [...evaluated.map((entry) => entry.result), ...skippedRows].sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.serviceAccount.localeCompare(b.serviceAccount),
  );
  const counts = emptyCounts();
  for (const row of serviceAccounts) counts.serviceAccounts[row.result] += 1;
  const roles = roleResults(plan, applied ? input.outcomes : undefined);
  for (const role of roles) {
    if (role.trust === 'added') counts.roles.trustAdded += 1;
    if (role.oidcTrust === 'removed') counts.roles.oidcTrustRemoved += 1;
    if (role.trust === 'failed' || role.trust === 'too-large' || role.oidcTrust === 'failed') {
      counts.roles.failed += 1;
    }
  }

  const planned = plan.serviceAccounts.map((_, index) => pendingSteps(plan, index));
  const migrating = planned.filter(
    (steps) => steps.blocked === undefined && hasPendingStep(steps),
  ).length;
  const unchangedAtPlan = planned.filter(
    (steps) => steps.blocked === undefined && !hasPendingStep(steps),
  ).length;
  const tree = migrationTaskTree(plan);
  const addons = addonResults(plan, applied ? (input.addonOutcomes ?? []) : undefined);
  for (const addon of addons) counts.addons[addon.result] += 1;
  const addonsMigrating = addonsToMigrate(plan.addons).length;
  const addonsUnchanged = (plan.addons ?? []).filter((addon) => addon.action === 'migrated').length;
  const addonsFailed = counts.addons.failed;
  const restarts: Restart[] = evaluated
    .filter((entry) => entry.needsRestart)
    .map((entry) => ({
      namespace: entry.result.namespace,
      serviceAccount: entry.result.serviceAccount,
      ...(entry.result.pods ? { pods: entry.result.pods } : {}),
    }));
  const failed = counts.serviceAccounts.failed;

  const closing: string[] = [];
  const nextSteps: string[] = [];
  const warnings = [...new Set([...plan.warnings, ...(input.warnings ?? [])])];
  const anyMigrating = migrating + addonsMigrating > 0;
  if (!plan.approve) {
    closing.push('all tasks were skipped');
    if (anyMigrating) closing.push(NO_CHANGES_APPLIED);
    if (anyMigrating) nextSteps.push(NO_CHANGES_APPLIED);
    if (failed > 0) {
      nextSteps.push(
        `fix the ${plural(failed, 'service account')} that would fail (see their reasons) first`,
      );
    }
    if (restarts.length > 0) {
      nextSteps.push(
        `after the approved run, restart the workloads of the ${plural(restarts.length, 'service account')} that get an association, so their pods switch to Pod Identity`,
      );
    }
  } else {
    if (anyMigrating) {
      closing.push(
        failed + addonsFailed === 0
          ? 'all tasks were completed successfully'
          : `${[
              ...(failed > 0 ? [`${plural(failed, 'service account')} could not be migrated`] : []),
              ...(addonsFailed > 0
                ? [`${plural(addonsFailed, 'addon')} could not be migrated`]
                : []),
            ].join(' and ')}; see their reasons`,
      );
    }
    if (counts.addons.migrated > 0) {
      nextSteps.push(
        `EKS rolls out the migrated add-on${counts.addons.migrated === 1 ? '' : 's'} (${addons
          .filter((addon) => addon.result === 'migrated')
          .map((addon) => addon.addonName)
          .join(
            ', ',
          )}) with their pod identity associations; check with eks-pia get addon --cluster ${plan.clusterName}`,
      );
    }
    nextSteps.push(...restartLines(restarts));
    const removedTrust = roles.some((role) => role.oidcTrust === 'removed');
    if (removedTrust) {
      warnings.push(
        "this cluster's OIDC trust was removed from migrated roles: pods started before this run still use IRSA and lose AWS access " +
          'when their current credentials expire; restart them now (see next steps)',
      );
    }
    if (!plan.removeOidcProviderTrustRelationship && counts.serviceAccounts.migrated > 0) {
      nextSteps.push(
        "IRSA keeps working for the migrated service accounts: their role-arn annotations and this cluster's OIDC trust were kept. " +
          'Once the restarted workloads run on Pod Identity, run again with removeOidcProviderTrustRelationship ' +
          '(--remove-oidc-provider-trust-relationship) to remove them',
      );
    }
    if (failed > 0) {
      nextSteps.push(
        `fix the ${plural(failed, 'service account')} that failed (see their reasons) and run again; a rerun changes only what is still missing`,
      );
    }
  }
  for (const grant of access.filter((entry) => entry.changed)) {
    nextSteps.push(
      `eks-pia gave ${grant.principalArn} ${grant.accessPolicyArns.join(', ')} on cluster ${plan.clusterName} through an EKS access entry; later runs reuse it`,
    );
  }

  return {
    ...base,
    discovery: plan.discovery,
    oidcProviderArn: plan.providerArn,
    headline: headlineOf(plan, migrating, unchangedAtPlan, {
      migrating: addonsMigrating,
      unchanged: addonsUnchanged,
    }),
    tasks: anyMigrating ? describeTaskTree(tree) : [],
    closing,
    counts,
    serviceAccounts,
    addons,
    roles,
    findings: plan.findings.filter((finding) => !isServiceAccountRow(finding)),
    restarts,
    warnings,
    nextSteps,
  };
}
