import path from 'node:path';

/** Repository root: the folder holding package.json and package-lock.json. */
export const PROJECT_ROOT = path.join(import.meta.dirname, '..');

/** Folder of the Lambda tasks, one `<group>/<task>/handler.ts` each. */
export const FUNCTIONS_DIR = path.join(PROJECT_ROOT, 'functions');

/** Folder of the workflow definitions, one `<workflow>.asl.json` each. */
export const STATE_MACHINES_DIR = path.join(PROJECT_ROOT, 'state-machines');

/** Modules that replace packages in the Lambda bundles (TaskFunction's esbuild aliases). */
export const BUNDLE_ALIASES_DIR = path.join(PROJECT_ROOT, 'infra', 'bundle-aliases');
