/**
 * The associations workflow's plan as the run store keeps it: the whole plan (plan-associations
 * writes it, the report reads it), the run's role usage, and each batch's document (all that
 * prepare-association-batch and apply-association-batch read, but for the role usage of an
 * association moved to another role after planning).
 * Tasks of the workflow share these shapes, so they live here rather than in one task.
 */
import { namedErrorClass } from '../errors.ts';
import type { DesiredAssociation } from './desired.ts';
import type { ExistingAssociation } from './existing.ts';
import { roleToCreate, roleUsageKey } from './plan.ts';
import type { AssociationRequest } from './request.ts';

/** An item of the run: a config entry (by index into the request), or an association to prune. */
export type PlanItem =
  | {
      kind: 'entry';
      entryIndex: number;
      namespace: string;
      serviceAccount: string;
      associationId?: string | undefined;
    }
  | { kind: 'prune'; namespace: string; serviceAccount: string; existing: ExistingAssociation };

/** An entry that cannot be carried out, found while checking every entry before any change. */
export interface RefusedEntry {
  namespace: string;
  serviceAccount: string;
  reason: string;
}

/**
 * An association of the cluster that an apply's config does not list, not owned by an add-on and
 * not pruned by the run: it is left alone, and reported.
 */
export interface UndeclaredAssociation {
  namespace: string;
  serviceAccount: string;
  associationId: string;
  /**
   * Its managed-by tag says an eks-pia run made it (from a config, or a migration): another
   * config of the cluster may declare it, or an entry was dropped from this one. The others were
   * made by hand or by another tool, and no config of this service declares them.
   */
  createdByEksPia: boolean;
}

export interface PlanDocument {
  batchSize: number;
  items: PlanItem[];
  /** An apply's associations that no entry declares; absent when the run is not such an apply. */
  undeclared?: UndeclaredAssociation[] | undefined;
  /**
   * Update and delete are all-or-nothing, as in eksctl: when an entry cannot be carried out, it
   * is listed here and no entry is changed.
   */
  refused?: RefusedEntry[] | undefined;
}

/**
 * Which role each association of the cluster used at plan time: its own run document
 * (`role-usage`), written with the plan when roles may be deleted, so that a batch needing more
 * of it than its document holds reads it without the whole plan.
 */
export type RoleUsage = Pick<ExistingAssociation, 'namespace' | 'serviceAccount' | 'roleArn'>[];

/**
 * The request as one batch needs it: everything but the entries, and of those only the batch's.
 * Not the request's `currentRoleConditions`: prepare-association-batch finds and settles the
 * batch's own from its entries.
 */
export type BatchRequest = Omit<
  AssociationRequest,
  'entries' | 'addons' | 'warnings' | 'currentRoleConditions'
> & {
  entries: DesiredAssociation[];
};

/**
 * All that one batch of apply-association-batch reads (`batch-<n>`), so a batch costs one S3 read whatever
 * the size of the run: the old way, every batch reading the whole request and the whole plan,
 * made S3 reads and bytes grow with the square of the run.
 */
export interface BatchDocument {
  batch: number;
  /** The request's header and the entries the batch's items came from. */
  request: BatchRequest;
  /** The batch's items; `entryIndex` of an entry item points into `request.entries` above. */
  items: PlanItem[];
  /** As in {@link PlanDocument}: the whole list, since every item's result names the others. */
  refused?: RefusedEntry[] | undefined;
  /**
   * Present when roles may be deleted: which associations used, at plan time, the roles the
   * batch's associations used then (`roles`, by {@link roleUsageKey}), at most two per role, which
   * is all `roleUsedElsewhere` needs to answer. A role not listed (the association was moved to
   * another role meanwhile) is looked up in the run's whole {@link RoleUsage}.
   */
  roleUsage?: { roles: string[]; associations: RoleUsage } | undefined;
  /**
   * A dry run's: of the roles the batch's creates would make (`roleToCreate`), those the account
   * had when plan-associations listed its roles, which the dry run reads to tell what CreateRole
   * would meet. Absent when the plan listed none (a run, or no role to create).
   */
  rolesFound?: string[] | undefined;
}

