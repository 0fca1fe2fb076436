/**
 * EventBridge PutEvents (AWS JSON 1.1): the workflows announce finished runs on a bus; the
 * simulator keeps what was put so tests and the demo can show it.
 */

import { json, SimError } from '../protocol.ts';
import type { ServiceModule } from '../server.ts';

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: unknown;
}

interface PutEventsRequest {
  Entries?: PutEventsEntry[];
}

/** PutEvents accepts at most 10 entries per call (AWS limit). */
const MAX_ENTRIES = 10;

/**
 * The entries of one call must total less than 1 MiB (256 KiB before 2026-01-29), measured as
 * AWS's "Calculating PutEvents event entry size" does. That page says "less than" where the API
 * reference says "maximum"; the stricter reading holds, so exactly 1 MiB is refused too.
 */
const MAX_ENTRIES_BYTES = 1024 * 1024;

/** AWS's measure, not the request's length: the bus name and the JSON around the fields do not count. */
function entrySize(entry: PutEventsEntry): number {
  const bytes = (text: string | undefined) => Buffer.byteLength(text ?? '', 'utf8');
  return (
    (entry.Time === undefined || entry.Time === null ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

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
        // The whole call fails, not single entries: nothing of it reaches the bus.
        const size = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
        if (size >= MAX_ENTRIES_BYTES) {
          throw new SimError(
            'ValidationException',
            'Total size of the entries in the request is over the limit.',
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
