/**
 * The report every associations run ends with: one result per item, counts that add up to the
 * number of items, warnings, and the next steps a person has to take (which workloads to
 * restart). Reasons read like eksctl's log lines, so people who know eksctl recognise them.
 */
import type { AddonResult } from '../addon-plan.ts';
import type { Operation } from '../config/index.ts';
import * as z from '../zod.ts';
import type { ExistingAssociation } from './existing.ts';
import {
  createdByEksPia,
  type ItemAction,
  type ItemDecision,
  type ItemResultKind,
} from './plan.ts';
import type { UndeclaredAssociation } from './run-plan.ts';

export const RESULT_KINDS = [
  'created',
  'updated',
  'deleted',
  'unchanged',
  'skipped',
  'failed',
] as const;
export type ResultCounts = Record<ItemResultKind, number>;

export interface ItemResult {
  namespace: string;
  serviceAccount: string;
  action: ItemAction;
  result: ItemResultKind;
  reason?: string | undefined;
  roleArn?: string | undefined;
  roleCreated?: boolean | undefined;
  serviceAccountCreated?: boolean | undefined;
  warnings?: string[] | undefined;
  /** Dry run: every change the run would make for this item. */
  steps?: string[] | undefined;
}

/** What carrying out a decision did; absent on a dry run. */
export interface ItemOutcome {
  /** Set when a step failed; build it with `failureReason`. */
  error?: string | undefined;
  /** The role ARN the association ended up with (a created role's ARN comes from IAM). */
  roleArn?: string | undefined;
  roleCreated?: boolean | undefined;
  serviceAccountCreated?: boolean | undefined;
  warnings?: string[] | undefined;
}

/** The Kubernetes access the run set up for itself (an EKS access entry), named in the report. */
/** What a task that sets up cluster access hands back, as the workflow's state carries it. */
export const reportAccessSchema = z.object({
  principalArn: z.string(),
  accessPolicyArns: z.array(z.string()),
  changed: z.boolean(),
});

export interface ReportAccess {
  principalArn: string;
  accessPolicyArns: string[];
  /** The entry or a policy association was created by this run. */
  changed: boolean;
}

export interface AssociationsReport {
  workflow: 'associations';
  clusterName: string;
  region: string;
  operation: Operation;
  dryRun: boolean;
  source: string;
  counts: ResultCounts;
  items: ItemResult[];
  warnings: string[];
  nextSteps: string[];
  access?: ReportAccess | undefined;
  /** The config's addons: section, one result per add-on; absent when the run had none. */
  addons?: AddonResult[] | undefined;
  /**
   * An apply's: how many of the cluster's associations no entry declares, and which (none when
   * its scope leaves associations out). Present for every apply, so a caller can always read it.
   */
  undeclaredCount?: number | undefined;
  /** How many of them no eks-pia run made (made by hand or by another tool): the drift check's undeclared drift. */
  foreignUndeclaredCount?: number | undefined;
  undeclared?: UndeclaredAssociation[] | undefined;
}

export interface ReportInput {
  clusterName: string;
  region: string;
  operation: Operation;
  dryRun: boolean;
  /** `describeSource(request.source)`. */
  source: string;
  items: readonly ItemResult[];
  /** Run-level warnings (the request's, for example). */
  warnings?: readonly string[] | undefined;
  access?: ReportAccess | undefined;
  addons?: readonly AddonResult[] | undefined;
  /** An apply's undeclared associations (the plan's); undefined for other runs. */
  undeclared?: readonly UndeclaredAssociation[] | undefined;
  /** Whether the run pruned: its undeclared associations are then none eks-pia created. */
  prune?: boolean | undefined;
}

/** Undeclared associations named in the next step before the rest are counted. */
const LISTED_UNDECLARED = 5;

