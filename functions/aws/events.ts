/**
 * The event every workflow puts on EventBridge when it finishes, so other automation (alerts,
 * audit, chat notifications) can react without polling Step Functions.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { NamedError } from '../core/errors.ts';
import { EVENT_SOURCE, RUN_COMPLETED } from '../core/run-events.ts';
import { eventBridgeClient } from './clients.ts';

export class EventPublishError extends NamedError {
  override readonly name = 'EventPublishError';
}

export async function publishRunCompleted(detail: Record<string, unknown>): Promise<void> {
  const result = await eventBridgeClient().send(
    new PutEventsCommand({
      Entries: [
        {
          Source: EVENT_SOURCE,
          DetailType: RUN_COMPLETED,
          Detail: JSON.stringify(detail),
          EventBusName: process.env.EVENT_BUS_NAME ?? 'default',
        },
      ],
    }),
  );
  const failure = result.Entries?.find((entry) => entry.ErrorCode);
  if ((result.FailedEntryCount ?? 0) > 0) {
    throw new EventPublishError(
      `EventBridge refused the run-completed event: ${failure?.ErrorCode}: ${failure?.ErrorMessage}`,
    );
  }
}
