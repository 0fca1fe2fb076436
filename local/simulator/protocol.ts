/**
 * Wire formats of the simulated services: how results and errors look to the real SDK clients.
 * A response that does not match what the SDK expects is silently misparsed (a 200 carrying an
 * error body reads as success), so every service renders through these helpers.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type ServiceName = 'eks' | 'iam' | 'sts' | 's3' | 'cloudformation' | 'events' | 'kubernetes';

export interface SimRequest {
  readonly method: string;
  readonly url: URL;
  /** Decoded path segments, e.g. `/clusters/demo/addons` → ['clusters', 'demo', 'addons']. */
  readonly segments: string[];
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Reset the connection instead of answering, as an endpoint the caller cannot reach does. */
  dropConnection?: boolean;
}

/** An AWS or Kubernetes error as the service reports it: code, message and HTTP status. */
export class SimError extends Error {
  /** Sent as the Retry-After header (throttling answers). */
  retryAfterSeconds: number | undefined;
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = defaultStatus(code),
  ) {
    super(message);
  }
}

const statusByCode: Record<string, number> = {
  // EKS
  ResourceNotFoundException: 404,
  ResourceInUseException: 409,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  ResourceLimitExceededException: 400,
  ThrottlingException: 429,
  ServerException: 500,
  ServiceUnavailableException: 503,
  AccessDeniedException: 403,
  // IAM / STS / CloudFormation
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  MalformedPolicyDocument: 400,
  LimitExceeded: 409,
  UnmodifiableEntity: 400,
  DeleteConflict: 409,
  InvalidInput: 400,
  ValidationError: 400,
  Throttling: 400,
  ServiceFailure: 500,
  AccessDenied: 403,
  // S3
  NoSuchBucket: 404,
  NoSuchKey: 404,
  SlowDown: 503,
  InternalError: 500,
  // Kubernetes reasons
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Unauthorized: 401,
  Forbidden: 403,
  BadRequest: 400,
  Invalid: 422,
  TooManyRequests: 429,
  InternalServerError: 500,
};

function defaultStatus(code: string): number {
  return statusByCode[code] ?? 400;
}

/** The error each service answers when its rate limit is exceeded. */
export function throttlingError(service: ServiceName): SimError {
  switch (service) {
    case 'eks':
      return new SimError('ThrottlingException', 'Rate exceeded');
    case 's3':
      return new SimError('SlowDown', 'Please reduce your request rate.');
    case 'kubernetes':
      return new SimError('TooManyRequests', 'Too many requests, please try again later.');
    default:
      return new SimError('Throttling', 'Rate exceeded');
  }
}

export function json(status: number, value: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  };
}

/** EventBridge (AWS JSON 1.1) error: the code travels in the body's `__type`. */
export function json11Error(error: SimError): SimResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

/** EKS (REST-JSON) error: the SDK reads the code from `x-amzn-errortype`. */
export function restJsonError(error: SimError): SimResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    body: JSON.stringify({ message: error.message }),
  };
}

const queryNamespaces: Partial<Record<ServiceName, string>> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
};

/** AWS Query protocol success: `<{Op}Response><{Op}Result>...</{Op}Result><ResponseMetadata/>`. */
export function queryResult(
  service: ServiceName,
  operation: string,
  result: XmlValue | undefined,
  requestId: string,
): SimResponse {
  const inner =
    result === undefined ? '' : `<${operation}Result>${toXml(result)}</${operation}Result>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${operation}Response xmlns="${queryNamespaces[service] ?? ''}">${inner}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

export function queryError(error: SimError, requestId: string): SimResponse {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** S3 (REST-XML) error body. */
export function s3Error(error: SimError, requestId: string): SimResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
  };
}

/** Kubernetes `Status` object, as the API server answers failures. */
export function kubernetesError(error: SimError): SimResponse {
  return json(error.status, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.code,
    code: error.status,
  });
}

/**
 * A value to serialise as XML: objects become elements, arrays become `<member>` lists (the Query
 * protocol's list shape), `undefined`/`null` fields are left out.
 */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | null
  | undefined
  | XmlMap
  | XmlValue[]
  | { [key: string]: XmlValue };

/** A Query-protocol map (such as IAM's `SummaryMap`): rendered as `<entry><key/><value/></entry>` items. */
export class XmlMap {
  constructor(readonly entries: Record<string, XmlValue>) {}
}

export function toXml(value: XmlValue): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlMap) {
    return Object.entries(value.entries)
      .map(
        ([key, item]) => `<entry><key>${escapeXml(key)}</key><value>${toXml(item)}</value></entry>`,
      )
      .join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, field]) => field !== undefined && field !== null)
      .map(([key, field]) => `<${key}>${toXml(field)}</${key}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