function undeclaredStep(undeclared: readonly UndeclaredAssociation[], prune: boolean): string {
  const named = undeclared.slice(0, LISTED_UNDECLARED).map(idOf).join(', ');
  const rest = undeclared.length - LISTED_UNDECLARED;
  return `${plural(undeclared.length, 'association')} of the cluster ${undeclared.length === 1 ? 'is' : 'are'} in no entry of the config (${named}${rest > 0 ? ` and ${rest} more, listed in undeclared` : ''}) and ${undeclared.length === 1 ? 'was' : 'were'} left alone (nothing to do when the config covers only part of the cluster): declare ${undeclared.length === 1 ? 'it' : 'them'} in the config, delete ${undeclared.length === 1 ? 'it' : 'them'} (eks-pia delete podidentityassociation)${prune ? '; prune leaves them: eks-pia did not create them' : ", or, when the config is the cluster's whole list, apply with prune, which deletes those eks-pia created"}`;
}

/** The steps of an item, for `failureReason`. */
export type ExecutionStep =
  | 'create-role'
  | 'update-role'
  | 'delete-role'
  | 'delete-stack'
  | 'create-service-account'
  | 'delete-service-account'
  | 'create-association'
  | 'update-association'
  | 'delete-association';

/** Restart lines listed one by one before the rest are summed up, to keep the report readable. */
export const MAX_LISTED_RESTARTS = 20;

