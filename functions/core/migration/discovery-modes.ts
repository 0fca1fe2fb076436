/**
 * Where IRSA service accounts are found: `kubernetes` (annotations, reconciled with IAM trust),
 * `iam` (trust policies alone, no cluster access needed), `auto` (Kubernetes when its API
 * answers, else IAM with a warning). A module of its own: the tasks and documents that name a
 * mode need not carry the workflow input's schema (request.ts) in their bundles.
 */
export const DISCOVERY_MODES = ['auto', 'kubernetes', 'iam'] as const;
export type DiscoveryMode = (typeof DISCOVERY_MODES)[number];
