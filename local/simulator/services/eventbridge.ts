/**
 * EventBridge PutEvents (AWS JSON 1.1): the workflows announce finished runs on a bus; the
 * simulator keeps what was put so tests and the demo can show it.
 */

import { json, SimError } from '../protocol.ts';
import type { ServiceModule } from '../server.ts';

interface PutEventsRequest {
  Entries?: { Source?: string; DetailType?: string; Detail?: string; EventBusName?: string }[];
}

/** PutEvents accepts at most 10 entries per call and 256 KiB in all (AWS limits). */
const MAX_ENTRIES = 10;

export const eventBridgeService: ServiceModule = {
  service: 'events',
  resolve(request, context) {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (target !== 'AWSEvents.PutEvents') {
      throw new SimError(
        'UnknownOperationException',
        `the simulator serves only PutEvents, not ${target || 'this request'}`,
        400,
      );
    }
    return {
      operation: 'PutEvents',
      // Announcing a finished run changes no resource; like the run records under RUNS_PREFIX (s3.ts).
      mutating: false,
      run: () => {
        const body = JSON.parse(request.body.toString('utf8') || '{}') as PutEventsRequest;
        const entries = body.Entries ?? [];
        if (entries.length === 0 || entries.length > MAX_ENTRIES) {
          throw new SimError(
            'ValidationException',
            `PutEvents takes 1 to ${MAX_ENTRIES} entries, got ${entries.length}`,
            400,
          );
        }
        const results = entries.map((entry, index) => {
          let detail: unknown;
          try {
            detail = JSON.parse(entry.Detail ?? '');
          } catch {
            return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
          }
          context.state.events.push({
            source: entry.Source ?? '',
            detailType: entry.DetailType ?? '',
            detail,
            eventBusName: entry.EventBusName ?? 'default',
          });
          return { EventId: `${context.requestId}-${index}` };
        });
        const failed = results.filter((result) => 'ErrorCode' in result).length;
        return json(200, { FailedEntryCount: failed, Entries: results });
      },
    };
  },
};
