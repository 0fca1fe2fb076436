/**
 * The two patch formats the Kubernetes API server applies to JSON objects: JSON Merge Patch
 * (RFC 7386) and JSON Patch (RFC 6902). No implementation of either is among the project's
 * dependencies, and both are small, so they are written here for the simulator only.
 */

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A JSON Patch document that cannot be applied; the API server answers 422 Invalid. */
export class PatchApplyError extends Error {}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge key by key, `null` deletes a key, anything else replaces. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * A ServiceAccount's strategic merge patch: as a merge patch, except that `secrets` merges by
 * `name` (its patchStrategy is merge, patchMergeKey name): listed entries are merged into the
 * entry of the same name or appended, `{name, $patch: delete}` removes one, the rest stay.
 * Other lists (`imagePullSecrets` included) are replaced, as they declare no strategy.
 */
export function strategicMergePatchServiceAccount(
  target: JsonValue | undefined,
  patch: JsonObject,
): JsonValue {
  const { secrets, ...rest } = patch;
  const merged = mergePatch(target, rest);
  if (secrets === undefined || !isObject(merged)) return merged;
  if (secrets === null || !Array.isArray(secrets)) return mergePatch(merged, { secrets });
  const current = Array.isArray(merged.secrets) ? [...merged.secrets] : [];
  for (const entry of secrets) {
    if (!isObject(entry) || typeof entry.name !== 'string') {
      throw new PatchApplyError('each entry of secrets needs a name (its merge key)');
    }
    const index = current.findIndex(
      (existing) => isObject(existing) && existing.name === entry.name,
    );
    if (entry.$patch === 'delete') {
      if (index >= 0) current.splice(index, 1);
    } else if (index >= 0) {
      current[index] = mergePatch(current[index], entry);
    } else {
      current.push(structuredClone(entry));
    }
  }
  return { ...merged, secrets: current };
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: JsonValue;
}

/** RFC 6901 pointer → reference tokens (`~1` is `/`, `~0` is `~`, decoded in that order). */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchApplyError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(
  array: JsonValue[],
  token: string,
  forInsert: boolean,
  pointer: string,
): number {
  if (forInsert && token === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(token))
    throw new PatchApplyError(`invalid array index "${token}" in "${pointer}"`);
  const index = Number(token);
  const max = forInsert ? array.length : array.length - 1;
  if (index > max) throw new PatchApplyError(`array index ${index} out of bounds in "${pointer}"`);
  return index;
}

/** The container that holds the last token of `pointer`, and that token. */
function parentOf(document: JsonValue, pointer: string): { parent: JsonValue; token: string } {
  const tokens = parsePointer(pointer);
  const token = tokens.pop();
  if (token === undefined) throw new PatchApplyError('the document root cannot be the target here');
  let parent = document;
  for (const step of tokens) {
    if (Array.isArray(parent))
      parent = parent[arrayIndex(parent, step, false, pointer)] as JsonValue;
    else if (isObject(parent) && Object.hasOwn(parent, step)) parent = parent[step] as JsonValue;
    else throw new PatchApplyError(`doc is missing path: "${pointer}"`);
  }
  return { parent, token };
}

function read(document: JsonValue, pointer: string): JsonValue {
  let value = document;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(value)) value = value[arrayIndex(value, token, false, pointer)] as JsonValue;
    else if (isObject(value) && Object.hasOwn(value, token)) value = value[token] as JsonValue;
    else throw new PatchApplyError(`doc is missing path: "${pointer}"`);
  }
  return value;
}

function add(document: JsonValue, pointer: string, value: JsonValue): JsonValue {
  if (pointer === '') return value;
  const { parent, token } = parentOf(document, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true, pointer), 0, value);
  else if (isObject(parent)) parent[token] = value;
  else throw new PatchApplyError(`doc is missing path: "${pointer}"`);
  return document;
}

function remove(document: JsonValue, pointer: string): JsonValue {
  const { parent, token } = parentOf(document, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, false, pointer), 1);
  else if (isObject(parent) && Object.hasOwn(parent, token)) delete parent[token];
  else throw new PatchApplyError(`unable to remove nonexistent key: ${token}: missing value`);
  return document;
}

function deepEqual(left: JsonValue, right: JsonValue): boolean {
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => deepEqual(item, right[index] as JsonValue))
    );
  }
  if (isObject(left) && isObject(right)) {
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every(
        (key) =>
          Object.hasOwn(right, key) && deepEqual(left[key] as JsonValue, right[key] as JsonValue),
      )
    );
  }
  return left === right;
}

/** Applies the operations in order to a copy of `document`; the first failure aborts the whole patch. */
export function applyJsonPatch(document: JsonValue, operations: JsonPatchOperation[]): JsonValue {
  let result = structuredClone(document);
  for (const operation of operations) {
    const { op, path } = operation;
    switch (op) {
      case 'add':
        result = add(result, path, structuredClone(requireValue(operation)));
        break;
      case 'remove':
        result = remove(result, path);
        break;
      case 'replace':
        read(result, path);
        result = add(remove(result, path), path, structuredClone(requireValue(operation)));
        break;
      case 'move': {
        const from = requireFrom(operation);
        const value = read(result, from);
        result = add(remove(result, from), path, value);
        break;
      }
      case 'copy':
        result = add(result, path, structuredClone(read(result, requireFrom(operation))));
        break;
      case 'test': {
        const expected = requireValue(operation);
        if (!deepEqual(read(result, path), expected)) {
          throw new PatchApplyError(`testing value ${path} failed: test failed`);
        }
        break;
      }
    }
  }
  return result;
}

function requireValue(operation: JsonPatchOperation): JsonValue {
  if (operation.value === undefined)
    throw new PatchApplyError(`${operation.op} operation does not apply: doc is missing value`);
  return operation.value;
}

function requireFrom(operation: JsonPatchOperation): string {
  if (operation.from === undefined)
    throw new PatchApplyError(`${operation.op} operation does not apply: missing from`);
  return operation.from;
}

/** Shape check of a JSON Patch body; a malformed one is a 400 BadRequest before anything is applied. */
export function asJsonPatch(body: unknown): JsonPatchOperation[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const ops = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
  const valid = body.every(
    (item) =>
      isObject(item as JsonValue) &&
      typeof (item as JsonObject).op === 'string' &&
      ops.has((item as JsonObject).op as string) &&
      typeof (item as JsonObject).path === 'string',
  );
  return valid ? (body as JsonPatchOperation[]) : undefined;
}
