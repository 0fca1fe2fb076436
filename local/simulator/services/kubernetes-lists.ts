/**
 * List semantics of the Kubernetes API: label and field selectors, and chunked lists with
 * `limit` / `continue`.
 *
 * Items come in etcd key order (namespace, then name). The continue token is opaque to clients:
 * here it is base64url JSON naming the list's snapshot and the last key served. As a real
 * server does, every chunk comes from the snapshot the first one was cut from (which objects,
 * in which order), so objects created or deleted between pages neither appear nor vanish. The
 * API server keeps those snapshots only until etcd compacts them: here the most recent
 * SNAPSHOTS_KEPT lists, or five minutes; a continue token of an older one gets 410 Expired.
 */
import { SimError } from '../protocol.ts';

export interface Listable {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Field values a `fieldSelector` may name, e.g. `metadata.name`, `spec.serviceAccountName`. */
  fields: Record<string, string>;
}

type Requirement = (item: Listable) => boolean;

function badRequest(message: string): SimError {
  return new SimError('BadRequest', message, 400);
}

/** Splits on commas that are not inside `in (...)` value sets. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function labelRequirement(text: string): Requirement {
  let match = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(text);
  if (match) {
    const [, key = '', operator, value = ''] = match;
    return operator === '!='
      ? (item) => item.labels[key] !== value
      : (item) => item.labels[key] === value;
  }
  match = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (match) {
    const [, key = '', operator, list = ''] = match;
    const values = new Set(list.split(',').map((value) => value.trim()));
    return operator === 'in'
      ? (item) => item.labels[key] !== undefined && values.has(item.labels[key])
      : (item) => item.labels[key] === undefined || !values.has(item.labels[key]);
  }
  match = /^(!?)([A-Za-z0-9._/-]+)$/.exec(text);
  if (match) {
    const [, not, key = ''] = match;
    return not ? (item) => !(key in item.labels) : (item) => key in item.labels;
  }
  throw badRequest(`unable to parse requirement: found '${text}', expected: identifier`);
}

function fieldRequirement(text: string, supported: ReadonlySet<string>): Requirement {
  const match = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${text}'`);
  const [, field = '', operator, value = ''] = match;
  if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
  return operator === '!='
    ? (item) => item.fields[field] !== value
    : (item) => item.fields[field] === value;
}

/** Builds the filter for `labelSelector` and `fieldSelector`; 400 BadRequest when one does not parse. */
export function selectorFilter(
  query: URLSearchParams,
  supportedFields: ReadonlySet<string>,
): Requirement {
  const requirements = [
    ...splitTopLevel(query.get('labelSelector') ?? '').map(labelRequirement),
    ...splitTopLevel(query.get('fieldSelector') ?? '').map((text) =>
      fieldRequirement(text, supportedFields),
    ),
  ];
  return (item) => requirements.every((requirement) => requirement(item));
}

function sortKey(item: Listable): string {
  return `${item.namespace}\u0000${item.name}`;
}

export interface Page<T> {
  items: T[];
  continueToken: string | undefined;
  remaining: number;
}

export const SNAPSHOTS_KEPT = 64;
const SNAPSHOT_LIFETIME_MS = 5 * 60 * 1000;
const snapshots = new Map<string, { items: Listable[]; takenAt: number }>();
let snapshotSequence = 0;

function takeSnapshot(items: Listable[]): string {
  snapshotSequence += 1;
  const id = `${process.pid}-${snapshotSequence}`;
  snapshots.set(id, { items, takenAt: Date.now() });
  for (const oldest of snapshots.keys()) {
    if (snapshots.size <= SNAPSHOTS_KEPT) break;
    snapshots.delete(oldest);
  }
  return id;
}

function expired(): SimError {
  return new SimError(
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    410,
  );
}

/** One chunk of a list: items after the continue token's key, at most `limit` (0 or absent = all). */
export function paginate<T extends Listable>(items: T[], query: URLSearchParams): Page<T> {
  const limitText = query.get('limit');
  const limit = limitText === null ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${limitText}`);
  const token = query.get('continue');
  let sorted: T[];
  let snapshot: string | undefined;
  let start = 0;
  if (token) {
    const { after, snapshot: id } = decodeContinue(token);
    const kept = snapshots.get(id);
    if (!kept || Date.now() - kept.takenAt > SNAPSHOT_LIFETIME_MS) throw expired();
    sorted = kept.items as T[];
    snapshot = id;
    start = sorted.findIndex((item) => sortKey(item) > after);
    if (start === -1) start = sorted.length;
  } else {
    sorted = [...items].sort((a, b) =>
      sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
    );
  }
  const end = limit > 0 ? Math.min(start + limit, sorted.length) : sorted.length;
  const page = sorted.slice(start, end);
  const last = page.at(-1);
  const more = end < sorted.length && last !== undefined;
  if (more) snapshot ??= takeSnapshot(sorted);
  return {
    items: page,
    continueToken: more
      ? Buffer.from(JSON.stringify({ v: 2, s: snapshot, after: sortKey(last) })).toString(
          'base64url',
        )
      : undefined,
    remaining: sorted.length - end,
  };
}

function decodeContinue(token: string): { after: string; snapshot: string } {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: number;
      s?: unknown;
      after?: unknown;
    };
    if (decoded.v === 2 && typeof decoded.after === 'string' && typeof decoded.s === 'string')
      return { after: decoded.after, snapshot: decoded.s };
  } catch {
    // fall through: the same answer as a token of the wrong shape
  }
  throw badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}