function idOf(item: { namespace: string; serviceAccount: string }): string {
  return `${item.namespace}/${item.serviceAccount}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The reason of a failed step in eksctl's wording (spec §2-§5), so the failing call and the
 * association it was for are both in the message.
 */
export function failureReason(
  step: ExecutionStep,
  item: Pick<
    ItemDecision,
    'namespace' | 'serviceAccount' | 'roleName' | 'roleArn' | 'associationId'
  >,
  error: unknown,
): string {
  const id = idOf(item);
  const cause = messageOf(error);
  switch (step) {
    case 'create-role':
      return `creating IAM role for pod identity association for service account ${item.serviceAccount} in namespace ${item.namespace}: ${cause}`;
    case 'update-role':
      return `error updating pod identity association "${id}": updating IAM role "${item.roleName ?? ''}": ${cause}`;
    case 'delete-role':
      return `error deleting pod identity association "${id}": deleting IAM role "${item.roleName ?? ''}": ${cause}`;
    case 'delete-stack':
      return `error deleting pod identity association "${id}": deleting stack for IAM role: ${cause}`;
    case 'create-service-account':
      return `failed to create service account "${id}": ${cause}`;
    case 'delete-service-account':
      return `failed to delete service account "${id}": ${cause}`;
    case 'create-association':
      return `creating pod identity association for service account "${item.serviceAccount}" in namespace "${item.namespace}": ${cause}`;
    case 'update-association':
      return `error updating pod identity association "${id}": (associationID: ${item.associationId ?? ''}, roleARN: ${item.roleArn ?? ''}): ${cause}`;
    case 'delete-association':
      return `error deleting pod identity association "${id}": deleting pod identity association: ${cause}`;
  }
}

function doneReason(decision: ItemDecision, outcome: ItemOutcome): string {
  const id = idOf(decision);
  const roleArn = outcome.roleArn ?? decision.roleArn;
  switch (decision.result) {
    case 'created':
      return `created pod identity association for service account "${decision.serviceAccount}" in namespace "${decision.namespace}"${outcome.roleCreated === true ? ` with new IAM role ${roleArn ?? ''}` : ''}`;
    case 'updated':
      return decision.changes.association?.roleArn !== undefined
        ? `updated role ARN "${decision.changes.association.roleArn}" for pod identity association "${id}"`
        : `updated pod identity association "${id}": ${decision.steps.join('; ')}`;
    case 'deleted': {
      const removed = [
        decision.changes.deleteAssociation ? 'pod identity association' : undefined,
        decision.changes.deleteRole ? `IAM role "${decision.roleName ?? ''}"` : undefined,
        decision.changes.deleteServiceAccount ? 'service account' : undefined,
      ].filter((part) => part !== undefined);
      return `deleted ${removed.join(', ')} of "${id}"`;
    }
    default:
      return decision.reason;
  }
}

/**
 * The report line of one item. On a dry run it shows what would happen (`result` is the result
 * the changes would have, `steps` lists them); otherwise what happened, with the failure reason
 * when `outcome.error` is set.
 */
export function itemResult(
  decision: ItemDecision,
  options: { dryRun: boolean; outcome?: ItemOutcome | undefined },
): ItemResult {
  const base: ItemResult = {
    namespace: decision.namespace,
    serviceAccount: decision.serviceAccount,
    action: decision.action,
    result: decision.result,
  };
  const outcome = options.outcome ?? {};
  const warnings = [...decision.warnings, ...(outcome.warnings ?? [])];
  if (warnings.length > 0) base.warnings = warnings;
  const roleArn = outcome.roleArn ?? decision.roleArn;
  if (roleArn !== undefined) base.roleArn = roleArn;

  if (options.dryRun) {
    base.reason = decision.reason;
    if (decision.steps.length > 0) base.steps = [...decision.steps];
    return base;
  }
  if (outcome.error !== undefined) {
    return { ...base, result: 'failed', reason: outcome.error };
  }
  base.reason = doneReason(decision, outcome);
  if (outcome.roleCreated !== undefined) base.roleCreated = outcome.roleCreated;
  if (outcome.serviceAccountCreated !== undefined)
    base.serviceAccountCreated = outcome.serviceAccountCreated;
  return base;
}

/** How many items ended each way; the counts always add up to `items.length`. */
export function countResults(items: readonly Pick<ItemResult, 'result'>[]): ResultCounts {
  const counts = Object.fromEntries(RESULT_KINDS.map((kind) => [kind, 0])) as ResultCounts;
  for (const item of items) counts[item.result] += 1;
  return counts;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * What a person has to do after the run. Pods get Pod Identity credentials only when they start
 * (the EKS webhook injects them) and the agent caches credentials, so every created or updated
 * association means a restart of the pods using that service account.
 */
export function nextSteps(
  items: readonly ItemResult[],
  options: { dryRun: boolean; clusterName: string; access?: ReportAccess | undefined },
): string[] {
  const counts = countResults(items);
  const steps: string[] = [];
  if (options.dryRun) {
    const changes = counts.created + counts.updated + counts.deleted;
    steps.push(
      changes === 0
        ? 'this was a dry run and nothing would change'
        : `this was a dry run and nothing was changed; run again without dryRun to make the ${plural(changes, 'change')} listed in items`,
    );
    if (counts.failed > 0)
      steps.push(
        `fix the ${plural(counts.failed, 'item')} that would fail (see their reasons) first`,
      );
    return steps;
  }

  const restart = items.filter((item) => item.result === 'created' || item.result === 'updated');
  for (const item of restart.slice(0, MAX_LISTED_RESTARTS)) {
    steps.push(`restart the pods using ${idOf(item)} to pick up Pod Identity credentials`);
  }
  if (restart.length > MAX_LISTED_RESTARTS) {
    steps.push(
      `restart the pods using the other ${plural(restart.length - MAX_LISTED_RESTARTS, 'service account')} created or updated (see items) to pick up Pod Identity credentials`,
    );
  }
  if (counts.deleted > 0) {
    steps.push(
      `pods of the ${plural(counts.deleted, 'deleted association')} keep the credentials they hold until those expire; restart them to stop using the old roles sooner`,
    );
  }
  if (counts.failed > 0) {
    steps.push(
      `fix the ${plural(counts.failed, 'failed item')} (see their reasons) and run again; a rerun changes only what is still missing`,
    );
  }
  if (options.access?.changed === true) {
    steps.push(
      `eks-pia gave ${options.access.principalArn} access to cluster ${options.clusterName} through an EKS access entry, to manage service accounts; later runs reuse it`,
    );
  }
  return steps;
}

/** The run's report: run-level warnings first, then each item's prefixed with its service account. */
export function buildReport(input: ReportInput): AssociationsReport {
  const itemWarnings = input.items.flatMap((item) =>
    (item.warnings ?? []).map((warning) => `${idOf(item)}: ${warning}`),
  );
  const report: AssociationsReport = {
    workflow: 'associations',
    clusterName: input.clusterName,
    region: input.region,
    operation: input.operation,
    dryRun: input.dryRun,
    source: input.source,
    counts: countResults(input.items),
    items: [...input.items],
    warnings: [...new Set([...(input.warnings ?? []), ...itemWarnings])],
    nextSteps: nextSteps(input.items, {
      dryRun: input.dryRun,
      clusterName: input.clusterName,
      access: input.access,
    }),
  };
  if (input.access !== undefined) report.access = input.access;
  if (input.undeclared !== undefined) {
    report.undeclaredCount = input.undeclared.length;
    report.foreignUndeclaredCount = input.undeclared.filter(
      (association) => !association.createdByEksPia,
    ).length;
    report.undeclared = [...input.undeclared];
    if (input.undeclared.length > 0) {
      report.nextSteps.push(undeclaredStep(input.undeclared, input.prune === true));
    }
  }
  if (input.addons !== undefined && input.addons.length > 0) {
    report.addons = [...input.addons];
    const changed = input.addons.filter(
      (addon) => addon.result === 'created' || addon.result === 'updated',
    );
    if (changed.length > 0 && input.dryRun) {
      report.nextSteps = [
        ...report.nextSteps.filter(
          (step) => step !== 'this was a dry run and nothing would change',
        ),
        `run again without dryRun to make the changes listed for ${plural(changed.length, 'add-on')}`,
      ];
    } else if (changed.length > 0) {
      // EKS rolls the add-on's pods itself; its associations take effect as they restart.
      report.nextSteps.push(
        `add-on${changed.length === 1 ? '' : 's'} ${changed.map((addon) => addon.name).join(', ')} ${changed.length === 1 ? 'is' : 'are'} being rolled out by EKS; check with eks-pia get addon --cluster ${input.clusterName}`,
      );
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// get

/**
 * One row of `get`: eksctl's columns and JSON keys (`AssociationARN` ... `OwnerARN`), plus what
 * eksctl leaves out and users asked for (eksctl issue #8474): target role, session tags, and
 * whether eks-pia manages the association.
 */
export interface AssociationRow {
  AssociationARN: string;
  Namespace: string;
  ServiceAccountName: string;
  RoleARN: string;
  OwnerARN: string;
  TargetRoleARN: string;
  DisableSessionTags: boolean;
  ManagedByEksPia: boolean;
}

export interface GetReport {
  workflow: 'associations';
  operation: 'get';
  clusterName: string;
  region: string;
  filter?: { namespace?: string | undefined; serviceAccount?: string | undefined } | undefined;
  count: number;
  /** All of them, or as many as fit the output budget when `pages` holds the whole list. */
  associations: AssociationRow[];
  /** How many rows `associations` leaves out; they are in `pages`. */
  associationsOmitted?: number;
  /** The whole sorted list in the run store (`s3://` locations, in order), when it was cut. */
  pages?: string[];
}

