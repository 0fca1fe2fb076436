/**
 * The simulator: real AWS SDK v3 clients and @kubernetes/client-node talk to it over HTTP on
 * 127.0.0.1, so handlers run unchanged against a world seeded from a file.
 */
import { Simulator, type SimulatorOptions, type Simulator as SimulatorType } from './server.ts';
import { cloudFormationService } from './services/cloudformation.ts';
import { eksService } from './services/eks.ts';
import { eventBridgeService } from './services/eventbridge.ts';
import { iamService } from './services/iam.ts';
import { kubernetesService } from './services/kubernetes.ts';
import { s3Service } from './services/s3.ts';
import { stsService } from './services/sts.ts';
import type { World } from './world.ts';

export type { CallRecord, SimulatorOptions } from './server.ts';
export { Simulator } from './server.ts';
export {
  loadWorldFile,
  parseWorld,
  putFileObject,
  type World,
  WorldFileError,
} from './world.ts';

/** Starts a simulator seeded with `world` on a free port (or `options.port`). */
export async function startSimulator(
  world: World,
  options: SimulatorOptions = {},
): Promise<SimulatorType> {
  const simulator = new Simulator(
    world,
    [
      eksService,
      iamService,
      stsService,
      s3Service,
      cloudFormationService,
      eventBridgeService,
      kubernetesService,
    ],
    options,
  );
  return simulator.start();
}
