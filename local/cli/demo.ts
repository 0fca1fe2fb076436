/**
 * `eks-pia demo` (what `npm start` runs): the real workflows and handlers against the simulator,
 * narrated for someone seeing the product for the first time.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../runner/definition.ts';
import type { CallRecord } from '../simulator/index.ts';
import { describeDriftReport, isDriftReport } from './drift.ts';
import { openEngine } from './engine.ts';
import type { Engine, GlobalOptions } from './engine-types.ts';
import type { CliIo } from './io.ts';
import { migrationInput } from './migrate.ts';
import { fileInput, readConfigFile } from './podidentityassociation.ts';
import { printClusterRunReport, printReport } from './render.ts';

export const DEMO_WORLD = join(PROJECT_ROOT, 'events', 'worlds', 'demo.yaml');

/** Where the demo leaves its final world when no `--state-out` is given, for the closing hint. */
export const DEMO_STATE = join(tmpdir(), 'eks-pia-demo-state.yaml');

export async function runDemo(
  globals: GlobalOptions,
  io: CliIo,
  onEngine: (engine: Engine) => void = () => undefined,
): Promise<void> {
  const worldPath = globals.simulate ?? DEMO_WORLD;
  const stateOut = globals.stateOut ?? DEMO_STATE;
  const engine = await openEngine({ ...globals, simulate: worldPath, stateOut }, (line) =>
    io.out(`    ${line}\n`),
  );
  onEngine(engine);
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

    /** Each step narrates, runs one workflow and sums up only the calls that run made. */
    const step = async (
      narration: readonly string[],
      workflow: string,
      workflowInput: unknown,
      print: ReportPrinter = printReport,
    ) => {
      for (const line of narration) io.out(`${line}\n`);
      const mark = simulator.calls.length;
      printIndented(await engine.run(workflow, workflowInput), globals.output, io, print);
      io.out(`    ${summariseCalls(simulator.calls.slice(mark))}\n\n`);
    };

    await step(
      [
        `Step 1. Install the EKS Pod Identity Agent, as \`eks-pia create addon --cluster ${cluster} --name eks-pod-identity-agent\` would`,
        '    workflow: ensure-addon (state-machines/ensure-addon.asl.json)',
      ],
      'ensure-addon',
      input,
    );
    await step(
      ['Step 2. Run it again: a rerun on an unchanged world changes nothing'],
      'ensure-addon',
      input,
    );

    const configPath = join(PROJECT_ROOT, 'events', 'configs', 'apply-team-payments.yaml');
    const applyInput = fileInput('apply', readConfigFile(configPath, 'apply'), configPath, {});
    await step(
      [
        "Step 3. Apply the payments team's eksctl config, as `eks-pia apply podidentityassociation -f events/configs/apply-team-payments.yaml` would",
        '    (the same run starts by itself when the file is uploaded under apply/ in the config bucket)',
        '    workflow: associations (state-machines/associations.asl.json)',
      ],
      'associations',
      applyInput,
    );
    await step(
      ['Step 4. Apply the same file again: everything is already as declared'],
      'associations',
      applyInput,
    );

    const byHand = world.clusters[0]?.podIdentityAssociations ?? [];
    const deleted = byHand.findIndex((association) => association.serviceAccount === 'worker');
    if (deleted >= 0) byHand.splice(deleted, 1);
    await step(
      [
        'Step 5. Someone deletes the payments/worker association by hand; the drift check (daily, by EventBridge Scheduler) finds it, and with heal puts it back, as `eks-pia drift --heal` would',
        '    workflow: drift-check (state-machines/drift-check.asl.json): a dry run of the recorded apply per cluster, then the apply',
      ],
      'drift-check',
      { heal: true },
      printDrift,
    );

    await step(
      [
        'Step 6. Plan the move of the IRSA service accounts and add-ons (vpc-cni, through its own podIdentityAssociations) to Pod Identity, as `eks-pia utils migrate-to-pod-identity --cluster demo` would',
        '    workflow: migrate-to-pod-identity (state-machines/migrate-to-pod-identity.asl.json); without approval it changes nothing',
      ],
      'migrate-to-pod-identity',
      migrationInput({ cluster }),
    );
    const approved = migrationInput({
      cluster,
      approve: true,
      removeOidcProviderTrustRelationship: true,
    });
    await step(
      [
        'Step 7. Approve it and remove the OIDC trust, as `eks-pia utils migrate-to-pod-identity --cluster demo --approve --remove-oidc-provider-trust-relationship` would',
      ],
      'migrate-to-pod-identity',
      approved,
    );
    await step(
      ['Step 8. Run the approved migration again: there is nothing left to move'],
      'migrate-to-pod-identity',
      approved,
    );

    io.out(
      `Done. The world as the demo left it is in ${stateOut}; see the associations it made:\n` +
        `  npm run --silent cli -- get podidentityassociation --cluster ${cluster} --simulate ${stateOut}\n`,
    );
  } finally {
    await engine.close();
  }
}

type ReportPrinter = (report: unknown, format: string | undefined, io: CliIo) => void;

/** The drift report as its table; the demo goes on whatever it found. */
const printDrift: ReportPrinter = (report, format, io) =>
  printClusterRunReport(report, format, io, {
    is: isDriftReport,
    describe: describeDriftReport,
    failure: () => undefined,
  });

function printIndented(
  report: unknown,
  format: string | undefined,
  io: CliIo,
  print: ReportPrinter,
): void {
  let text = '';
  print(report, format, { out: (chunk) => (text += chunk), err: io.err });
  io.out(`${text.trimEnd().replace(/^/gm, '  → ')}\n`);
}

export function summariseCalls(calls: CallRecord[]): string {
  const mutating = calls.filter((call) => call.mutating && call.status < 400);
  const names = [...new Set(mutating.map((call) => `${call.service}:${call.operation}`))];
  return `${calls.length} API call(s), ${mutating.length} mutating${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
}
