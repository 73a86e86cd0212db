/*
 * The Kubernetes side of the tracing toggle: finding an entity's workloads,
 * reading and patching them, counting their pods. Plain functions on a
 * KubeConfig; no state.
 */
import { createHash } from 'node:crypto';
import type * as K8s from '@kubernetes/client-node';

import { loadK8s } from '../clusters/k8s';

/** The client module (see clusters/k8s.ts for why it is loaded this way). */
export const k8sModule: () => Promise<typeof K8s> = loadK8s;

/**
 * Prefix of the tracing toggle's field managers, and the one manager of
 * writes made before there was one per entity (read as the entity's own, so
 * those keep working after an upgrade).
 */
export const TRACING_FIELD_MANAGER = 'skywalking-backstage-tracing';

/**
 * The field manager of one entity's writes: SSA then keeps a field as long as
 * any entity still applies it, so one entity's off never takes another's away.
 */
export function entityFieldManager(entityRef: string): string {
  return `${TRACING_FIELD_MANAGER}-${createHash('sha256').update(entityRef.toLowerCase()).digest('hex').slice(0, 16)}`;
}

/** The agent CA ConfigMaps are the backend's, not an entity's: one manager, so a rotated CA is not a conflict. */
export const CA_FIELD_MANAGER = `${TRACING_FIELD_MANAGER}-ca`;

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface WorkloadRef {
  cluster: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
}

export const workloadKey = (w: WorkloadRef) => `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`;

/** A workload as plain JSON (dates as strings), as the injector and JSON patches want it. */
export interface PlainWorkload {
  apiVersion: string;
  kind: WorkloadKind;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: Array<{ manager?: string; operation?: string; fieldsV1?: any }>;
    [k: string]: unknown;
  };
  spec: {
    selector?: LabelSelector;
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: any };
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  managedFields: Array<{ manager?: string; operation?: string }>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

const plain = <T>(v: unknown): T => JSON.parse(JSON.stringify(v ?? null));

/** A label selector object as the string the list calls take. */
export function selectorString(s: LabelSelector | undefined): string {
  if (!s) return '';
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/**
 * True when the error came from the API server (an HTTP status), false for
 * connection failures, timeouts and TLS problems: the cluster was not reached.
 */
export function isApiError(e: unknown): e is { code: number; body?: unknown } {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' && code >= 100 && code < 600;
}

/** The API server's own message (Status.message) rather than client-node's long dump. */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) {
    let body: any = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // keep the text
      }
    }
    let msg: string = (e as { message?: string }).message ?? '';
    if (typeof body === 'object' && body?.message) msg = body.message;
    else if (typeof body === 'string' && body) msg = body;
    return `HTTP ${e.code}: ${msg}`;
  }
  const err = e as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const cause = err?.cause?.message && err.cause.message !== err.message ? ` (${err.cause.message})` : '';
  return `${err?.message ?? String(e)}${cause}`;
}

