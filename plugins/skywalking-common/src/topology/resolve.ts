/*
 * How one side of a traffic relation (an OAP service name, a pod, an
 * address, an agent's service name, an agent's peer) finds its node in the
 * structural graph. Pure; used by `mergeTopology`.
 */
import { parseK8sServiceName } from '../oap/kubernetesTraffic';
import type {
  StructuralGraph,
  StructuralPod,
  StructuralService,
  TrafficEndpoint,
} from './types';

/** OAP's `Const.UNKNOWN`, the service of an address OAP could not resolve. */
const OAP_UNKNOWN = 'Unknown';
/** OAP's conjectural node of calls from outside any agent (`Const.USER_SERVICE_NAME`). */
const OAP_USER = 'User';

/** @public */
export const nodeId = {
  service: (namespace: string, name: string) => `service:${namespace}/${name}`,
  pod: (namespace: string, name: string) => `pod:${namespace}/${name}`,
  workload: (namespace: string, kind: string, name: string) =>
    `workload:${namespace}/${kind}/${name}`,
  ingress: (namespace: string, name: string) => `ingress:${namespace}/${name}`,
  external: (address: string) => `external:${address}`,
};

/** `ip`, `ip:port`, `[v6]:port`, `v6` to the bare host. @public */
export function hostOfAddress(address: string): string {
  const a = address.trim();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (v6) return v6[1].toLowerCase();
  if ((a.match(/:/g) ?? []).length > 1) return a.toLowerCase(); // bare IPv6
  const i = a.lastIndexOf(':');
  return (i >= 0 ? a.slice(0, i) : a).toLowerCase();
}

/** 127.0.0.0/8, ::1, localhost. @public */
export function isLoopback(host: string): boolean {
  return (
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '::1' ||
    host === '0:0:0:0:0:0:0:1' ||
    host === 'localhost' ||
    /^::ffff:127\./.test(host)
  );
}

const isIp = (host: string) =>
  /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');

/**
 * OAP's short name of a service: the part after `group::` (OAP's
 * `IDManager.ServiceID` splits names at `::`).
 * @public
 */
export function oapShortName(name: string): string {
  const i = name.indexOf('::');
  return i >= 0 ? name.slice(i + 2) : name;
}

/** @internal */
export type Resolution =
  | { kind: 'node'; id: string }
  | { kind: 'loopback' }
  | { kind: 'unresolved'; reason: string };

/** @internal */
export function describeEndpoint(ep: TrafficEndpoint): string {
  const parts: string[] = [];
  if (ep.agentService) parts.push(`agent ${ep.agentService}`);
  if (ep.peer) parts.push(`peer ${ep.peer}`);
  if (ep.oapService) parts.push(ep.oapService);
  if (ep.pod)
    parts.push(`pod ${ep.namespace ? `${ep.namespace}/` : ''}${ep.pod}`);
  if (ep.address) parts.push(ep.address);
  if (ep.container) parts.push(`container ${ep.container}`);
  return parts.join(' ') || '(empty)';
}

/** Lookup tables of the structural graph and the resolution rules. @internal */
export class Resolver {
  readonly podsByKey = new Map<string, StructuralPod>();
  readonly podsByIp = new Map<string, StructuralPod[]>();
  readonly servicesByKey = new Map<string, StructuralService>();
  readonly servicesByIp = new Map<string, StructuralService>();
  readonly servicesByName = new Map<string, StructuralService[]>();
  readonly podsByAgent = new Map<string, StructuralPod[]>();
  /** pod key -> Services selecting it (filled by the merge from its selects edges). */
  readonly servicesOfPod = new Map<string, StructuralService[]>();

  constructor(
    structure: StructuralGraph,
    private readonly order: 'pod-first' | 'service-first',
  ) {
    for (const s of structure.services ?? []) {
      this.servicesByKey.set(`${s.namespace}/${s.name}`, s);
      this.servicesByName.set(s.name, [
        ...(this.servicesByName.get(s.name) ?? []),
        s,
      ]);
      for (const ip of s.clusterIPs ?? []) {
        if (ip && ip !== 'None') this.servicesByIp.set(ip.toLowerCase(), s);
      }
    }
    for (const p of structure.pods ?? []) {
      this.podsByKey.set(`${p.namespace}/${p.name}`, p);
      if (!p.hostNetwork) {
        for (const ip of p.ips ?? []) {
          const key = ip.toLowerCase();
          this.podsByIp.set(key, [...(this.podsByIp.get(key) ?? []), p]);
        }
      }
      for (const a of new Set(p.agentServices ?? [])) {
        this.podsByAgent.set(a, [...(this.podsByAgent.get(a) ?? []), p]);
      }
    }
  }

  selected(service: StructuralService, pod: StructuralPod) {
    const key = `${pod.namespace}/${pod.name}`;
    const list = this.servicesOfPod.get(key) ?? [];
    if (!list.includes(service)) list.push(service);
    this.servicesOfPod.set(key, list);
  }

  resolveIp(host: string): Resolution | undefined {
    const byPod = (): Resolution | undefined => {
      const pods = this.podsByIp.get(host);
      if (!pods?.length) return undefined;
      if (pods.length > 1) {
        return {
          kind: 'unresolved',
          reason: `ambiguous-pod-ip (${pods.length} pods share ${host})`,
        };
      }
      return { kind: 'node', id: nodeId.pod(pods[0].namespace, pods[0].name) };
    };
    const byService = (): Resolution | undefined => {
      const s = this.servicesByIp.get(host);
      return s
        ? { kind: 'node', id: nodeId.service(s.namespace, s.name) }
        : undefined;
    };
    return this.order === 'pod-first'
      ? byPod() ?? byService()
      : byService() ?? byPod();
  }

