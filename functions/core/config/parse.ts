/**
 * Reading an eksctl ClusterConfig: text → YAML (JSON is YAML too) → schema → rules.
 *
 * Files come from an S3 bucket that many people can write to, so the reader is defensive:
 * it refuses files over 1 MiB before parsing, refuses alias-heavy YAML ("billion laughs")
 * before expanding it, and reports every problem of a file in one ConfigValidationError.
 */
import { Buffer } from 'node:buffer';
import type * as z from '../zod.ts';
import { type ConfigIssue, ConfigValidationError, formatPath } from './issues.ts';
import type { Operation } from './operations.ts';
import { associationIssues, type ConfigParts, configIssues, type Scope } from './rules.ts';
import {
  addonSchema,
  type ClusterConfig,
  clusterConfigSchema,
  clusterIamSchema,
  clusterMetadataSchema,
  type PodIdentityAssociationConfig,
  podIdentityAssociationSchema,
} from './schema.ts';
import { describeValue, typeMismatch } from './wording.ts';
import { decodeYaml, isMapping } from './yaml-text.ts';

export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ParseOptions {
  /** Decides which rules apply; see rules.ts. */
  operation: Operation;
  /** The sections the run acts on (default: the associations, as `... podidentityassociation -f`). */
  scope?: Scope | undefined;
  /** Where the text came from (S3 URI, file name), for the error message. */
  source?: string;
}

/** Messages for zod issues no schema worded itself. */
function wordIssue(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' ? typeMismatch(issue.expected, issue.input) : undefined;
}

function failure(
  issues: readonly ConfigIssue[],
  source: string | undefined,
): ConfigValidationError {
  const subject = source === undefined ? 'ClusterConfig' : `ClusterConfig ${source}`;
  return new ConfigValidationError(subject, issues, source);
}

/** The text as plain data, or the reasons it cannot be read. */
function readText(text: string): { value: unknown } | { issues: ConfigIssue[] } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    const message = `the file is ${bytes} bytes; config files are limited to 1 MiB (${MAX_CONFIG_BYTES} bytes), so split the associations across several files`;
    return { issues: [{ path: '', message }] };
  }
  const decoded = decodeYaml(text);
  if ('value' in decoded) return decoded;
  return { issues: decoded.problems.map((message) => ({ path: '', message })) };
}

function listOrNull(value: unknown): readonly unknown[] | null | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value : null;
}

/**
 * The association list of an `iam` section that failed its schema. When the list itself is
 * missing or not a list, the section's own problem (a misspelt `podIdentityAssociation`, say)
 * is the story, so "no associations" is not added to it.
 */
function salvageAssociations(
  iam: unknown,
): readonly (PodIdentityAssociationConfig | null)[] | null | undefined {
  if (iam === undefined || iam === null) return undefined;
  const parsed = clusterIamSchema.safeParse(iam);
  if (parsed.success) return parsed.data.podIdentityAssociations;
  const list = isMapping(iam) ? iam.podIdentityAssociations : undefined;
  if (!Array.isArray(list)) return null;
  return list.map((entry) => podIdentityAssociationSchema.safeParse(entry).data ?? null);
}

/**
 * The parts of a config that failed validation as a whole, each parsed on its own, so the
 * rules can still check the entries that are well-typed.
 */
function partsOfInvalid(raw: Record<string, unknown>): ConfigParts {
  const addons = listOrNull(raw.addons);
  return {
    metadata: clusterMetadataSchema.safeParse(raw.metadata).data ?? null,
    associations: salvageAssociations(raw.iam),
    addons:
      addons === null ? null : addons?.map((addon) => addonSchema.safeParse(addon).data ?? null),
  };
}

/**
 * Validates an eksctl ClusterConfig that is already decoded (an inline config in a workflow
 * input, for example). Throws ConfigValidationError listing every problem.
 */
export function parseClusterConfigValue(value: unknown, options: ParseOptions): ClusterConfig {
  if (!isMapping(value)) {
    const message =
      value === null || value === undefined
        ? 'the config is empty; it must be an eksctl ClusterConfig (apiVersion: eksctl.io/v1alpha5, kind: ClusterConfig)'
        : `the config must be a mapping of apiVersion, kind, metadata, iam, ...; got ${describeValue(value)}`;
    throw failure([{ path: '', message }], options.source);
  }
  const result = clusterConfigSchema.safeParse(value, { error: wordIssue });
  const issues: ConfigIssue[] = (result.error?.issues ?? []).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  const parts: ConfigParts = result.success
    ? {
        metadata: result.data.metadata,
        associations: result.data.iam?.podIdentityAssociations,
        addons: result.data.addons,
      }
    : partsOfInvalid(value);
  issues.push(...configIssues(parts, options.operation, options.scope));
  if (!result.success || issues.length > 0) throw failure(issues, options.source);
  return result.data;
}

/**
 * Parses and validates an eksctl ClusterConfig given as YAML or JSON text, applying the rules
 * of `options.operation`. Throws ConfigValidationError listing every problem of the file.
 */
export function parseClusterConfig(text: string, options: ParseOptions): ClusterConfig {
  const read = readText(text);
  if ('issues' in read) throw failure(read.issues, options.source);
  return parseClusterConfigValue(read.value, options);
}

/**
 * Validates one association that did not come from a file (CLI flags, a console input) with
 * the same rules as a file entry. `path` prefixes the paths in messages; it is empty by
 * default, so messages read `namespace must be set`.
 */
export function validateAssociationInput(
  entry: unknown,
  operation: Operation,
  options: { path?: string } = {},
): PodIdentityAssociationConfig {
  const path = options.path ?? '';
  const result = podIdentityAssociationSchema.safeParse(entry, { error: wordIssue });
  if (!result.success) {
    throw new ConfigValidationError(
      'pod identity association',
      result.error.issues.map((issue) => ({
        path: formatPath(issue.path, path),
        message: issue.message,
      })),
    );
  }
  const issues = associationIssues(result.data, path, operation);
  if (issues.length > 0) throw new ConfigValidationError('pod identity association', issues);
  return result.data;
}
