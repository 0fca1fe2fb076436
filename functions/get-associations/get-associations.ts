import type { ExistingAssociation } from '../core/associations/existing.ts';
import { buildGetReport, type GetReport } from '../core/associations/report.ts';
import { asError } from '../core/errors.ts';

export interface GetAssociationsInput {
  clusterName: string;
  region: string;
  filter?: { namespace?: string | undefined; serviceAccount?: string | undefined } | undefined;
}

export interface GetAssociationsDeps {
  listAssociations(
    clusterName: string,
    filter: { namespace?: string | undefined; serviceAccount?: string | undefined },
  ): Promise<{ associationId: string }[]>;
  describeAll(clusterName: string, ids: string[]): Promise<ExistingAssociation[]>;
}

/**
 * eksctl's `get podidentityassociation`, with every page listed (eksctl reads only the first) and
 * the fields eksctl leaves out (target role, session tags, whether eks-pia manages it).
 */
export async function getAssociations(
  input: GetAssociationsInput,
  deps: GetAssociationsDeps,
): Promise<GetReport> {
  const filter = input.filter ?? {};
  const summaries = await deps
    .listAssociations(input.clusterName, filter)
    .catch((error: unknown) => {
      // eksctl's words (spec §3); the error keeps its name, so a throttled call is still retried.
      const failure = asError(error);
      failure.message = `failed to list pod identity associations: ${failure.message}`;
      throw failure;
    });
  const associations = await deps.describeAll(
    input.clusterName,
    summaries.map((summary) => summary.associationId),
  );
  return buildGetReport({
    clusterName: input.clusterName,
    region: input.region,
    ...(input.filter ? { filter: input.filter } : {}),
    associations,
  });
}
