import { runWorkflow } from '../local/runner/run-workflow.ts';
import { connectToSimulator } from '../local/runner/simulated-aws.ts';
import { startSimulator } from '../local/simulator/index.ts';
import { FAULT_SCENARIOS } from '../test/workflows/faults/scenarios.ts';
const s = FAULT_SCENARIOS[0]!;
for (let i = 0; i < 3; i++) {
  const sim = await startSimulator(s.world);
  const d = connectToSimulator(sim);
  let t = performance.now();
  const cpu = process.cpuUsage();
  await runWorkflow(s.run.workflow, s.run.input, { region: 'us-west-2', account: '111122223333', shortenWaits: true });
  const c = process.cpuUsage(cpu);
  console.log('run', Math.round(performance.now() - t), 'cpu', Math.round((c.user + c.system) / 1000));
  t = performance.now();
  d(); await sim.close();
  console.log('close', Math.round(performance.now() - t));
}
