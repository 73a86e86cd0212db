/*
 * GET /topology (issue 6): the entity's Kubernetes structure, read from the
 * API server, merged with the traffic of two OAP layers: K8S_SERVICE (built
 * from Rover's access logs; fatal when OAP cannot answer) and GENERAL (the
 * agents' service calls; a warning when missing), focused on the entity and
 * bounded in size.
 *
 *   entity annotations -> workloads -> their namespaces' pods, Services,
 *   EndpointSlices, Ingresses -> OAP traffic of the entity's services and of
 *   the agents its pods run -> namespaces of called peers read too -> merge
 *   -> focus -> bound
 *
 * Answers are cached briefly per entity and window, so a tab that re-renders
 * or several viewers do not multiply the load on OAP and the API server.
 */
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import type * as K8s from '@kubernetes/client-node';
import {
  BackendRef,
  boundTopology,
  combineTrafficInputs,
  BoundTopologyOptions,
  DEFAULT_TOPOLOGY_BOUND,
  entityBackendRef,
  entityWorkloadSelector,
  fetchGeneralTraffic,
  fetchKubernetesTraffic,
  focusTopology,
  GeneralTraffic,
  mergeTopology,
  nodeId,
  OapClient,
  OapError,
  parseK8sServiceName,
  TopologyResponse,
  trafficInputFromGeneral,
  trafficInputFromOap,
} from '@skywalking-backstage/plugin-skywalking-common';
import type { TopologyOperations } from '../service/router';
import { errorMessage, isApiError, Kube } from '../tracing/kube';
import { kubeFetch, serviceProxyUrl } from './kubeFetch';
import { readNamespaces, structuralGraph, NamespaceObjects } from './structure';

/** OAP's REST/GraphQL port (SWCK's OAPServer service `<name>-oap`). */
export const OAP_HTTP_PORT = 12800;

/** What the endpoint returns: the merged graph and where its parts came from. */
export type EntityTopology = TopologyResponse & Required<Pick<TopologyResponse, 'cluster' | 'backend' | 'oap' | 'warnings'>>;

export interface TopologyServiceOptions {
  catalog: { getEntityByRef(ref: string, options: { credentials: BackstageCredentials }): Promise<Entity | undefined> };
  /** The backend an entity's tracing toggle points at, if any. */
  tracingBackend: (entityRef: string) => Promise<BackendRef | undefined>;
  clusters: () => string[];
  kubeConfig: (cluster: string) => K8s.KubeConfig;
  /** A configured OAP URL for a cluster (`skywalking.clusters.<name>.oapUrl`). */
  oapUrl: (cluster: string) => string | undefined;
  logger: LoggerService;
  /** Default 30 s. */
  cacheTtlMs?: number;
  /** Per OAP request; default 10 s. */
  oapTimeoutMs?: number;
  /** Peer namespaces read beyond the entity's own; default 20. */
  maxPeerNamespaces?: number;
  bound?: BoundTopologyOptions;
  now?: () => number;
}


export class TopologyService implements TopologyOperations {
  private readonly cache = new Map<string, { expires: number; value: Promise<EntityTopology> }>();

  constructor(private readonly options: TopologyServiceOptions) {}

