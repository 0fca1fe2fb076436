/**
 * What the four steps of the migration's Map (trust, associations, annotations, OIDC trust) do
 * alike around their own per-item work: run it on the batch's items within the step's API rate,
 * keep every item's outcome (an error is the item's failed outcome, so one item never stops the
 * others), save
 * the outcomes as the batch's document of the step, which the next step reads, and count them
 * for the Map's result.
 */
import pMap from 'p-map';
import { failedWhile } from '../errors.ts';

/** Which batch of which run a step works on: the payload of each Map iteration. */
export interface BatchStepInput {
  runId: string;
  batch: number;
}

export interface BatchStep<Outcome, Count extends string> {
  /** The plan indexes of the batch's items (roles or service accounts). */
  readonly items: readonly number[];
  /** How many items are worked on at once: what the step's API allows one batch. */
  readonly concurrency: number;
  each(index: number): Promise<Outcome>;
  /** What `each` was doing to the item, for the reason of an item whose `each` threw. */
  doing(index: number): string;
  /** The outcome of an item whose `each` threw, with that reason. */
  failed(index: number, reason: string): Outcome;
  /** Each count of the Map's result, as the outcomes it counts. */
  readonly counts: Readonly<Record<Count, (outcome: Outcome) => boolean>>;
}

export type BatchStepResult<Count extends string> = { batch: number } & Record<Count, number>;

/** Where a step keeps its outcomes: the batch's document of the step. */
export type SaveOutcomes<Outcome> = (
  runId: string,
  batch: number,
  outcomes: Outcome[],
) => Promise<unknown>;

export async function runBatchStep<Outcome, Count extends string>(
  input: BatchStepInput,
  save: SaveOutcomes<Outcome>,
  step: BatchStep<Outcome, Count>,
): Promise<BatchStepResult<Count>> {
  const outcomes = await pMap(
    step.items,
    async (index) => {
      try {
        return await step.each(index);
      } catch (error) {
        return step.failed(index, failedWhile(step.doing(index), error));
      }
    },
    { concurrency: step.concurrency },
  );
  await save(input.runId, input.batch, outcomes);
  const counts = Object.entries<(outcome: Outcome) => boolean>(step.counts).map(
    ([count, counted]) => [count, outcomes.filter(counted).length],
  );
  return { batch: input.batch, ...Object.fromEntries(counts) };
}