export function associationRow(
  association: ExistingAssociation,
  clusterName: string,
): AssociationRow {
  return {
    AssociationARN: association.associationArn,
    Namespace: association.namespace,
    ServiceAccountName: association.serviceAccount,
    RoleARN: association.roleArn,
    OwnerARN: association.ownerArn ?? '',
    TargetRoleARN: association.targetRoleArn ?? '',
    DisableSessionTags: association.disableSessionTags ?? false,
    ManagedByEksPia: createdByEksPia(association, clusterName),
  };
}

/** The output of `get`, sorted by namespace then service account so runs compare line by line. */
export function buildGetReport(input: {
  clusterName: string;
  region: string;
  filter?: GetReport['filter'];
  associations: readonly ExistingAssociation[];
}): GetReport {
  const rows = input.associations
    .map((association) => associationRow(association, input.clusterName))
    .sort(
      (a, b) =>
        a.Namespace.localeCompare(b.Namespace) ||
        a.ServiceAccountName.localeCompare(b.ServiceAccountName),
    );
  const report: GetReport = {
    workflow: 'associations',
    operation: 'get',
    clusterName: input.clusterName,
    region: input.region,
    count: rows.length,
    associations: rows,
  };
  if (input.filter !== undefined) report.filter = input.filter;
  return report;
}
