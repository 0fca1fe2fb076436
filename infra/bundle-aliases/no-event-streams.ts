/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (an esbuild alias of
 * TaskFunction). No operation a task calls streams events (S3's SelectObjectContent is the one
 * such operation of the clients we use, and no task calls it), yet S3's client configures a
 * marshaller at construction and every protocol can load the codecs on demand, which put about
 * 15 KiB of codecs in every bundle. The client's configuration keeps working unchanged; only
 * an attempt to stream events fails, loudly, with the reason.
 */
import { NamedError } from '../../functions/core/errors.ts';

export class EventStreamsNotBundledError extends NamedError {
  override readonly name = 'EventStreamsNotBundledError';
}

function notBundled(): never {
  throw new EventStreamsNotBundledError(
    'this Lambda bundle leaves out AWS event-stream support (infra/bundle-aliases/no-event-streams.ts); ' +
      'remove that alias from infra/task-bundle.ts before calling an operation that streams events',
  );
}

export const eventStreamSerdeProvider = () => ({ serialize: notBundled, deserialize: notBundled });

export const resolveEventStreamSerdeConfig = <
  T extends { eventStreamSerdeProvider: (config: T) => unknown },
>(
  input: T,
) => Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}
