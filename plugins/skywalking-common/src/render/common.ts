/** Shared helpers of the render functions: labels, metadata, owner references, env merging, checksums. */
import type { EnvVar, K8sObject, ObjectMeta, OwnerReference, ServiceTemplate } from '../crds/types';

export const MANAGED_BY_VALUE = 'skywalking-backstage';
export const LABEL_PREFIX = 'operator.skywalking.apache.org';
/** Pod-template annotation whose change rolls the pods when static configuration changes. */
export const CONFIG_CHECKSUM_ANNOTATION = 'skywalking-backstage.io/config-checksum';
/** Label carrying the OAP role on split deployments. */
export const OAP_ROLE_LABEL = `${LABEL_PREFIX}/oap-role`;

/** Any CR the render functions accept: needs apiVersion, kind, metadata (name, namespace, uid) and spec. */
export interface RenderableCR<S = any> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: S;
}

export function ownerReference(cr: RenderableCR): OwnerReference {
  return { apiVersion: cr.apiVersion, kind: cr.kind, name: cr.metadata.name, uid: cr.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The recommended app.kubernetes.io labels plus ours. */
export function commonLabels(cr: RenderableCR, component: string, version?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': cr.metadata.name,
    'app.kubernetes.io/component': component.replace(/^skywalking-/, ''),
    'app.kubernetes.io/part-of': 'skywalking',
    'app.kubernetes.io/managed-by': MANAGED_BY_VALUE,
    ...(version && version.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(version) ? { 'app.kubernetes.io/version': version } : {}),
  };
}

export function objectMeta(cr: RenderableCR, name: string, labels: Record<string, string>, annotations?: Record<string, string>): ObjectMeta {
  return {
    name,
    namespace: cr.metadata.namespace ?? 'default',
    labels,
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
    ownerReferences: [ownerReference(cr)],
  };
}

/** Merges env lists by name; later lists override earlier ones, order of first appearance is kept. */
export function mergeEnv(...lists: (EnvVar[] | undefined)[]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const list of lists) for (const e of list ?? []) if (e && e.name) byName.set(e.name, e);
  return [...byName.values()];
}

/** Stable JSON (sorted keys) for checksums. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter(k => (value as any)[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${stableStringify((value as any)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A 64-bit FNV-1a checksum (hex) of a value's stable JSON; pure and dependency-free. */
export function configChecksum(value: unknown): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(stableStringify(value))) {
    h ^= BigInt(byte);
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** A Service spec from SWCK's ServiceTemplate. */
export function serviceSpec(template: ServiceTemplate | undefined, selector: Record<string, string>, ports: any[]): Record<string, any> {
  const t = template ?? {};
  return {
    type: t.type || 'ClusterIP',
    selector,
    ports,
    ...(t.clusterIP ? { clusterIP: t.clusterIP } : {}),
    ...(t.externalIPs?.length ? { externalIPs: t.externalIPs } : {}),
    ...(t.loadBalancerIP ? { loadBalancerIP: t.loadBalancerIP } : {}),
    ...(t.loadBalancerSourceRanges?.length ? { loadBalancerSourceRanges: t.loadBalancerSourceRanges } : {}),
  };
}

/** SWCK's default soft anti-affinity: spread pods of one workload across nodes. */
export function spreadAffinity(selector: Record<string, string>) {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
      ],
    },
  };
}

/** Scheduling fields for a pod spec; `affinity` falls back to `defaultAffinity`. */
export function scheduling(spec: { affinity?: any; tolerations?: any[]; nodeSelector?: Record<string, string> }, defaultAffinity?: any) {
  const affinity = spec.affinity && Object.keys(spec.affinity).length ? spec.affinity : defaultAffinity;
  return {
    ...(affinity ? { affinity } : {}),
    ...(spec.tolerations?.length ? { tolerations: spec.tolerations } : {}),
    ...(spec.nodeSelector && Object.keys(spec.nodeSelector).length ? { nodeSelector: spec.nodeSelector } : {}),
  };
}

export function ingress(cr: RenderableCR, name: string, labels: Record<string, string>, ing: { host?: string; annotations?: Record<string, string>; ingressClassName?: string; tls?: any[] }, service: string, port: number): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(cr, name, labels, ing.annotations),
    spec: {
      ...(ing.ingressClassName ? { ingressClassName: ing.ingressClassName } : {}),
      rules: [{ host: ing.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } }],
      ...(ing.tls?.length ? { tls: ing.tls } : {}),
    },
  };
}

export const secretEnv = (name: string, secret: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
