/**
 * `eks-pia demo` (what `npm start` runs): the real workflows and handlers against the simulator,
 * narrated for someone seeing the product for the first time.
 */
import { join } from 'node:path';
import { PROJECT_ROOT } from '../runner/definition.ts';
import type { CallRecord } from '../simulator/index.ts';
import { type GlobalOptions, openEngine } from './engine.ts';
import type { CliIo } from './main.ts';
import { fileInput, readConfigFile } from './podidentityassociation.ts';
import { printReport } from './render.ts';

export const DEMO_WORLD = join(PROJECT_ROOT, 'events', 'worlds', 'demo.yaml');

export async function runDemo(globals: GlobalOptions, io: CliIo): Promise<void> {
  const worldPath = globals.simulate ?? DEMO_WORLD;
  const engine = await openEngine({ ...globals, simulate: worldPath }, (line) =>
    io.out(`    ${line}\n`),
  );
  const simulator = engine.simulator;
  if (!simulator) throw new Error('the demo always runs on the simulator');
  try {
    const world = simulator.state.world;
    io.out(`Simulated AWS account ${world.account} in ${world.region} (world: ${worldPath})\n`);
    for (const cluster of world.clusters) {
      const irsa = cluster.serviceAccounts.filter(
        (sa) => sa.annotations['eks.amazonaws.com/role-arn'],
      );
      io.out(
        `  cluster "${cluster.name}": Kubernetes ${cluster.version}, ${cluster.status}, ` +
          `add-ons: ${cluster.addons.map((addon) => addon.name).join(', ') || 'none'}, ` +
          `${irsa.length} service account(s) using IRSA\n`,
      );
    }
    io.out(
      `  ${world.roles.length} IAM role(s), ${world.openIdConnectProviders.length} OIDC provider(s)\n\n`,
    );

    const cluster = world.clusters[0]?.name;
    if (!cluster) throw new Error(`${worldPath} has no cluster to demonstrate on`);
    const input = { clusterName: cluster, addonName: 'eks-pod-identity-agent' };

    io.out(
      `Step 1. Install the EKS Pod Identity Agent, as \`eks-pia create addon --cluster ${cluster} --name eks-pod-identity-agent\` would\n`,
    );
    io.out('    workflow: ensure-addon (state-machines/ensure-addon.asl.json)\n');
    let mark = simulator.calls.length;
    printIndented(await engine.run('ensure-addon', input), globals.output, io);
    io.out(`    ${summariseCalls(simulator.calls.slice(mark))}\n\n`);

    io.out('Step 2. Run it again: a rerun on an unchanged world changes nothing\n');
    mark = simulator.calls.length;
    printIndented(await engine.run('ensure-addon', input), globals.output, io);
    io.out(`    ${summariseCalls(simulator.calls.slice(mark))}\n\n`);

    const configPath = join(PROJECT_ROOT, 'events', 'configs', 'apply-team-payments.yaml');
    const applyInput = fileInput('apply', readConfigFile(configPath, 'apply'), configPath, {});
    io.out(
      "Step 3. Apply the payments team's eksctl config, as `eks-pia apply podidentityassociation -f events/configs/apply-team-payments.yaml` would\n",
    );
    io.out(
      '    (the same run starts by itself when the file is uploaded under apply/ in the config bucket)\n',
    );
    io.out('    workflow: associations (state-machines/associations.asl.json)\n');
    mark = simulator.calls.length;
    printIndented(await engine.run('associations', applyInput), globals.output, io);
    io.out(`    ${summariseCalls(simulator.calls.slice(mark))}\n\n`);

    io.out('Step 4. Apply the same file again: everything is already as declared\n');
    mark = simulator.calls.length;
    printIndented(await engine.run('associations', applyInput), globals.output, io);
    io.out(`    ${summariseCalls(simulator.calls.slice(mark))}\n\n`);

    io.out(
      'Done. Try: npm run --silent cli -- get podidentityassociation --cluster demo --simulate events/worlds/demo.yaml\n',
    );
  } finally {
    await engine.close();
  }
}

function printIndented(report: unknown, format: string | undefined, io: CliIo): void {
  let text = '';
  printReport(report, format, { out: (chunk) => (text += chunk), err: io.err });
  io.out(`${text.trimEnd().replace(/^/gm, '  → ')}\n`);
}

export function summariseCalls(calls: CallRecord[]): string {
  const mutating = calls.filter((call) => call.mutating && call.status < 400);
  const names = [...new Set(mutating.map((call) => `${call.service}:${call.operation}`))];
  return `${calls.length} API call(s), ${mutating.length} mutating${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
}
