import { NamedError } from '../errors.ts';

/** One problem in a config, at a path written the way eksctl writes them: `iam.podIdentityAssociations[2].roleARN`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `['iam', 'podIdentityAssociations', 2, 'roleARN']` → `iam.podIdentityAssociations[2].roleARN`,
 * appended to `base` when given.
 */
export function formatPath(segments: readonly PropertyKey[], base = ''): string {
  let path = base;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      path += `[${segment}]`;
    } else {
      const name = String(segment);
      if (!IDENTIFIER.test(name)) path += `[${JSON.stringify(name)}]`;
      else path += path === '' ? name : `.${name}`;
    }
  }
  return path;
}

/** `base.field`, or `field` alone when there is no base (a single association from flags). */
export function joinPath(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether a message already names its own path as a whole path (`...[1]` is not `...[10]`).
 * eksctl's messages often do (`iam.podIdentityAssociations[0].namespace must be set`); those
 * are shown as they are instead of being prefixed with the path a second time. A bare name
 * (`policy`, a field of an association given by flags) counts after the start only as the head
 * of a longer path (`association.roleARN`): alone there, it is prose or an example
 * (`e.g. policy: '{...}'`).
 */
function namesPath(message: string, path: string): boolean {
  const escaped = escapeRegExp(path);
  const anywhere = `(?:^|[\\s(])${escaped}`;
  const pattern = /[.[]/.test(path)
    ? `${anywhere}(?=$|[\\s.:,;)])`
    : `^${escaped}(?=$|[\\s.:,;)])|${anywhere}(?=[.[])`;
  return new RegExp(pattern).test(message);
}

export function issueLine(issue: ConfigIssue): string {
  return issue.path === '' || namesPath(issue.message, issue.path)
    ? issue.message
    : `${issue.path}: ${issue.message}`;
}

/**
 * A config (or one association) that fails validation. Carries every problem found, not only
 * the first, so one run tells the user everything to fix.
 */
export class ConfigValidationError extends NamedError {
  override readonly name = 'ConfigValidationError';
  readonly issues: readonly ConfigIssue[];
  /** Where the config came from (an S3 URI, a file name), when the caller said. */
  readonly source: string | undefined;

  /** `subject` names what was checked in the first line: "ClusterConfig s3://bucket/key". */
  constructor(subject: string, issues: readonly ConfigIssue[], source?: string) {
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super([`${subject} has ${count}:`, ...issues.map(issueLine)].join('\n'));
    this.issues = issues;
    this.source = source;
  }
}
