/**
 * Errors of the OAP client, one class per failure kind so callers can tell an
 * unreachable OAP from an HTTP error status from GraphQL errors.
 */

/** @public */
export type OapErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'http'
  | 'graphql'
  | 'invalid-response'
  | 'too-large';

/** @public */
export class OapError extends Error {
  readonly kind: OapErrorKind;
  readonly url: string;
  constructor(
    kind: OapErrorKind,
    url: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'OapError';
    this.kind = kind;
    this.url = url;
  }
}

/** The connection failed (DNS, refused, reset, TLS). @public */
export class OapUnreachableError extends OapError {
  constructor(url: string, cause: unknown) {
    const detail = describeCause(cause);
    super('unreachable', url, `OAP at ${url} is unreachable: ${detail}`, cause);
    this.name = 'OapUnreachableError';
  }
}

/** No answer within the timeout. @public */
export class OapTimeoutError extends OapError {
  readonly timeoutMs: number;
  constructor(url: string, timeoutMs: number) {
    super(
      'timeout',
      url,
      `OAP at ${url} did not answer within ${timeoutMs} ms`,
    );
    this.name = 'OapTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A non-2xx HTTP status. @public */
export class OapHttpError extends OapError {
  readonly status: number;
  readonly body: string;
  constructor(url: string, status: number, statusText: string, body: string) {
    super(
      'http',
      url,
      `OAP at ${url} answered HTTP ${status}${
        statusText ? ` ${statusText}` : ''
      }${body ? `: ${body.slice(0, 200)}` : ''}`,
    );
    this.name = 'OapHttpError';
    this.status = status;
    this.body = body.slice(0, 2000);
  }
}

/** @public */
export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  extensions?: Record<string, unknown>;
}

/** The response carried GraphQL `errors`. @public */
export class OapGraphQLError extends OapError {
  readonly errors: GraphQLErrorEntry[];
  /** `data` when the server answered partially. */
  readonly data: unknown;
  constructor(url: string, errors: GraphQLErrorEntry[], data: unknown) {
    super(
      'graphql',
      url,
      `OAP at ${url} returned GraphQL error${
        errors.length === 1 ? '' : 's'
      }: ${errors
        .slice(0, 3)
        .map(e => e.message)
        .join('; ')}${
        errors.length > 3 ? ` (+${errors.length - 3} more)` : ''
      }`,
    );
    this.name = 'OapGraphQLError';
    this.errors = errors;
    this.data = data;
  }
}

/** A 2xx answer that is not a GraphQL response. @public */
export class OapInvalidResponseError extends OapError {
  constructor(url: string, detail: string) {
    super(
      'invalid-response',
      url,
      `OAP at ${url} sent an invalid response: ${detail}`,
    );
    this.name = 'OapInvalidResponseError';
  }
}

/** The body passed the client's size limit; reading stopped there. @public */
export class OapResponseTooLargeError extends OapError {
  readonly maxBytes: number;
  constructor(url: string, maxBytes: number, declared?: number) {
    super(
      'too-large',
      url,
      `OAP at ${url} sent a response larger than the limit of ${maxBytes} bytes${
        declared !== undefined ? ` (Content-Length ${declared})` : ''
      }; narrow the query (time range, services) or raise maxResponseBytes`,
    );
    this.name = 'OapResponseTooLargeError';
    this.maxBytes = maxBytes;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    if (inner instanceof Error) {
      const code = (inner as Error & { code?: string }).code;
      return code ? `${code} (${inner.message})` : inner.message;
    }
    return cause.message;
  }
  return String(cause);
}
