import { LoggerService } from '@backstage/backend-plugin-api';
import { K8s, loadK8s } from '../clusters/k8s';
import { isSubset } from '../engine/apply';
import { WorkQueue } from '../engine/WorkQueue';
import { javaAgentSelector, renderJavaAgent } from './javaAgent';

const GROUP = 'operator.skywalking.apache.org';
const VERSION = 'v1alpha1';
const FIELD_MANAGER = 'skywalking-backstage-operator';
const INJECTED_SELECTOR = 'swck-java-agent-injected=true';

/**
 * The work queue key of one JavaAgent: namespace, label key and value as a
 * JSON array, because label keys hold `/` (`app.kubernetes.io/name`) and a
 * key split on `/` made every injected pod of the namespace match (M12).
 */
export const javaAgentKey = (namespace: string, labelKey: string, labelValue: string) => JSON.stringify([namespace, labelKey, labelValue]);
export const parseJavaAgentKey = (key: string): [string, string, string] => JSON.parse(key);

/**
 * Keeps a SWCK JavaAgent record per selector of injected pods, as SWCK's
 * javaagent controller does: watch-driven (an informer on opted-in pods),
 * through a keyed work queue, and only where this replica leads the cluster.
 */
export class JavaAgentController {
  private informer?: K8s.Informer<any> & K8s.ObjectCache<any>;
  private readonly queue: WorkQueue;
  writes = 0;

  constructor(
    private readonly o: { cluster: string; kc: K8s.KubeConfig; logger: LoggerService; isLeader: () => boolean; namespace?: string },
  ) {
    this.queue = new WorkQueue(key => this.reconcile(key), {
      workers: 1,
      onRetry: (key, attempt, _d, e) => o.logger.warn(`JavaAgent ${key} failed (attempt ${attempt}): ${(e as Error)?.message ?? e}`, { key, cluster: o.cluster }),
    });
  }

  async start() {
    const k8s = await loadK8s();
    const core = this.o.kc.makeApiClient(k8s.CoreV1Api);
    const ns = this.o.namespace;
    const inf = k8s.makeInformer<any>(
      this.o.kc,
      ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods',
      () => (ns ? core.listNamespacedPod({ namespace: ns, labelSelector: INJECTED_SELECTOR }) : core.listPodForAllNamespaces({ labelSelector: INJECTED_SELECTOR })),
      INJECTED_SELECTOR,
    );
    const wake = (pod: any) => {
      const sel = javaAgentSelector(pod);
      if (sel) this.queue.add(javaAgentKey(pod.metadata.namespace, sel.key, sel.value));
    };
    // registered first, so it runs on the very object the cache keeps: nothing here
    // reads managedFields, which are the bulk of a watched pod (bench: memory)
    const lean = (pod: any) => {
      if (pod?.metadata?.managedFields) delete pod.metadata.managedFields;
    };
    inf.on('add', lean);
    inf.on('update', lean);
    inf.on('add', wake);
    inf.on('update', wake);
    inf.on('delete', wake);
    inf.on('error', () => setTimeout(() => inf.start().catch(() => undefined), 2000));
    this.informer = inf;
    await inf.start();
  }

  /** The injected pods the watch holds (for tests and the memory bench). */
  cachedPods(namespace?: string): readonly any[] {
    return this.informer?.list(namespace) ?? [];
  }

  idle(timeoutMs?: number) {
    return this.queue.idle(timeoutMs);
  }

  private async reconcile(key: string) {
    if (!this.o.isLeader()) return;
    const [namespace, k, v] = parseJavaAgentKey(key);
    const pods = (this.informer?.list(namespace) ?? []).filter((p: any) => p.metadata?.labels?.[k] === v && !p.metadata?.deletionTimestamp);
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
      live = await client.patch(rendered.object, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
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

  async stop() {
    this.queue.stop();
    await this.informer?.stop().catch(() => undefined);
  }
}
