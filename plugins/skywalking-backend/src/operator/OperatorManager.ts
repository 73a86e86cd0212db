import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../clusters/crds';
import { loadK8s } from '../clusters/k8s';
import { ClusterOperator, ReconcileEvent } from './ClusterOperator';

/**
 * Runs one ClusterOperator per reachable cluster that we may reconcile:
 * installs missing CRDs first, and stays out of clusters where SWCK's own
 * controller runs (there the plugin only writes and reads the custom objects).
 */
export class OperatorManager {
  private readonly operators = new Map<string, ClusterOperator>();
  private readonly swckDetected = new Set<string>();

  constructor(
    private readonly deps: {
      clusters: ClusterRegistry;
      logger: LoggerService;
      leaseNamespace?: string;
      onReconcile?: (e: ReconcileEvent) => void;
    },
  ) {}

  /** Whether SWCK's own operator runs in the cluster (a Deployment of its controller-manager). */
  async detectSwckController(cluster: string): Promise<boolean> {
    const k8s = await loadK8s();
    const apps = this.deps.clusters.kubeConfig(cluster).makeApiClient(k8s.AppsV1Api);
    const list = await apps.listDeploymentForAllNamespaces({ labelSelector: 'control-plane=controller-manager' });
    return list.items.some(d =>
      (d.spec?.template.spec?.containers ?? []).some(c => /skywalking-swck|swck.*operator/.test(c.image ?? '')),
    );
  }

  /** Starts the operator of every reachable cluster that has none yet (idempotent; called by the health task). */
  async ensureStarted() {
    for (const name of this.deps.clusters.names()) {
      if (this.operators.has(name) || this.swckDetected.has(name)) continue;
      const def = this.deps.clusters.definition(name);
      if (!def.reconcile) continue;
      if (!this.deps.clusters.summary(name).reachable) continue;
      const kc = this.deps.clusters.kubeConfig(name);
      try {
        if (await this.detectSwckController(name)) {
          this.swckDetected.add(name);
          this.deps.logger.info(`SWCK's controller runs in cluster ${name}: leaving reconciliation to it`);
          continue;
        }
        const crds = await ensureSwckCrds(kc);
        if (crds.created.length) this.deps.logger.info(`installed CRDs in cluster ${name}: ${crds.created.join(', ')}`);
        for (const f of crds.failed) this.deps.logger.warn(`cluster ${name}: CRD ${f.name}: ${f.error}`);
        const op = new ClusterOperator({
          cluster: name,
          kc,
          logger: this.deps.logger.child({ cluster: name }),
          leaseNamespace: this.deps.leaseNamespace,
          onReconcile: this.deps.onReconcile,
        });
        await op.start();
        this.operators.set(name, op);
      } catch (e) {
        this.deps.logger.warn(`operator for cluster ${name} not started: ${(e as Error).message}`);
      }
    }
  }

  isSwckManaged(cluster: string) {
    return this.swckDetected.has(cluster);
  }

  /** Per-cluster figures for gauges. */
  snapshot() {
    const depth: Record<string, number> = {};
    const leader: Record<string, number> = {};
    for (const [name, op] of this.operators) {
      depth[name] = op.queueDepth;
      leader[name] = op.isLeader() ? 1 : 0;
    }
    return { depth, leader };
  }

  operator(cluster: string) {
    return this.operators.get(cluster);
  }

  async stop() {
    for (const op of this.operators.values()) await op.stop();
    this.operators.clear();
  }
}
