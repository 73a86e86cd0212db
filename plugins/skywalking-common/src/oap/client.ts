import type { OapDuration } from './duration';
import {
  GraphQLErrorEntry,
  OapGraphQLError,
  OapHttpError,
  OapInvalidResponseError,
  OapResponseTooLargeError,
  OapTimeoutError,
  OapUnreachableError,
} from './errors';
import {
  OAP_QUERIES,
  batchedExpressionQuery,
  batchedInstanceTopologyQuery,
  batchedServiceHierarchyQuery,
} from './queries';
import type {
  OapEntity,
  OapExpressionResult,
  OapInstanceTopology,
  OapService,
  OapServiceHierarchy,
  OapServiceInstance,
  OapTimeInfo,
  OapTopology,
} from './types';

/** @public */
export interface OapClientOptions {
  /**
   * OAP's HTTP address, e.g. `http://oap.skywalking:12800`. `/graphql` is
   * appended unless the URL already ends with it.
   */
  baseUrl: string;
  /** Extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Max aliased fields per batched request; default 100. */
  batchSize?: number;
  /**
   * Largest response body read, in bytes; default 32 MiB. A larger body is
   * refused (OapResponseTooLargeError) and its connection aborted, so a
   * misbehaving OAP or proxy cannot fill the portal's memory.
   */
  maxResponseBytes?: number;
}

/** @public */
export const DEFAULT_OAP_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Reads a body up to `maxBytes`; past it, aborts the request and throws.
 * Checks a declared Content-Length first, then counts what arrives.
 */