  async getTopology(input: { entityRef: string; from: Date; to: Date }, credentials: BackstageCredentials): Promise<EntityTopology> {
    const ref = normalizeRef(input.entityRef);
    const now = this.options.now?.() ?? Date.now();
    // minute buckets: the same tab asking again a second later hits the cache
    const key = `${ref}|${Math.floor(input.from.getTime() / 60_000)}|${Math.floor(input.to.getTime() / 60_000)}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = this.compute(ref, input.from, input.to, credentials);
    this.cache.set(key, { expires: now + (this.options.cacheTtlMs ?? 30_000), value });
    value.catch(() => this.cache.delete(key)); // errors are not cached
    for (const [k, v] of this.cache) if (v.expires <= now) this.cache.delete(k);
    return value;
  }

  private async compute(ref: string, from: Date, to: Date, credentials: BackstageCredentials): Promise<EntityTopology> {
    const entity = await this.options.catalog.getEntityByRef(ref, { credentials });
    if (!entity) throw new NotFoundError(`no catalog entity ${ref}`);
    const selector = entityWorkloadSelector(entity);
    if (!selector) {
      throw new InputError(
        `${ref} has no Kubernetes annotations: add backstage.io/kubernetes-id or backstage.io/kubernetes-label-selector to see its topology`,
      );
    }
    const backend = (await this.options.tracingBackend(ref)) ?? entityBackendRef(entity);
    if (!backend) {
      throw new NotFoundError(
        `no SkyWalking backend is bound to ${ref}: choose one in its tracing card or annotate it with skywalking.apache.org/backend: <cluster>/<namespace>/<name>`,
      );
    }
    const cluster = selector.cluster ?? backend.cluster;
    if (!this.options.clusters().includes(cluster)) {
      throw new InputError(`cluster ${cluster} of ${ref} is not configured (configured: ${this.options.clusters().join(', ') || 'none'})`);
    }
    const kc = this.options.kubeConfig(cluster);
    const kube = await Kube.create(kc);
    const onCluster = async <T>(doing: string, work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (e) {
        const where = kube.server ? ` (${kube.server})` : '';
        if (isApiError(e)) throw new ServiceUnavailableError(`cluster ${cluster}${where}: ${doing} failed: ${errorMessage(e)}`);
        throw new ServiceUnavailableError(`cluster ${cluster}${where} is unreachable: ${errorMessage(e)}`);
      }
    };

    const workloads = await onCluster('listing workloads', () => kube.listWorkloads(selector.labelSelector, selector.namespace));
    if (!workloads.length) {
      throw new NotFoundError(
        `no Deployment, StatefulSet or DaemonSet matches ${selector.labelSelector} in cluster ${cluster}${selector.namespace ? ` namespace ${selector.namespace}` : ''}`,
      );
    }
    const seeds = workloads.map(w => nodeId.workload(w.metadata.namespace, w.kind, w.metadata.name));
    const namespaces = new Map<string, NamespaceObjects>();
    const read = async (names: string[]) => {
      const todo = names.filter(n => !namespaces.has(n));
      const objects = await onCluster('reading namespaces', () => readNamespaces(kc, todo));
      todo.forEach((n, i) => namespaces.set(n, objects[i]));
    };
    await read([...new Set(workloads.map(w => w.metadata.namespace))]);

    // the entity's own Services, as OAP names them (with and without a cluster prefix)
    const structure = structuralGraph([...namespaces.values()]);
    const structureOnly = focusTopology(mergeTopology(structure, undefined), seeds);
    const entityServices = structureOnly.nodes.filter(n => n.kind === 'service');
    const oapNames = entityServices.flatMap(n => [`${n.name}.${n.namespace}`, `${cluster}::${n.name}.${n.namespace}`]);
    // the agents' service names its pods report as (GENERAL layer)
    const focused = new Set(structureOnly.nodes.map(n => n.id));
    const agentNames = [
      ...new Set((structure.pods ?? []).filter(p => focused.has(nodeId.pod(p.namespace, p.name))).flatMap(p => p.agentServices ?? [])),
    ].sort();

    const { client, url, via } = this.oapClient(cluster, backend, kc);
    const oapOf = `OAP of backend ${backend.cluster}/${backend.namespace}/${backend.name} at ${url} (${via})`;
    const generalPromise = fetchGeneralTraffic(client, { from, to, services: agentNames, shortNames: entityServices.map(n => n.name) }).then(
      t => ({ traffic: t as GeneralTraffic | undefined, warnings: generalWarnings(ref, t, agentNames, entityServices.map(n => n.name)) }),
      // not fatal: the Kubernetes layer is still drawn
      e => ({ traffic: undefined, warnings: [`GENERAL layer (agents) not shown: ${oapOf} did not answer: ${errorMessage(e)}`] }),
    );
    let traffic;
    try {
      traffic = await fetchKubernetesTraffic(client, { from, to, services: oapNames });
    } catch (e) {
      if (e instanceof OapError) {
        throw new ServiceUnavailableError(`${oapOf} did not answer: ${e.message}`);
      }
      throw e;
    } finally {
      await generalPromise; // no request left running behind the answer
    }
    const general = await generalPromise;

    // peers called in other namespaces: read those too, so their calls resolve
    const peers = new Set<string>();
    const k8sNames = [
      ...traffic.services.map(s => s.name),
      ...traffic.relations.flatMap(r => [r.sourceName, r.targetName]),
      ...(general.traffic?.services.flatMap(s => s.k8sServices) ?? []),
    ];
    for (const name of k8sNames) {
      const ns = parseK8sServiceName(name)?.namespace;
      if (ns && !namespaces.has(ns)) peers.add(ns);
    }
    for (const s of general.traffic?.services ?? []) {
      // an agent's peer by cluster DNS name: svc.ns.svc[.domain][:port]
      const m = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(?:\.[a-z0-9.-]+)?(?::\d+)?$/.exec(s.isReal ? '' : s.name);
      if (m && !namespaces.has(m[1])) peers.add(m[1]);
    }
    const extra = [...peers].sort().slice(0, this.options.maxPeerNamespaces ?? 20);
    if (extra.length) {
      try {
        await read(extra);
      } catch (e) {
        // not fatal: their relations are then counted as unresolved
        this.options.logger.warn(`topology of ${ref}: could not read peer namespaces ${extra.join(', ')}: ${errorMessage(e)}`);
      }
    }

    const input = combineTrafficInputs(trafficInputFromOap(traffic), general.traffic && trafficInputFromGeneral(general.traffic));
    const merged = mergeTopology(structuralGraph([...namespaces.values()]), input);
    const graph = boundTopology(focusTopology(merged, seeds), this.options.bound ?? DEFAULT_TOPOLOGY_BOUND);
    const warnings = [...traffic.warnings, ...general.warnings, ...(general.traffic?.warnings ?? [])];
    return { ...graph, entityRef: ref, cluster, backend, oap: { url, via }, warnings };
  }

  private oapClient(cluster: string, backend: BackendRef, kc: K8s.KubeConfig) {
    const timeoutMs = this.options.oapTimeoutMs ?? 10_000;
    // a configured URL belongs to the backend's cluster
    const configured = this.options.oapUrl(backend.cluster);
    if (configured) {
      return { client: new OapClient({ baseUrl: configured, timeoutMs }), url: configured, via: 'url' as const };
    }
    const backendKc = backend.cluster === cluster ? kc : this.options.kubeConfig(backend.cluster);
    const server = backendKc.getCurrentCluster()?.server;
    if (!server) throw new ServiceUnavailableError(`cluster ${backend.cluster} has no API server URL to proxy OAP through`);
    const url = serviceProxyUrl(server, backend.namespace, `${backend.name}-oap`, OAP_HTTP_PORT);
    return { client: new OapClient({ baseUrl: url, timeoutMs, fetch: kubeFetch(backendKc) }), url, via: 'service-proxy' as const };
  }
}

/** What the GENERAL layer lacks, named: which agents OAP has not seen. */
export function generalWarnings(ref: string, t: GeneralTraffic, agentNames: string[], serviceNames: string[]): string[] {
  if (!t.services.length) {
    return [
      agentNames.length
        ? `GENERAL layer (agents): OAP lists no service ${agentNames.join(', ')} that the pods of ${ref} report as; their agents have not reported yet`
        : `GENERAL layer (agents): no pod of ${ref} runs a SkyWalking agent (no SW_AGENT_NAME) and OAP lists no agent service named ${serviceNames.join(', ') || '(no Service)'}; turn tracing on to see the agents' calls`,
    ];
  }
  return t.missing.length ? [`GENERAL layer (agents): OAP lists no service ${t.missing.join(', ')} that pods of ${ref} report as; their agents have not reported yet`] : [];
}

function normalizeRef(entityRef: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(entityRef));
  } catch (e) {
    throw new InputError(`invalid entity ref ${JSON.stringify(entityRef)}: ${(e as Error).message}`);
  }
}