  /** `namespaceHint`: where a bare peer host (`svc:80`) is looked up. */
  resolve(ep: TrafficEndpoint, namespaceHint?: string): Resolution {
    if (ep.agentService) {
      const r = this.resolveAgent(ep.agentService);
      if (r) return r;
      // not on a pod we read: OAP's hierarchy (oapService), else OAP's naming rule
      if (!ep.oapService) return this.resolveByShortName(ep.agentService);
    }
    if (ep.peer)
      return this.resolvePeer(ep.peer, ep.namespace ?? namespaceHint);
    const parsed = ep.oapService
      ? parseK8sServiceName(ep.oapService)
      : undefined;
    if (ep.pod) {
      const ns = ep.namespace ?? parsed?.namespace;
      const pod = ns ? this.podsByKey.get(`${ns}/${ep.pod}`) : undefined;
      if (pod) return { kind: 'node', id: nodeId.pod(pod.namespace, pod.name) };
      if (!ep.address) return { kind: 'unresolved', reason: 'pod-not-found' };
    }
    if (ep.address) {
      const host = hostOfAddress(ep.address);
      if (!host) return { kind: 'unresolved', reason: 'empty-address' };
      if (isLoopback(host)) return { kind: 'loopback' };
      const r = this.resolveIp(host);
      if (r) return r;
      // Neither a pod IP nor a Service IP: the bare address.
      return { kind: 'node', id: nodeId.external(host) };
    }
    if (ep.oapService) {
      if (ep.oapService === OAP_UNKNOWN)
        return { kind: 'unresolved', reason: 'unknown-in-oap' };
      if (!parsed) {
        // OAP names an unresolved remote by its IP in some layers.
        if (/^[\d.]+$|:/.test(ep.oapService))
          return this.resolve({ address: ep.oapService });
        return { kind: 'unresolved', reason: 'unparsable-service-name' };
      }
      const s = this.servicesByKey.get(`${parsed.namespace}/${parsed.name}`);
      if (s) return { kind: 'node', id: nodeId.service(s.namespace, s.name) };
      return { kind: 'unresolved', reason: 'service-not-in-cluster' };
    }
    return { kind: 'unresolved', reason: 'empty-endpoint' };
  }

  /**
   * The pods whose containers report as the agent service: the one Service
   * selecting them (so the agents' calls meet the Kubernetes layer's calls
   * on the same edge), else their one workload, else their one pod.
   */
  private resolveAgent(agent: string): Resolution | undefined {
    const pods = this.podsByAgent.get(agent);
    if (!pods?.length) return undefined;
    const services = new Set<StructuralService>();
    for (const p of pods)
      for (const s of this.servicesOfPod.get(`${p.namespace}/${p.name}`) ?? [])
        services.add(s);
    let candidates = [...services];
    if (candidates.length > 1) {
      const short = oapShortName(agent);
      candidates = candidates.filter(s => s.name === short);
    }
    if (candidates.length === 1) {
      const s = candidates[0];
      return { kind: 'node', id: nodeId.service(s.namespace, s.name) };
    }
    const workloads = new Set(
      pods.map(p =>
        p.workload
          ? nodeId.workload(p.namespace, p.workload.kind, p.workload.name)
          : nodeId.pod(p.namespace, p.name),
      ),
    );
    if (workloads.size === 1) return { kind: 'node', id: [...workloads][0] };
    return {
      kind: 'unresolved',
      reason: `ambiguous-agent-service (${workloads.size} workloads report as ${agent})`,
    };
  }

  /**
   * OAP's own hierarchy rule GENERAL -> K8S_SERVICE,
   * `lower-short-name-remove-ns` (hierarchy-definition.yml of OAP 10.1.0):
   * the agent's short name is the Kubernetes Service name.
   */
  private resolveByShortName(agent: string): Resolution {
    const matches = this.servicesByName.get(oapShortName(agent)) ?? [];
    if (matches.length === 1) {
      const s = matches[0];
      return { kind: 'node', id: nodeId.service(s.namespace, s.name) };
    }
    return {
      kind: 'unresolved',
      reason: matches.length
        ? `ambiguous-agent-service (Services ${matches
            .map(s => `${s.namespace}/${s.name}`)
            .join(', ')})`
        : 'agent-service-not-in-cluster',
    };
  }

  /** An agent's exit-span peer, `host[:port]`, or OAP's `User`. */
  private resolvePeer(peer: string, namespace?: string): Resolution {
    if (peer === OAP_USER) return { kind: 'node', id: nodeId.external(peer) };
    const host = hostOfAddress(peer);
    if (!host) return { kind: 'unresolved', reason: 'empty-address' };
    if (isLoopback(host)) return { kind: 'loopback' };
    if (isIp(host)) {
      return (
        this.resolveIp(host) ?? { kind: 'node', id: nodeId.external(host) }
      );
    }
    // Kubernetes DNS: svc, svc.ns, svc.ns.svc, svc.ns.svc.<cluster domain>
    const labels = host.split('.');
    const inCluster = labels.length >= 3 && labels[2] === 'svc';
    const ns = labels.length >= 2 ? labels[1] : namespace;
    if (labels.length <= 2 || inCluster) {
      const s = ns ? this.servicesByKey.get(`${ns}/${labels[0]}`) : undefined;
      if (s) return { kind: 'node', id: nodeId.service(s.namespace, s.name) };
      if (inCluster)
        return { kind: 'unresolved', reason: 'service-not-in-cluster' };
    }
    return { kind: 'node', id: nodeId.external(host) };
  }
}
