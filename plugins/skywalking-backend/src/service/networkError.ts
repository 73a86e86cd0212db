import { ClusterUnreachableError } from '../clusters/ClusterRegistry';

/**
 * A request that got no answer from the API server (connection refused,
 * reset, timeout, TLS failure: node-fetch's FetchError of type system), as
 * opposed to an error the API server answered with (ApiException, numeric code).
 */
export function isNetworkError(e: any): boolean {
  if (!e || typeof e !== 'object') return false;
  if (e instanceof ClusterUnreachableError) return true;
  if (e.type === 'system' || e.type === 'request-timeout' || e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return true;
  return e.cause ? isNetworkError(e.cause) : false;
}

/** Errors the portal raises on what the API server answered (404 read, refused upgrade): they count as answers. */
const ANSWER_ERRORS = new Set(['NotFoundError', 'ConflictError', 'InputError', 'NotAllowedError']);

/**
 * Whether the API server answered the failed request (an HTTP status, or a
 * decision the portal took on its answer). Only these are attempts of an
 * outbox entry: an unreachable cluster, a timeout or a bug in the portal
 * leaves the entry waiting, never closer to being given up.
 */
export function answeredByApiServer(e: any): boolean {
  if (!e || typeof e !== 'object' || isNetworkError(e)) return false;
  if (typeof e.code === 'number' && e.code >= 100 && e.code < 600) return true;
  if (typeof e.statusCode === 'number' && e.statusCode >= 100 && e.statusCode < 600) return true;
  return ANSWER_ERRORS.has(e.name);
}