/** A plan and its request that do not belong together: one of the run's documents was changed. */
export const PlanRequestMismatchError = namedErrorClass('PlanRequestMismatchError');

/**
 * Batch `batch` of the plan as apply-association-batch reads it. The entries are copied as they are in the
 * request, so the guardrails prepare-association-batch checks them against again (RunDocumentTamperedError)
 * judge exactly what the batch will carry out.
 */
export function batchDocument(
  request: AssociationRequest,
  plan: PlanDocument,
  batch: number,
  planned: {
    /** The run's role usage, when roles may be deleted. */
    roleUsage: RoleUsage | undefined;
    /** The role of each association at plan time, by association id. */
    roles: ReadonlyMap<string, string>;
    /** A dry run's: the names of the account's roles (lower case), when the plan listed them. */
    accountRoles: ReadonlySet<string> | undefined;
  },
): BatchDocument {
  const {
    entries: _entries,
    addons: _addons,
    warnings: _warnings,
    currentRoleConditions: _conditions,
    ...header
  } = request;
  const slice = plan.items.slice(batch * plan.batchSize, (batch + 1) * plan.batchSize);
  const entries: DesiredAssociation[] = [];
  const items = slice.map((item): PlanItem => {
    if (item.kind !== 'entry') return item;
    const entry = request.entries[item.entryIndex];
    if (entry === undefined) {
      throw new PlanRequestMismatchError(
        `plan item ${item.entryIndex} names no entry of the request; the run's documents disagree, so start a new run from the config`,
      );
    }
    entries.push(entry);
    return { ...item, entryIndex: entries.length - 1 };
  });
  const { roleUsage, roles, accountRoles } = planned;
  return {
    batch,
    request: { ...header, entries },
    items,
    ...(plan.refused !== undefined ? { refused: plan.refused } : {}),
    ...(roleUsage !== undefined ? { roleUsage: batchRoleUsage(slice, roleUsage, roles) } : {}),
    ...(accountRoles !== undefined
      ? {
          // IAM role names are unique regardless of case.
          rolesFound: rolesToCreate(items, request.operation, entries)
            .filter((name) => accountRoles.has(name.toLowerCase()))
            .sort(),
        }
      : {}),
  };
}

/**
 * The roles that `items` (entries of `entries`) would have a create or apply make, each once (see
 * roleToCreate): none for an association the plan found.
 */
export function rolesToCreate(
  items: readonly PlanItem[],
  operation: AssociationRequest['operation'],
  entries: readonly DesiredAssociation[],
): string[] {
  if (operation === 'get') return [];
  const names = items.flatMap((item) => {
    if (item.kind !== 'entry' || item.associationId !== undefined) return [];
    return roleToCreate({ operation, desired: entries[item.entryIndex] }) ?? [];
  });
  return [...new Set(names)];
}

/** See {@link BatchDocument.roleUsage}. */
function batchRoleUsage(
  planned: readonly PlanItem[],
  roleUsage: RoleUsage,
  planTimeRoles: ReadonlyMap<string, string>,
): NonNullable<BatchDocument['roleUsage']> {
  const roles = new Set(
    planned.flatMap((item) => {
      const roleArn =
        item.kind === 'prune'
          ? item.existing.roleArn
          : item.associationId !== undefined
            ? planTimeRoles.get(item.associationId)
            : undefined;
      return roleArn === undefined ? [] : [roleUsageKey(roleArn)];
    }),
  );
  const kept = new Map<string, number>();
  const associations = roleUsage.filter((association) => {
    const key = roleUsageKey(association.roleArn);
    if (!roles.has(key)) return false;
    const count = kept.get(key) ?? 0;
    kept.set(key, count + 1);
    // Two users answer "used by another than this one?" for any item as the whole list would.
    return count < 2;
  });
  return { roles: [...roles].sort(), associations };
}
