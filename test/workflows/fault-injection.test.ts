/**
 * Every workflow, faulted at each sampled mutating call (refused, or the Lambda dying right after
 * the call took effect), converges on rerun to the state of a clean run. See faults/convergence.ts
 * for the method and faults/scenarios.ts for the scenarios (add one there to cover a workflow).
 *
 * Sampling: every k when a clean run makes at most FAULTS_PER_SCENARIO mutating calls, else that
 * many spread evenly over 1..N, first and last included; `EKS_PIA_FAULTS=all` injects every k.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { injectFaults, type ScenarioResult } from './faults/convergence.ts';
import { FAULT_SCENARIOS } from './faults/scenarios.ts';

const FAULTS_PER_SCENARIO = 8;

describe('fault injection: every interrupted run converges on rerun', () => {
  const results: ScenarioResult[] = [];
  after(() => {
    const outcomes = results.flatMap((result) => result.outcomes);
    const lines = results.map(
      (result) =>
        `  ${result.name}: ${result.mutatingCalls} mutating calls, k = ${result.sampled.join(',')}: ${result.outcomes.filter((outcome) => outcome.converged).length}/${result.outcomes.length} converged`,
    );
    process.stdout.write(
      `# fault injection: ${outcomes.length} faults injected, ${outcomes.filter((outcome) => outcome.converged).length} converged\n${lines.map((line) => `#${line}`).join('\n')}\n`,
    );
  });

  for (const scenario of FAULT_SCENARIOS) {
    it(scenario.name, async () => {
      const result = await injectFaults(scenario, { limit: FAULTS_PER_SCENARIO });
      results.push(result);
      assert.ok(result.mutatingCalls > 0, 'the clean run changes something');
      const failures = result.outcomes
        .filter((outcome) => !outcome.converged)
        .map((outcome) => `k=${outcome.k} ${outcome.mode}: ${outcome.problems.join('; ')}`);
      assert.deepEqual(failures, []);
    });
  }
});
