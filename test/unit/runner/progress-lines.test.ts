import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workflowStates } from '../../../local/runner/definition.ts';
import { ProgressLines } from '../../../local/runner/progress-lines.ts';

function follow(workflow: string | undefined) {
  const lines: string[] = [];
  const definition = workflow === undefined ? undefined : workflowStates(workflow);
  return { progress: new ProgressLines(definition, (line) => lines.push(line)), lines };
}

describe('progress lines', () => {
  it('counts the associations of the batches, and a batch that failed past its Catch apart', () => {
    const { progress, lines } = follow('associations');
    progress.entered('Process Batches', { plan: { batches: [[], []], itemCount: 70 } });
    progress.mapStarted('Process Batches', 2);
    progress.exited('Process Batch', { itemCount: 50 });
    progress.iterationEnded('Process Batches', true);
    progress.iterationEnded('Process Batches', false);
    assert.deepEqual(lines, [
      'Process Batches: 50 / 70 associations done',
      'Process Batches: 50 / 70 associations done (1 batch(es) failed)',
    ]);
  });

  it('says which cluster it waits for and counts the looks', () => {
    const { progress, lines } = follow('bootstrap-cluster');
    for (const status of ['CREATING', 'CREATING']) {
      progress.entered('Wait For Cluster', { clusterName: 'new', cluster: { status } });
    }
    assert.deepEqual(lines, [
      'Wait For Cluster: waiting for cluster "new" (CREATING), look 1',
      'Wait For Cluster: waiting for cluster "new" (CREATING), look 2',
    ]);
  });

  it('counts items when the workflow is not one this checkout ships', () => {
    assert.equal(workflowStates('not-shipped'), undefined);
    const { progress, lines } = follow(undefined);
    progress.entered('Process Batches', { plan: { batches: [[]], itemCount: 9 } }, 'Map');
    progress.mapStarted('Process Batches', 1);
    progress.iterationEnded('Process Batches', false);
    assert.deepEqual(lines, ['Process Batches: 1 / 1 items done (1 failed)']);
  });
});
