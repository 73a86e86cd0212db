/*
 * The structural half of the topology: Kubernetes objects as the pure merge
 * in skywalking-common wants them. Reading is one list per kind and
 * namespace; the conversion is pure and unit-tested.
 */
import type * as K8s from '@kubernetes/client-node';
import { ENV_AGENT_NAME } from '@skywalking-backstage/plugin-skywalking-common';
import type { StructuralGraph, StructuralIngress, StructuralPod } from '@skywalking-backstage/plugin-skywalking-common';
import { loadK8s } from '../clusters/k8s';

type Meta = { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>; deletionTimestamp?: unknown };

export interface NamespaceObjects {
  pods: Array<{ metadata?: Meta; spec?: { nodeName?: string; hostNetwork?: boolean; containers?: PodContainer[] }; status?: { podIP?: string; podIPs?: Array<{ ip: string }>; phase?: string } }>;
  replicaSets: Array<{ metadata?: Meta }>;
  services: Array<{ metadata?: Meta; spec?: { clusterIP?: string; clusterIPs?: string[]; selector?: Record<string, string> } }>;
  endpointSlices: Array<{ metadata?: Meta; endpoints?: Array<{ addresses?: string[]; targetRef?: { kind?: string; name?: string; namespace?: string } }> }>;
  ingresses: Array<{ metadata?: Meta; spec?: { defaultBackend?: IngressBackend; rules?: Array<{ host?: string; http?: { paths?: Array<{ path?: string; backend?: IngressBackend }> } }> } }>;
}

type IngressBackend = { service?: { name?: string } };
type PodContainer = { name?: string; env?: Array<{ name?: string; value?: string }> };

/** SWCK's annotation of the agent's service name (also what webhook-mode tracing writes). */
const SERVICE_NAME_ANNOTATION = 'agent.skywalking.apache.org/agent.service_name';
/** The agent reads its config from `-Dskywalking.<key>=` in JAVA_TOOL_OPTIONS too. */
const SERVICE_NAME_PROPERTY = /(?:^|\s)-Dskywalking\.agent\.service_name=(\S+)/;

/**
 * The SkyWalking agent service names a pod reports as: each container's
 * `SW_AGENT_NAME` (what the injector sets, ENV_AGENT_NAME) or
 * `-Dskywalking.agent.service_name` in its JAVA_TOOL_OPTIONS, else the pod's
 * `agent.skywalking.apache.org/agent.service_name` annotation (SWCK's).
 * Env values given by reference (valueFrom) cannot be read here.
 */
export function agentServiceNames(pod: { metadata?: Meta; spec?: { containers?: PodContainer[] } }): string[] {
  const names = new Set<string>();
  for (const c of pod.spec?.containers ?? []) {
    for (const e of c.env ?? []) {
      if (e.name === ENV_AGENT_NAME && e.value) names.add(e.value);
      if (e.name === 'JAVA_TOOL_OPTIONS' && e.value) {
        const m = SERVICE_NAME_PROPERTY.exec(e.value);
        if (m) names.add(m[1]);
      }
    }
  }
  const annotated = pod.metadata?.annotations?.[SERVICE_NAME_ANNOTATION];
  if (!names.size && annotated) names.add(annotated);
  return [...names].sort();
}

const controllerOf = (m: Meta | undefined) =>
  m?.ownerReferences?.find(o => o.controller) ?? m?.ownerReferences?.[0];

/**
 * Builds the structural graph of the given objects: pods with their top
 * owner (ReplicaSet resolved to its Deployment), Services, EndpointSlices and
 * Ingress backends. Finished and terminating pods are left out: their IPs may
 * already belong to someone else.
 */
