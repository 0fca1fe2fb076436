/**
 * What makes the AWS SDK clients' error classes in the Lambda bundles (infra/task-bundle.ts,
 * `sdkErrorClassesPlugin`). Each client's `models/errors.js` spells out every error of its service
 * as a class of its own that repeats its name five times around one constructor they all share,
 * and a bundle holds them all, used or not, since the client registers each with its type
 * registry when it loads: IAM's alone were 10 KiB of a bundle, CloudFormation's 9. The plugin
 * writes each class as one call of the factory below, which makes the same class: the same base,
 * static `shapeId`, name, and instances with the same own properties in the same order, their
 * prototype reset as the SDK resets it. test/infra/bundle-size.test.ts compares them with the
 * SDK's own classes.
 */

type ServiceExceptionClass = new (options: Record<string, unknown>) => Error;

/** Defines an own property as a class field does. */
function defineField(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/**
 * The error class factory of one service: `Base` is its service exception class, `namespace` the
 * Smithy namespace of its shape ids (`com.amazonaws.iam`).
 */
export function sdkErrorClasses(Base: ServiceExceptionClass, namespace: string) {
  return (
    name: string,
    fault: 'client' | 'server',
    fields: readonly string[] = [],
    retryable?: () => object,
  ) => {
    const ServiceError = class extends Base {
      static shapeId = `${namespace}#${name}`;
      constructor(options: Record<string, unknown>) {
        super({ name, $fault: fault, ...options });
        defineField(this, 'name', name);
        defineField(this, '$fault', fault);
        if (retryable) defineField(this, '$retryable', retryable());
        Object.setPrototypeOf(this, ServiceError.prototype);
        for (const field of fields) defineField(this, field, options[field]);
      }
    };
    Object.defineProperty(ServiceError, 'name', { value: name });
    return ServiceError;
  };
}
