import type { Node } from 'constructs';

/**
 * A structured CDK context value: `-c key='{"a":1}'` arrives as JSON text, a value in cdk.json as
 * the object itself. Undefined when the key is not set; `invalid(reason)` builds the error for
 * text that is not JSON.
 */
export function structuredContext(
  node: Node,
  key: string,
  invalid: (reason: string) => Error,
): unknown {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw invalid(
      `context "${key}" is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