/** Runs `work`, failing after `ms` with a timeout error (the cluster did not answer). */
export async function withTimeout<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export class Kube {
  private constructor(
    readonly k8s: typeof K8s,
    readonly kc: K8s.KubeConfig,
    readonly apps: K8s.AppsV1Api,
    readonly core: K8s.CoreV1Api,
    /** the manager of this Kube's writes (entityFieldManager) */
    readonly fieldManager: string,
  ) {}

  static async create(kc: K8s.KubeConfig, fieldManager: string = TRACING_FIELD_MANAGER): Promise<Kube> {
    const k8s = await k8sModule();
    return new Kube(k8s, kc, kc.makeApiClient(k8s.AppsV1Api), kc.makeApiClient(k8s.CoreV1Api), fieldManager);
  }

  /** The same clients writing as another field manager. */
  as(fieldManager: string): Kube {
    return new Kube(this.k8s, this.kc, this.apps, this.core, fieldManager);
  }

  get server(): string | undefined {
    return this.kc.getCurrentCluster()?.server;
  }

  /**
   * The workloads of one namespace that the label selector matches. The
   * toggle lists namespace by namespace on purpose: it acts only in
   * namespaces it resolved and authorised first (authorise.ts).
   */
  async listNamespacedWorkloads(labelSelector: string, namespace: string): Promise<PlainWorkload[]> {
    return this.listWorkloads(labelSelector, namespace);
  }

  /**
   * Workloads selected as Backstage's Kubernetes plugin selects objects: the
   * label selector, in the given namespace or in all (reads only: topology).
   */
  async listWorkloads(labelSelector: string, namespace?: string): Promise<PlainWorkload[]> {
    const a = this.apps;
    const lists = await Promise.all([
      namespace ? a.listNamespacedDeployment({ namespace, labelSelector }) : a.listDeploymentForAllNamespaces({ labelSelector }),
      namespace ? a.listNamespacedStatefulSet({ namespace, labelSelector }) : a.listStatefulSetForAllNamespaces({ labelSelector }),
      namespace ? a.listNamespacedDaemonSet({ namespace, labelSelector }) : a.listDaemonSetForAllNamespaces({ labelSelector }),
    ]);
    const out: PlainWorkload[] = [];
    lists.forEach((list, i) => {
      for (const item of list.items) {
        out.push({ ...plain<PlainWorkload>(item), apiVersion: 'apps/v1', kind: WORKLOAD_KINDS[i] });
      }
    });
    return out.sort((x, y) =>
      `${x.metadata.namespace}/${x.kind}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace}/${y.kind}/${y.metadata.name}`),
    );
  }

  async readWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<PlainWorkload> {
    const a = this.apps;
    let obj: unknown;
    if (kind === 'Deployment') obj = await a.readNamespacedDeployment({ name, namespace });
    else if (kind === 'StatefulSet') obj = await a.readNamespacedStatefulSet({ name, namespace });
    else obj = await a.readNamespacedDaemonSet({ name, namespace });
    return { ...plain<PlainWorkload>(obj), apiVersion: 'apps/v1', kind };
  }

  /** JSON patch (RFC 6902) of a workload. */
  async jsonPatchWorkload(kind: WorkloadKind, namespace: string, name: string, body: unknown[]): Promise<PlainWorkload> {
    const opts = this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.JsonPatch);
    const param = { name, namespace, body, fieldManager: this.fieldManager };
    const a = this.apps;
    let obj: unknown;
    if (kind === 'Deployment') obj = await a.patchNamespacedDeployment(param, opts);
    else if (kind === 'StatefulSet') obj = await a.patchNamespacedStatefulSet(param, opts);
    else obj = await a.patchNamespacedDaemonSet(param, opts);
    return { ...plain<PlainWorkload>(obj), apiVersion: 'apps/v1', kind };
  }

  /** Server-side apply of a workload with our field manager; conflicts are errors (no force). */
  async applyWorkload(kind: WorkloadKind, namespace: string, name: string, body: unknown): Promise<PlainWorkload> {
    const opts = this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.ServerSideApply);
    const param = { name, namespace, body, fieldManager: this.fieldManager, force: false };
    const a = this.apps;
    let obj: unknown;
    if (kind === 'Deployment') obj = await a.patchNamespacedDeployment(param, opts);
    else if (kind === 'StatefulSet') obj = await a.patchNamespacedStatefulSet(param, opts);
    else obj = await a.patchNamespacedDaemonSet(param, opts);
    return { ...plain<PlainWorkload>(obj), apiVersion: 'apps/v1', kind };
  }

  async readNamespace(name: string): Promise<NamespaceInfo> {
    const ns = await this.core.readNamespace({ name });
    return {
      name,
      labels: ns.metadata?.labels ?? {},
      annotations: ns.metadata?.annotations ?? {},
      managedFields: plain(ns.metadata?.managedFields ?? []),
    };
  }

  /** Every namespace with its labels and annotations (tenancy picks the entity's from these). */
  async listNamespaces(): Promise<NamespaceInfo[]> {
    const list = await this.core.listNamespace();
    return list.items.map(ns => ({
      name: ns.metadata!.name!,
      labels: ns.metadata?.labels ?? {},
      annotations: ns.metadata?.annotations ?? {},
      managedFields: [],
    }));
  }

  /** A SWCK OAPServer, undefined when there is none. */
  async readOapServer(namespace: string, name: string): Promise<{ metadata?: { labels?: Record<string, string> } } | undefined> {
    try {
      return (await this.kc
        .makeApiClient(this.k8s.CustomObjectsApi)
        .getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace, plural: 'oapservers', name })) as any;
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw e;
    }
  }

  async applyNamespace(name: string, labels: Record<string, string> | undefined): Promise<void> {
    const opts = this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.ServerSideApply);
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
    await this.core.patchNamespace({ name, body, fieldManager: this.fieldManager, force: false }, opts);
  }

  /**
   * A backend's CA for the agents of a namespace: a ConfigMap with ca.crt only
   * (never a key), by server-side apply without force: a ConfigMap someone
   * else changed is a reported conflict, not overwritten.
   */
  async applyCaConfigMap(namespace: string, name: string, caPem: string): Promise<void> {
    const opts = this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.ServerSideApply);
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/component': 'agent-ca' } },
      data: { 'ca.crt': caPem },
    };
    await this.core.patchNamespacedConfigMap({ name, namespace, body, fieldManager: CA_FIELD_MANAGER, force: false }, opts);
  }

  /** The agent CA ConfigMaps this plugin wrote into a namespace (applyCaConfigMap). */
  async listCaConfigMaps(namespace: string): Promise<string[]> {
    const list = await this.core.listNamespacedConfigMap({ namespace, labelSelector: 'app.kubernetes.io/managed-by=skywalking-backstage,app.kubernetes.io/component=agent-ca' });
    return list.items.map(c => c.metadata!.name!);
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedConfigMap({ namespace, name }).catch((e: any) => {
      if (e?.code !== 404) throw e;
    });
  }

  /** The running pods of a workload (owner references, not just the selector); terminating and finished pods left out. */
  async workloadPods(w: PlainWorkload): Promise<K8s.V1Pod[]> {
    const namespace = w.metadata.namespace;
    const labelSelector = selectorString(w.spec.selector);
    let owners = new Set([w.metadata.uid]);
    if (w.kind === 'Deployment') {
      const rs = await this.apps.listNamespacedReplicaSet({ namespace, labelSelector });
      owners = new Set(
        rs.items.filter(r => r.metadata?.ownerReferences?.some(o => o.uid === w.metadata.uid)).map(r => r.metadata?.uid),
      );
    }
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector });
    return pods.items.filter(
      p =>
        p.metadata?.ownerReferences?.some(o => owners.has(o.uid)) &&
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    );
  }
}
