/**
 * Fault injection for any workflow scenario: a clean run gives the final state and the number N
 * of mutating calls; then for each sampled k of 1..N the scenario runs again from the same start,
 * once with the k-th mutating call refused and once with the simulated cloud "crashing" right
 * after the k-th mutating call took effect (its answer lost: the at-least-once case), and is
 * rerun on what that left. The rerun must end in the clean run's final state, and no state on
 * the way may break the safety invariants (see `invariantProblems`).
 */
import { isDeepStrictEqual } from 'node:util';
import { runWorkflow } from '../../../local/runner/run-workflow.ts';
import { connectToSimulator } from '../../../local/runner/simulated-aws.ts';
import { type Simulator, startSimulator, type World } from '../../../local/simulator/index.ts';
import type { MutationFault } from '../../../local/simulator/server.ts';
import { invariantProblems } from './invariants.ts';

/** One workflow run of a scenario (the one faults are injected into, or a preparing one). */
export interface WorkflowRun {
  workflow: string;
  input: unknown;
}

export interface FaultScenario {
  name: string;
  world: World;
  /** Runs that make the start state (for example a create before a delete); never faulted. */
  prepare?: WorkflowRun[];
  run: WorkflowRun;
}

export interface FaultOutcome {
  k: number;
  mode: MutationFault['mode'];
  converged: boolean;
  problems: string[];
}

export interface ScenarioResult {
  name: string;
  mutatingCalls: number;
  sampled: number[];
  outcomes: FaultOutcome[];
}

/**
 * Which k of 1..n to inject: all of them up to `limit`, else `limit` of them spread evenly, the
 * first and the last always included. `EKS_PIA_FAULTS=all` injects every k.
 */
export function sampleFaults(n: number, limit: number): number[] {
  if (n <= limit || process.env.EKS_PIA_FAULTS === 'all') {
    return Array.from({ length: n }, (_, index) => index + 1);
  }
  if (limit <= 1) return [n];
  const picked = new Set<number>();
  for (let index = 0; index < limit; index += 1) {
    picked.add(1 + Math.round((index * (n - 1)) / (limit - 1)));
  }
  return [...picked].sort((a, b) => a - b);
}

async function withSimulator<T>(
  world: World,
  use: (simulator: Simulator) => Promise<T>,
): Promise<T> {
  const simulator = await startSimulator(world);
  const disconnect = connectToSimulator(simulator);
  try {
    return await use(simulator);
  } finally {
    disconnect();
    await simulator.close();
  }
}

async function run(simulator: Simulator, step: WorkflowRun): Promise<void> {
  await runWorkflow(step.workflow, step.input, {
    region: simulator.state.region,
    account: simulator.state.account,
    shortenWaits: true,
  });
}

/** A failed run is expected under a fault; what it leaves is what matters. */
async function runTolerating(simulator: Simulator, step: WorkflowRun): Promise<void> {
  try {
    await run(simulator, step);
  } catch {
    // The rerun and the invariants judge the state it left.
  }
}

/**
 * The parts of a world that the service manages, without what differs between equal runs
 * (generated IDs, timestamps, resource versions) and without the service's own run records.
 */
export function comparable(world: World): unknown {
  const { buckets: _buckets, behaviour: _behaviour, ...rest } = world;
  return normalise({
    ...rest,
    clusters: rest.clusters.map((cluster) => ({
      ...cluster,
      addons: cluster.addons.map((addon) => ({
        ...addon,
        status: settledAddonStatus(addon.status),
      })),
    })),
  });
}

/**
 * An add-on still creating or updating is the same add-on a few describes later: a rerun that
 * waited for it to settle (as it must before updating it) is not a difference.
 */
function settledAddonStatus(status: string | undefined): string | undefined {
  return status === 'CREATING' || status === 'UPDATING' ? 'ACTIVE' : status;
}

const VOLATILE_KEYS = new Set([
  'associationId',
  'associationArn',
  'roleId',
  'createDate',
  'createdAt',
  'modifiedAt',
  'resourceVersion',
  'uid',
  'creationTimestamp',
]);

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(normalise).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !VOLATILE_KEYS.has(key))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, normalise(inner)]),
    );
  }
  return value;
}

/** The first difference between two normalised states, as a path, for a readable failure. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const found = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}/${key}`,
      );
      if (found) return found;
    }
  }
  return `${path || '/'}: clean run has ${JSON.stringify(a)?.slice(0, 300)}, rerun has ${JSON.stringify(b)?.slice(0, 300)}`;
}

export async function injectFaults(
  scenario: FaultScenario,
  options: { limit: number },
): Promise<ScenarioResult> {
  const start = await withSimulator(scenario.world, async (simulator) => {
    for (const step of scenario.prepare ?? []) await run(simulator, step);
    return simulator.dump();
  });
  const clean = await withSimulator(start, async (simulator) => {
    const mark = simulator.calls.length;
    await run(simulator, scenario.run);
    return {
      state: comparable(simulator.dump()),
      mutatingCalls: simulator.calls.slice(mark).filter((call) => call.mutating).length,
    };
  });
  const sampled = sampleFaults(clean.mutatingCalls, options.limit);
  const outcomes: FaultOutcome[] = [];
  for (const k of sampled) {
    for (const mode of ['fail', 'crash'] as const) {
      outcomes.push(
        await withSimulator(start, async (simulator) => {
          simulator.injectMutationFault({ nth: k, mode });
          await runTolerating(simulator, scenario.run);
          simulator.injectMutationFault(undefined);
          const problems = invariantProblems(start, simulator.dump()).map(
            (problem) => `after the faulted run: ${problem}`,
          );
          await runTolerating(simulator, scenario.run);
          const after = simulator.dump();
          problems.push(
            ...invariantProblems(start, after, { final: true }).map(
              (problem) => `after the rerun: ${problem}`,
            ),
          );
          const difference = firstDifference(clean.state, comparable(after));
          if (difference) problems.push(`the rerun did not converge: ${difference}`);
          return { k, mode, converged: problems.length === 0, problems };
        }),
      );
    }
  }
  return { name: scenario.name, mutatingCalls: clean.mutatingCalls, sampled, outcomes };
}
