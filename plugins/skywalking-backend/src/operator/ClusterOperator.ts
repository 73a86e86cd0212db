import { LoggerService } from '@backstage/backend-plugin-api';
import {
  computeStatus,
  CustomObject,
  KubeObject,
  MANAGED_BY,
  renderBanyanDB,
  renderOAPServer,
  renderUI,
} from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, loadK8s } from '../clusters/k8s';
import { isSubset } from '../tracing/jsonDiff';
import { LeaderElector } from './LeaderElector';
import { WorkQueue } from './WorkQueue';
import { javaAgentSelector, renderJavaAgent } from './javaAgent';

const GROUP = 'operator.skywalking.apache.org';
const VERSION = 'v1alpha1';
export const OPERATOR_FIELD_MANAGER = 'skywalking-backstage-operator';
const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

/** One reconciler per kind: how to render it and which workload carries its status. */
interface KindReconciler {
  kind: string;
  plural: string;
  render(cr: CustomObject): KubeObject[];
  workload: (cr: CustomObject) => { kind: 'Deployment' | 'StatefulSet'; name: string };
  /** whether SWCK's status schema for the kind has availableReplicas (else it is pruned) */
  statusReplicas: boolean;
}

const RECONCILERS: KindReconciler[] = [
  { kind: 'OAPServer', plural: 'oapservers', render: cr => renderOAPServer(cr), workload: cr => ({ kind: 'Deployment', name: `${cr.metadata.name}-oap` }), statusReplicas: true },
  { kind: 'UI', plural: 'uis', render: renderUI, workload: cr => ({ kind: 'Deployment', name: `${cr.metadata.name}-ui` }), statusReplicas: true },
  { kind: 'BanyanDB', plural: 'banyandbs', render: renderBanyanDB, workload: cr => ({ kind: 'StatefulSet', name: `${cr.metadata.name}-banyandb` }), statusReplicas: false },
];

export interface ReconcileEvent {
  cluster: string;
  kind: string;
  key: string;
  durationMs: number;
  writes: number;
  error?: string;
}

export interface ClusterOperatorOptions {
  cluster: string;
  kc: K8s.KubeConfig;
  logger: LoggerService;
  leaseNamespace?: string;
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  identity?: string;
  onReconcile?: (e: ReconcileEvent) => void;
}

type Informer<T extends K8s.KubernetesObject> = K8s.Informer<T> & K8s.ObjectCache<T>;

/**
 * The operator for one cluster: informers on the SWCK kinds and on the
 * objects we own, a keyed work queue, one reconciler per kind, server-side
 * apply only when the live object differs from the rendered one, status
 * conditions and Events, and a Lease so one portal replica reconciles.
 */
export class ClusterOperator {
  private readonly informers: Informer<any>[] = [];
  private readonly crInformers = new Map<string, Informer<any>>();
  private readonly childInformers = new Map<string, Informer<any>>();
  private readonly queue: WorkQueue;
  readonly elector: LeaderElector;
  /** API writes made by reconciles (apply, status, events): zero in steady state */
  writes = 0;
  private started = false;
  private podInformer?: Informer<any>;

  constructor(private readonly o: ClusterOperatorOptions) {
    this.queue = new WorkQueue(key => this.reconcile(key), {
      workers: 2,
      onRetry: (key, attempt, error) => this.o.logger.warn(`reconcile ${key} failed (attempt ${attempt}): ${(error as Error)?.message ?? error}`, { key, cluster: o.cluster }),
    });
    this.elector = new LeaderElector({
      kc: o.kc,
      namespace: o.leaseNamespace ?? 'kube-system',
      name: 'skywalking-backstage-operator',
      leaseDurationSeconds: o.leaseDurationSeconds,
      renewIntervalMs: o.renewIntervalMs,
      identity: o.identity,
      onStartedLeading: () => {
        this.o.logger.info(`leading cluster ${o.cluster} as ${this.elector.identity}`, { cluster: o.cluster });
        this.resyncAll();
      },
      onStoppedLeading: () => this.o.logger.info(`no longer leading cluster ${o.cluster}`, { cluster: o.cluster }),
    });
  }

  get queueDepth() {
    return this.queue.depth;
  }

  isLeader() {
    return this.elector.isLeader();
  }