async function readCapped(
  response: Response,
  url: string,
  maxBytes: number,
  abort: () => void,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    abort();
    throw new OapResponseTooLargeError(url, maxBytes, declared);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      abort();
      await reader.cancel().catch(() => undefined);
      throw new OapResponseTooLargeError(url, maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** One `execExpression` of a batch. @public */
export interface OapExpressionRequest {
  expression: string;
  entity: OapEntity;
}

/** @public */
export interface OapInstanceTopologyRequest {
  clientServiceId: string;
  serverServiceId: string;
}

/**
 * A typed client of the OAP GraphQL API (the subset listed in
 * {@link OAP_QUERIES}).
 * @public
 */
export class OapClient {
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly batchSize: number;
  private readonly maxResponseBytes: number;

  constructor(options: OapClientOptions) {
    if (!options?.baseUrl)
      throw new TypeError('OapClient: baseUrl is required');
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`OapClient: invalid baseUrl "${options.baseUrl}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(
        `OapClient: baseUrl must be http(s), got ${parsed.protocol}`,
      );
    }
    const base = parsed.toString().replace(/\/+$/, '');
    this.url = /\/graphql$/.test(base) ? base : `${base}/graphql`;
    this.headers = { ...(options.headers ?? {}) };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    this.maxResponseBytes =
      options.maxResponseBytes ?? DEFAULT_OAP_MAX_RESPONSE_BYTES;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') {
      throw new TypeError('OapClient: no fetch implementation available');
    }
    this.fetchImpl = f;
  }

  /** Sends one GraphQL document and returns `data`, or throws an OapError. */
  async request<T>(
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      try {
        response = await this.fetchImpl(this.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...this.headers,
          },
          body: JSON.stringify({ query, variables }),
          signal: controller.signal,
        });
        text = await readCapped(response, this.url, this.maxResponseBytes, () =>
          controller.abort(),
        );
      } catch (e) {
        if (e instanceof OapResponseTooLargeError) throw e;
        if (timedOut) throw new OapTimeoutError(this.url, this.timeoutMs);
        throw new OapUnreachableError(this.url, e);
      }
    } finally {
      clearTimeout(timer);
    }
    let body: { data?: unknown; errors?: GraphQLErrorEntry[] } | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    // GraphQL errors may come with 200 (OAP) or 4xx (GraphQL over HTTP).
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      throw new OapGraphQLError(this.url, body.errors, body.data ?? null);
    }
    if (!response.ok) {
      throw new OapHttpError(
        this.url,
        response.status,
        response.statusText,
        text,
      );
    }
    if (!body || typeof body !== 'object' || !('data' in body)) {
      throw new OapInvalidResponseError(
        this.url,
        body ? 'no "data" field' : `not JSON: ${text.slice(0, 120)}`,
      );
    }
    if (body.data === null || typeof body.data !== 'object') {
      throw new OapInvalidResponseError(this.url, '"data" is null');
    }
    return body.data as T;
  }

  async listLayers(): Promise<string[]> {
    const d = await this.request<{ listLayers: string[] }>(
      OAP_QUERIES.listLayers,
    );
    return d.listLayers;
  }

  async listServices(layer?: string): Promise<OapService[]> {
    const d = await this.request<{ listServices: OapService[] }>(
      OAP_QUERIES.listServices,
      { layer: layer ?? null },
    );
    return d.listServices;
  }

  async listInstances(
    serviceId: string,
    duration: OapDuration,
  ): Promise<OapServiceInstance[]> {
    const d = await this.request<{ listInstances: OapServiceInstance[] }>(
      OAP_QUERIES.listInstances,
      { serviceId, duration },
    );
    return d.listInstances;
  }

  async getTimeInfo(): Promise<OapTimeInfo | null> {
    const d = await this.request<{ getTimeInfo: OapTimeInfo | null }>(
      OAP_QUERIES.getTimeInfo,
    );
    return d.getTimeInfo;
  }

  async getGlobalTopology(
    duration: OapDuration,
    layer?: string,
  ): Promise<OapTopology> {
    const d = await this.request<{ getGlobalTopology: OapTopology | null }>(
      OAP_QUERIES.getGlobalTopology,
      { duration, layer: layer ?? null },
    );
    return d.getGlobalTopology ?? { nodes: [], calls: [] };
  }

  async getServicesTopology(
    serviceIds: string[],
    duration: OapDuration,
  ): Promise<OapTopology> {
    const d = await this.request<{ getServicesTopology: OapTopology | null }>(
      OAP_QUERIES.getServicesTopology,
      { serviceIds, duration },
    );
    return d.getServicesTopology ?? { nodes: [], calls: [] };
  }

  async getServiceInstanceTopology(
    clientServiceId: string,
    serverServiceId: string,
    duration: OapDuration,
  ): Promise<OapInstanceTopology> {
    const d = await this.request<{
      getServiceInstanceTopology: OapInstanceTopology | null;
    }>(OAP_QUERIES.getServiceInstanceTopology, {
      clientServiceId,
      serverServiceId,
      duration,
    });
    return d.getServiceInstanceTopology ?? { nodes: [], calls: [] };
  }

  /** Instance topologies of many service pairs, batched through aliases. */
  async getServiceInstanceTopologies(
    pairs: OapInstanceTopologyRequest[],
    duration: OapDuration,
  ): Promise<OapInstanceTopology[]> {
    const out: OapInstanceTopology[] = [];
    for (let start = 0; start < pairs.length; start += this.batchSize) {
      const chunk = pairs.slice(start, start + this.batchSize);
      const variables: Record<string, unknown> = { duration };
      chunk.forEach((p, i) => {
        variables[`c${i}`] = p.clientServiceId;
        variables[`s${i}`] = p.serverServiceId;
      });
      const d = await this.request<Record<string, OapInstanceTopology | null>>(
        batchedInstanceTopologyQuery(chunk.length),
        variables,
      );
      chunk.forEach((_, i) => out.push(d[`t${i}`] ?? { nodes: [], calls: [] }));
    }
    return out;
  }

  /**
   * OAP's layer hierarchy of many services (`getServiceHierarchy`, one
   * `layer` for all), batched through aliases; results in input order.
   */
  async getServiceHierarchies(
    serviceIds: string[],
    layer: string,
  ): Promise<OapServiceHierarchy[]> {
    const out: OapServiceHierarchy[] = [];
    for (let start = 0; start < serviceIds.length; start += this.batchSize) {
      const chunk = serviceIds.slice(start, start + this.batchSize);
      const variables: Record<string, unknown> = { layer };
      chunk.forEach((id, i) => (variables[`s${i}`] = id));
      const d = await this.request<Record<string, OapServiceHierarchy | null>>(
        batchedServiceHierarchyQuery(chunk.length),
        variables,
      );
      chunk.forEach((_, i) => out.push(d[`h${i}`] ?? { relations: [] }));
    }
    return out;
  }

  /** MQE: `execExpression(expression, entity, duration)`. */
  async execExpression(
    expression: string,
    entity: OapEntity,
    duration: OapDuration,
  ): Promise<OapExpressionResult> {
    const d = await this.request<{ execExpression: OapExpressionResult }>(
      OAP_QUERIES.execExpression,
      { expression, entity, duration },
    );
    return d.execExpression;
  }

  /** Many MQE expressions, batched through aliases; results in input order. */
  async execExpressions(
    requests: OapExpressionRequest[],
    duration: OapDuration,
  ): Promise<OapExpressionResult[]> {
    const out: OapExpressionResult[] = [];
    for (let start = 0; start < requests.length; start += this.batchSize) {
      const chunk = requests.slice(start, start + this.batchSize);
      const variables: Record<string, unknown> = { duration };
      chunk.forEach((r, i) => {
        variables[`e${i}`] = r.expression;
        variables[`n${i}`] = r.entity;
      });
      const d = await this.request<Record<string, OapExpressionResult>>(
        batchedExpressionQuery(chunk.length),
        variables,
      );
      chunk.forEach((_, i) => out.push(d[`m${i}`]));
    }
    return out;
  }
}
