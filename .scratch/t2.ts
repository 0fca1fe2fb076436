import { runWorkflow } from '../local/runner/run-workflow.ts';
import { connectToSimulator } from '../local/runner/simulated-aws.ts';
import { startSimulator } from '../local/simulator/index.ts';
import { FAULT_SCENARIOS } from '../test/workflows/faults/scenarios.ts';
const s = FAULT_SCENARIOS[0]!;
for (let i = 0; i < 2; i++) {
  const t0 = performance.now();
  const sim = await startSimulator(s.world, { log: (l) => { if (i === 1) console.log(Math.round(performance.now() - t0), l); } });
  const d = connectToSimulator(sim);
  await runWorkflow(s.run.workflow, s.run.input, { region: 'us-west-2', account: '111122223333', shortenWaits: true, onStateEntered: (st) => { if (i === 1) console.log(Math.round(performance.now() - t0), 'state', st); } });
  d(); await sim.close();
}
