/** The report-bootstrap task's contract: the input it accepts and the output it returns (its handler checks both). */

import { RESULT_KINDS } from '../../core/associations/report.ts';
import {
  clusterFields,
  reportAdviceFields,
  requiredText,
  runSummaryFields,
} from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

const nullableText = z.nullable(z.string());

export const input = z.object({
  runId: requiredText(),
  run: z.looseObject({
    ...clusterFields(),
    trigger: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('event'),
        eventId: nullableText,
        eventTime: nullableText,
        requestedBy: nullableText,
      }),
      z.object({ kind: z.literal('input') }),
    ]),
    polls: z.object({ count: z.int().check(z.minimum(0)) }),
    cluster: z.looseObject({ arn: z.string(), version: z.string(), autoMode: z.boolean() }),
    agent: z.looseObject({
      report: z.looseObject({
        addonName: z.string(),
        status: nullableText,
        version: nullableText,
        autoMode: z.boolean(),
        reason: z.string(),
        created: z.boolean(),
      }),
    }),
    config: z.looseObject({
      kind: z.enum(['cluster', 'defaults', 'fleet', 'none']),
      bucket: z.string(),
      location: nullableText,
      files: z.array(z.string()),
      appliedLocation: nullableText,
      entryCount: z.int().check(z.minimum(0)),
      warnings: z.array(z.string()),
    }),
    associations: z.optional(
      z.looseObject({
        counts: z.record(z.enum(RESULT_KINDS), z.int().check(z.minimum(0))),
        reportLocation: z.string(),
        ...reportAdviceFields(),
      }),
    ),
  }),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  ...runSummaryFields('bootstrap-cluster'),
  ...reportAdviceFields(),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 1,
    why: 'One PutEvents, which may be throttled through its retry chain.',
  },
  awsCalls: ['events:PutEvents'],
  grants: ['publish-run-completed'],
};