export function structuralGraph(objects: NamespaceObjects[]): StructuralGraph {
  const graph: Required<StructuralGraph> = { workloads: [], pods: [], services: [], endpointSlices: [], ingresses: [] };
  const workloads = new Map<string, { kind: string; name: string; namespace: string }>();
  for (const o of objects) {
    const rsOwner = new Map<string, { kind: string; name: string }>();
    for (const rs of o.replicaSets) {
      const owner = controllerOf(rs.metadata);
      if (rs.metadata?.name) rsOwner.set(rs.metadata.name, owner ? { kind: owner.kind, name: owner.name } : { kind: 'ReplicaSet', name: rs.metadata.name });
    }
    for (const p of o.pods) {
      const m = p.metadata;
      if (!m?.name || !m.namespace || m.deletionTimestamp) continue;
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      const owner = controllerOf(m);
      let workload: StructuralPod['workload'];
      if (owner?.kind === 'ReplicaSet') workload = rsOwner.get(owner.name) ?? { kind: 'ReplicaSet', name: owner.name };
      else if (owner) workload = { kind: owner.kind, name: owner.name };
      const ips = p.status?.podIPs?.map(x => x.ip).filter(Boolean) ?? (p.status?.podIP ? [p.status.podIP] : []);
      const agentServices = agentServiceNames(p);
      graph.pods.push({
        name: m.name,
        namespace: m.namespace,
        ...(ips.length ? { ips } : {}),
        ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
        ...(p.spec?.hostNetwork ? { hostNetwork: true } : {}),
        labels: m.labels ?? {},
        ...(workload ? { workload } : {}),
        ...(agentServices.length ? { agentServices } : {}),
      });
      if (workload) workloads.set(`${m.namespace}/${workload.kind}/${workload.name}`, { ...workload, namespace: m.namespace });
    }
    for (const s of o.services) {
      const m = s.metadata;
      if (!m?.name || !m.namespace) continue;
      const ips = s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : []);
      graph.services.push({ name: m.name, namespace: m.namespace, clusterIPs: ips.filter(ip => ip && ip !== 'None'), ...(s.spec?.selector ? { selector: s.spec.selector } : {}) });
    }
    for (const es of o.endpointSlices) {
      const m = es.metadata;
      const serviceName = m?.labels?.['kubernetes.io/service-name'];
      if (!m?.name || !m.namespace || !serviceName) continue;
      graph.endpointSlices.push({
        name: m.name,
        namespace: m.namespace,
        serviceName,
        endpoints: (es.endpoints ?? []).map(e => ({
          addresses: e.addresses ?? [],
          ...(e.targetRef?.kind && e.targetRef.name
            ? { targetRef: { kind: e.targetRef.kind, name: e.targetRef.name, ...(e.targetRef.namespace ? { namespace: e.targetRef.namespace } : {}) } }
            : {}),
        })),
      });
    }
    for (const ing of o.ingresses) {
      const m = ing.metadata;
      if (!m?.name || !m.namespace) continue;
      const backends: StructuralIngress['backends'] = [];
      const def = ing.spec?.defaultBackend?.service?.name;
      if (def) backends.push({ serviceName: def });
      for (const rule of ing.spec?.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const name = path.backend?.service?.name;
          if (name) backends.push({ serviceName: name, ...(rule.host ? { host: rule.host } : {}), ...(path.path ? { path: path.path } : {}) });
        }
      }
      graph.ingresses.push({ name: m.name, namespace: m.namespace, backends });
    }
  }
  graph.workloads = [...workloads.values()];
  return graph;
}

const plain = <T>(v: unknown): T => JSON.parse(JSON.stringify(v ?? null));

/** Lists what {@link structuralGraph} needs in each namespace, in parallel. */
export async function readNamespaces(kc: K8s.KubeConfig, namespaces: string[]): Promise<NamespaceObjects[]> {
  const k8s = await loadK8s();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  return Promise.all(
    namespaces.map(async namespace => {
      const [pods, replicaSets, services, endpointSlices, ingresses] = await Promise.all([
        core.listNamespacedPod({ namespace }),
        apps.listNamespacedReplicaSet({ namespace }),
        core.listNamespacedService({ namespace }),
        discovery.listNamespacedEndpointSlice({ namespace }),
        networking.listNamespacedIngress({ namespace }),
      ]);
      return plain<NamespaceObjects>({
        pods: pods.items,
        replicaSets: replicaSets.items,
        services: services.items,
        endpointSlices: endpointSlices.items,
        ingresses: ingresses.items,
      });
    }),
  );
}