  async start() {
    if (this.started) return;
    this.started = true;
    const k8s = await loadK8s();
    const custom = this.o.kc.makeApiClient(k8s.CustomObjectsApi);
    const apps = this.o.kc.makeApiClient(k8s.AppsV1Api);
    const core = this.o.kc.makeApiClient(k8s.CoreV1Api);
    for (const r of RECONCILERS) {
      const inf = k8s.makeInformer<any>(this.o.kc, `/apis/${GROUP}/${VERSION}/${r.plural}`, () =>
        custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: r.plural }) as any,
      );
      const enqueue = (obj: any) => this.queue.add(`${r.kind}/${obj.metadata.namespace}/${obj.metadata.name}`);
      inf.on('add', enqueue);
      inf.on('update', enqueue);
      this.crInformers.set(r.kind, inf);
      this.informers.push(inf);
    }
    const children: [string, string, () => Promise<any>][] = [
      ['Deployment', '/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces({ labelSelector: MANAGED_SELECTOR })],
      ['StatefulSet', '/apis/apps/v1/statefulsets', () => apps.listStatefulSetForAllNamespaces({ labelSelector: MANAGED_SELECTOR })],
      ['Service', '/api/v1/services', () => core.listServiceForAllNamespaces({ labelSelector: MANAGED_SELECTOR })],
    ];
    for (const [kind, path, list] of children) {
      const inf = k8s.makeInformer<any>(this.o.kc, path, list, MANAGED_SELECTOR);
      // drift or deletion of an owned object wakes its owner's reconciler
      const wake = (obj: any) => {
        for (const ref of obj.metadata?.ownerReferences ?? []) {
          if (ref.controller && this.crInformers.has(ref.kind)) this.queue.add(`${ref.kind}/${obj.metadata.namespace}/${ref.name}`);
        }
      };
      inf.on('update', wake);
      inf.on('delete', wake);
      inf.on('add', wake);
      this.childInformers.set(kind, inf);
      this.informers.push(inf);
    }
    // injected pods: one JavaAgent record per pod selector, as SWCK keeps them
    const podInf = k8s.makeInformer<any>(
      this.o.kc,
      '/api/v1/pods',
      () => core.listPodForAllNamespaces({ labelSelector: 'swck-java-agent-injected=true' }),
      'swck-java-agent-injected=true',
    );
    const wakeAgent = (pod: any) => {
      const sel = javaAgentSelector(pod);
      if (sel) this.queue.add(`JavaAgent/${pod.metadata.namespace}/${sel.selector}`);
    };
    podInf.on('add', wakeAgent);
    podInf.on('update', wakeAgent);
    podInf.on('delete', wakeAgent);
    this.podInformer = podInf;
    this.informers.push(podInf);
    for (const inf of this.informers) {
      // informers stop on watch errors (e.g. the API server restarts): restart them with a delay
      inf.on('error', () => setTimeout(() => inf.start().catch(() => undefined), 2000));
      await inf.start();
    }
    this.elector.start();
  }

  private resyncAll() {
    for (const r of RECONCILERS) {
      for (const cr of this.crInformers.get(r.kind)?.list() ?? []) {
        this.queue.add(`${r.kind}/${cr.metadata.namespace}/${cr.metadata.name}`);
      }
    }
  }

  /** Resolves when the queue is drained (tests, benchmarks). */
  idle(timeoutMs?: number) {
    return this.queue.idle(timeoutMs);
  }

  private live(kind: string, namespace: string, name: string): any {
    return this.childInformers.get(kind)?.get(name, namespace);
  }

  private async reconcile(key: string) {
    if (!this.elector.isLeader()) return; // the leader resyncs everything when it takes over
    const [kind, namespace, name] = key.split('/');
    if (kind === 'JavaAgent') {
      await this.reconcileJavaAgent(namespace, name);
      return;
    }
    const r = RECONCILERS.find(x => x.kind === kind)!;
    const cr = this.crInformers.get(kind)?.get(name, namespace) as CustomObject | undefined;
    if (!cr) return; // deleted: owner references let the garbage collector clean up
    const started = Date.now();
    const writesBefore = this.writes;
    const k8s = await loadK8s();
    try {
      const desired = r.render(cr);
      const client = k8s.KubernetesObjectApi.makeApiClient(this.o.kc);
      for (const obj of desired) {
        const live = this.childInformers.has(obj.kind) ? this.live(obj.kind, namespace, obj.metadata.name) : undefined;
        const cached = this.childInformers.has(obj.kind);
        // skip the write when the live object already has every field we manage
        if (cached && live && isSubset(strip(obj), live)) continue;
        if (!cached && (await this.existsMatching(client, obj))) continue;
        await client.patch(obj as any, undefined, undefined, OPERATOR_FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
        this.writes++;
      }
      await this.updateStatus(cr, r);
      this.o.onReconcile?.({ cluster: this.o.cluster, kind, key, durationMs: Date.now() - started, writes: this.writes - writesBefore });
    } catch (e) {
      this.o.onReconcile?.({ cluster: this.o.cluster, kind, key, durationMs: Date.now() - started, writes: this.writes - writesBefore, error: (e as Error).message });
      throw e;
    }
  }

  private async reconcileJavaAgent(namespace: string, selector: string) {
    const [key, value] = selector.split('=');
    const pods = (this.podInformer?.list(namespace) ?? []).filter((p: any) => p.metadata?.labels?.[key] === value && !p.metadata?.deletionTimestamp);
    const rendered = renderJavaAgent(pods);
    if (!rendered) return; // no injected pod left: the owner's deletion collects the record
    const k8s = await loadK8s();
    const client = k8s.KubernetesObjectApi.makeApiClient(this.o.kc);
    let live: any;
    try {
      live = await client.read({ apiVersion: rendered.object.apiVersion, kind: 'JavaAgent', metadata: { name: rendered.object.metadata.name, namespace } });
    } catch (e: any) {
      if (e?.code !== 404) throw e;
    }
    if (!live || !isSubset(rendered.object.spec, live.spec)) {
      live = await client.patch(rendered.object, undefined, undefined, OPERATOR_FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
      this.writes++;
    }
    if (live.status?.expectedInjectiedNum !== rendered.status.expectedInjectiedNum || live.status?.realInjectedNum !== rendered.status.realInjectedNum) {
      const now = new Date().toISOString();
      await this.o.kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObjectStatus(
        {
          group: GROUP, version: VERSION, namespace, plural: 'javaagents', name: rendered.object.metadata.name,
          body: { status: { ...rendered.status, creationTime: live.status?.creationTime ?? now, lastUpdateTime: now } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      this.writes++;
    }
  }

  /** For kinds without an informer (RBAC, ServiceAccount): one read instead of a write. */
  private async existsMatching(client: K8s.KubernetesObjectApi, obj: KubeObject): Promise<boolean> {
    try {
      const live = await client.read({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } });
      return isSubset(strip(obj), live);
    } catch (e: any) {
      if (e?.code === 404) return false;
      throw e;
    }
  }

  private async updateStatus(cr: CustomObject, r: KindReconciler) {
    const w = r.workload(cr);
    const workload = this.live(w.kind, cr.metadata.namespace, w.name);
    const { availableReplicas, conditions } = computeStatus(cr, workload);
    const status = { ...(cr.status ?? {}), conditions, ...(r.statusReplicas ? { availableReplicas } : {}), ...(r.kind === 'OAPServer' ? { address: `${cr.metadata.name}-oap.${cr.metadata.namespace}` } : {}) };
    // SWCK's status schema (appsv1.DeploymentCondition) has no observedGeneration:
    // the API server prunes it, so it is not part of the comparison
    const fingerprint = (cs: any[]) => JSON.stringify(cs.map(c => [c.type, c.status, c.reason, c.message]));
    const same = (cr.status?.availableReplicas ?? 0) === (status.availableReplicas ?? 0)
      && fingerprint(cr.status?.conditions ?? []) === fingerprint(status.conditions)
      && (r.kind !== 'OAPServer' || cr.status?.address === status.address);
    if (same) return;
    const k8s = await loadK8s();
    const custom = this.o.kc.makeApiClient(k8s.CustomObjectsApi);
    await custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: cr.metadata.namespace, plural: r.plural, name: cr.metadata.name, body: { status } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    this.writes++;
    const wasReady = (cr.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
    const ready = status.conditions.find((c: any) => c.type === 'Ready')!;
    const degraded = status.conditions.find((c: any) => c.type === 'Degraded')!;
    if (ready.status !== wasReady || degraded.status === 'True') {
      await this.event(cr, degraded.status === 'True' ? 'Warning' : 'Normal', degraded.status === 'True' ? degraded.reason : ready.reason, degraded.status === 'True' ? degraded.message : ready.message);
    }
  }

  private async event(cr: CustomObject, type: 'Normal' | 'Warning', reason: string, message: string) {
    const k8s = await loadK8s();
    const core = this.o.kc.makeApiClient(k8s.CoreV1Api);
    const now = new Date();
    try {
      await core.createNamespacedEvent({
        namespace: cr.metadata.namespace,
        body: {
          metadata: { generateName: `${cr.metadata.name}.`, namespace: cr.metadata.namespace },
          involvedObject: { apiVersion: cr.apiVersion, kind: cr.kind, name: cr.metadata.name, namespace: cr.metadata.namespace, uid: cr.metadata.uid },
          type,
          reason,
          message,
          source: { component: OPERATOR_FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      this.writes++;
    } catch (e) {
      this.o.logger.debug(`event for ${cr.kind} ${cr.metadata.name} not recorded: ${(e as Error).message}`);
    }
  }

  async stop() {
    this.queue.stop();
    await this.elector.stop();
    for (const inf of this.informers) await inf.stop().catch(() => undefined);
    this.started = false;
  }
}

/** The fields we manage, without server-populated metadata. */
function strip(obj: KubeObject): any {
  // informer caches hold list items, which carry no apiVersion/kind
  const { metadata, apiVersion: _v, kind: _k, ...rest } = obj;
  return { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels } };
}

