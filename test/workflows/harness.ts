/**
 * Runs the real ASL files with the real handlers against a simulator seeded from a world, the way
 * `eks-pia --simulate` does, and exposes the simulator for assertions on state and calls.
 */
import { type RunWorkflowOptions, runWorkflow } from '../../local/runner/run-workflow.ts';
import { connectToSimulator, type SimulatorConnection } from '../../local/runner/simulated-aws.ts';
import { parseWorld, type Simulator, startSimulator } from '../../local/simulator/index.ts';

export interface SimulatedRun {
  simulator: Simulator;
  run(workflow: string, input: unknown, options?: Partial<RunWorkflowOptions>): Promise<unknown>;
  /** Mutating calls that succeeded since the given index of the call log. */
  mutatingSince(mark: number): string[];
  close(): Promise<void>;
}

export async function simulate(
  worldYaml: string,
  connection: SimulatorConnection = {},
): Promise<SimulatedRun> {
  const world = parseWorld(worldYaml);
  const simulator = await startSimulator(world);
  const disconnect = connectToSimulator(simulator, connection);
  return {
    simulator,
    run: (workflow, input, options) =>
      runWorkflow(workflow, input, {
        region: world.region,
        account: world.account,
        shortenWaits: true,
        ...options,
      }),
    mutatingSince: (mark) =>
      simulator.calls
        .slice(mark)
        .filter((call) => call.mutating && call.status < 400)
        .map((call) => `${call.service}:${call.operation}`),
    close: async () => {
      disconnect();
      await simulator.close();
    },
  };
}
