import type { ContractDescriptor } from '../functions/core/task-descriptor.ts';

/**
 * The descriptor of a test fixture task that returns at once, given what it shares with the task
 * it stands in for: a real task's AWS calls and grants (so a stack built on fixtures has the real
 * IAM), its shared role, its VPC need.
 */
export function instantFixtureDescriptor(
  likeTask: Pick<ContractDescriptor, 'sharedRole' | 'kubernetesApi'> &
    Partial<Pick<ContractDescriptor, 'awsCalls' | 'grants'>> = {},
): ContractDescriptor {
  return {
    timeoutSeconds: 30,
    worstCase: { sequentialCalls: 0, why: 'A test fixture: returns at once.' },
    awsCalls: [],
    grants: [],
    ...likeTask,
  };
}
