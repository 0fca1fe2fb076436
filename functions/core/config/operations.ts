/**
 * The operations a config run can be, apart from the config's rules: the run store's schemas and
 * the tasks' contracts name them without carrying the config's schemas into their bundles.
 */
export const OPERATIONS = ['create', 'update', 'delete', 'apply', 'get'] as const;
export type Operation = (typeof OPERATIONS)[number];
