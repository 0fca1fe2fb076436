/**
 * Where a run's associations came from, and how messages name it. Apart from request.ts, so that
 * a task that only names the source (plan-associations' refusal) does not carry the request's
 * parsing in its bundle.
 */

/** Where the associations of a run came from, for messages and the report. */
export type RequestSource =
  | {
      kind: 's3';
      bucket: string;
      key: string;
      versionId?: string | undefined;
      trigger: 'event' | 'input';
    }
  | { kind: 'inline' }
  | { kind: 'flags' };

/** `s3://bucket/key`, `inline config` or `flags`: how messages and the report name the source. */
export function describeSource(source: RequestSource): string {
  if (source.kind === 's3') {
    const version = source.versionId === undefined ? '' : ` (version ${source.versionId})`;
    return `s3://${source.bucket}/${source.key}${version}`;
  }
  return source.kind === 'inline' ? 'inline config' : 'flags';
}
