/**
 * The progress lines of a running workflow, the same whichever engine runs it: the local runner
 * feeds this the events of aws-local-stepfunctions, the remote engine those of the execution
 * history. Map progress counts associations where the plan says how many its batches hold, and
 * every look while a Wait state waits for an add-on or a cluster gets a line.
 */
import { type AslDefinition, type AslState, allStates } from './definition.ts';

/** What a Map state's progress counts: its items, or the associations in its batches. */
interface MapProgress {
  total: number | undefined;
  unit: string;
  /** Associations counted from each batch's `itemCount`, when the plan gave their total. */
  countsItemsInBatches: boolean;
  done: number;
  failed: number;
}

export class ProgressLines {
  private readonly states: Map<string, AslState>;
  /** The Map state each state of an item processor belongs to. */
  private readonly mapOf = new Map<string, string>();
  private readonly maps = new Map<string, MapProgress>();
  private readonly looks = new Map<string, number>();

  /**
   * @param definition the workflow's ASL; without it (a state machine this checkout does not
   *   ship) Maps count their items and Wait states say only that they wait.
   */
  constructor(
    definition: AslDefinition | undefined,
    private readonly emit: (line: string) => void,
  ) {
    this.states = definition ? allStates(definition) : new Map();
    for (const [name, state] of this.states) {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (state.Type !== 'Map' || !processor) continue;
      for (const inner of allStates(processor).keys()) this.mapOf.set(inner, name);
    }
  }

  /** A state was entered with `input`; `type` is its ASL type when the event says it. */
  entered(state: string, input: unknown, type = this.states.get(state)?.Type): void {
    if (type === 'Map') {
      this.maps.set(state, mapProgress(this.states.get(state), input));
    } else if (type === 'Wait') {
      const look = (this.looks.get(state) ?? 0) + 1;
      this.looks.set(state, look);
      this.emit(`${state}: ${waitingFor(input)}, look ${look}`);
    }
  }

  /** The Map state started its iterations (the remote history says how many there are). */
  mapStarted(map: string, length: number | undefined): void {
    const progress = this.maps.get(map) ?? mapProgress(undefined, undefined);
    if (!progress.countsItemsInBatches) progress.total = length;
    this.maps.set(map, progress);
  }

  /** A state exited with `output`: a batch's last state says how many associations it handled. */
  exited(state: string, output: unknown): void {
    const map = this.mapOf.get(state);
    const progress = map === undefined ? undefined : this.maps.get(map);
    if (map === undefined || !progress?.countsItemsInBatches) return;
    const { itemCount, failed } = (output ?? {}) as { itemCount?: unknown; failed?: unknown };
    if (typeof itemCount === 'number') progress.done += itemCount;
    else if (failed === true) progress.failed += 1;
    else return;
    this.report(map, progress);
  }

  /** One iteration of `map` ended; batches of associations were counted as they exited. */
  iterationEnded(map: string, succeeded: boolean): void {
    const progress = this.maps.get(map);
    if (progress === undefined) return;
    if (progress.countsItemsInBatches) {
      // A batch that failed past its Catch never reached a state that counts it.
      if (succeeded) return;
      progress.failed += 1;
    } else {
      progress.done += 1;
      if (!succeeded) progress.failed += 1;
    }
    this.report(map, progress);
  }

  private report(map: string, progress: MapProgress): void {
    // Failed batches are counted apart: how many associations they held is not known.
    const failedUnit = progress.countsItemsInBatches ? ' batch(es)' : '';
    this.emit(
      `${map}: ${progress.done}${progress.total === undefined ? '' : ` / ${progress.total}`} ${progress.unit} done${progress.failed > 0 ? ` (${progress.failed}${failedUnit} failed)` : ''}`,
    );
  }
}

/** The line for a task attempt that failed with `error` and is tried again. */
export function retryLine(state: string, error: string | undefined, attempt: number): string {
  return `${state}: retrying after ${error ?? 'an error'} (attempt ${attempt})`;
}

/**
 * A Map over `$.plan.batches` whose plan gives `itemCount` counts the associations in the batches;
 * any other Map counts its items.
 */
function mapProgress(state: AslState | undefined, input: unknown): MapProgress {
  const path = state?.ItemsPath ?? '$';
  const items = valueAt(input, path);
  const itemCount = valueAt(input, path.replace(/\.[A-Za-z0-9_]+$/, '.itemCount'));
  if (path !== '$' && typeof itemCount === 'number') {
    return {
      total: itemCount,
      unit: 'associations',
      countsItemsInBatches: true,
      done: 0,
      failed: 0,
    };
  }
  return {
    total: Array.isArray(items) ? items.length : undefined,
    unit: 'items',
    countsItemsInBatches: false,
    done: 0,
    failed: 0,
  };
}

/** What a Wait state waits for, from the status its input carries (an add-on or a cluster). */
function waitingFor(input: unknown): string {
  const { addon, cluster, addonName, clusterName } = (input ?? {}) as {
    addon?: { status?: unknown };
    cluster?: { status?: unknown };
    addonName?: unknown;
    clusterName?: unknown;
  };
  if (addon && typeof addon === 'object') {
    const status = typeof addon.status === 'string' ? addon.status : 'being created';
    return `waiting for add-on ${typeof addonName === 'string' ? `"${addonName}" ` : ''}(${status})`;
  }
  if (cluster && typeof cluster.status === 'string') {
    return `waiting for cluster ${typeof clusterName === 'string' ? `"${clusterName}" ` : ''}(${cluster.status})`;
  }
  return 'waiting';
}

/** Evaluates a simple path (`$.a.b`) on a state's input, for progress lines. */
function valueAt(input: unknown, path: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(path)) return undefined;
  let value: unknown = input;
  for (const key of path.split('.').slice(1)) {
    value =
      value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}
