import { defineTask } from '../../aws/lambda.ts';
import { parseFleetMigrationInput } from '../../core/fleet/fleet-migration.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('read-fleet-migration-input', { input, output }, async (event) =>
  parseFleetMigrationInput(event.input, process.env.AWS_REGION ?? ''),
);
