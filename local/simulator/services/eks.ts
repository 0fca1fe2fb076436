/**
 * The simulated Amazon EKS API (REST-JSON), as the real @aws-sdk/client-eks sends it: clusters,
 * add-ons and their catalogue, pod identity associations and access entries. HTTP methods, paths
 * and field names follow the SDK's own operation schemas; timestamps travel as epoch seconds.
 *
 * Counter keys other services may use (see SimulatorState.count):
 * - `iam:created:<roleArn>` — IAM's CreateRole counts it, which makes the role new to EKS for
 *   `behaviour.roleVisibleToEksAfterCalls` calls (see eks-pod-identity.ts).
 */
import { SimError } from '../protocol.ts';
import type { ServiceModule } from '../server.ts';
import { accessRoutes } from './eks-access.ts';
import { addonRoutes } from './eks-addons.ts';
import { catalogueRoutes } from './eks-catalogue.ts';
import { clusterRoutes } from './eks-clusters.ts';
import { podIdentityRoutes } from './eks-pod-identity.ts';
import { type EksRoute, matchRoute } from './eks-shared.ts';

const routes: readonly EksRoute[] = [
  ...clusterRoutes,
  ...catalogueRoutes,
  ...addonRoutes,
  ...podIdentityRoutes,
  ...accessRoutes,
];

export const eksService: ServiceModule = {
  service: 'eks',
  resolve(request, context) {
    const matched = matchRoute(routes, request);
    if (!matched) {
      const supported = [...new Set(routes.map((candidate) => candidate.operation))]
        .sort()
        .join(', ');
      throw new SimError(
        'UnknownOperationException',
        `The EKS simulator does not implement ${request.method} ${request.url.pathname}; it serves ${supported}`,
        404,
      );
    }
    const { route, labels } = matched;
    return {
      operation: route.operation,
      mutating: route.mutating,
      run: () => route.run(request, labels, context),
    };
  },
};
