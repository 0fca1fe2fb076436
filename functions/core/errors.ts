/**
 * Base of every error the service raises on purpose.
 *
 * Step Functions routes a failed task on the error's `name` (`ErrorEquals`), and bundles are
 * minified, so each subclass states its name as a literal instead of relying on the class name.
 */
export abstract class NamedError extends Error {
  abstract override readonly name: string;
}

/**
 * An error class whose name is `name` and that carries nothing but its message: NamedError asks
 * each class to state its name as a literal, and such a class is declared with that literal alone.
 */
export function namedErrorClass(name: string) {
  return class extends NamedError {
    override readonly name = name;
  };
}

/** Narrows a caught value so its name and message can be read safely. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Why an item failed: `error` met while `doing` its work (`creating role "x": AccessDenied`). */
export function failedWhile(doing: string, error: unknown): string {
  return `${doing}: ${asError(error).message}`;
}

/**
 * What `call` resolves to, or `instead` when it fails with an error of class `expected`: an answer
 * such as "no such entity" or "already exists" that the caller takes as an outcome, not a
 * failure. Any other error goes on.
 */
export async function orIfThrown<T, Instead>(
  call: Promise<T>,
  expected: abstract new (...args: never[]) => Error,
  instead: Instead,
): Promise<T | Instead> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof expected) return instead;
    throw error;
  }
}
