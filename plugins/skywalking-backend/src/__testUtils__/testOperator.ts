import { LoggerService } from '@backstage/backend-plugin-api';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../clusters/crds';
import { K8s, loadK8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService } from '../service/BackendService';
import { MemoryOutbox, quietLogger } from '../service/testOutbox';

/** The cluster name the test operator knows the shared test cluster by. */
export const TEST_CLUSTER = 'local';

/** The Lease of test engines: short, so leadership settles and moves fast. */
export const TEST_LEASE_SECONDS = 3;
export const TEST_RENEW_MS = 500;

/**
 * One of several OperatorEngines competing for a test namespace's Lease (the
 * election and failure tests): short Lease, fast health checks with a short
 * backoff, writes kept in the outbox drained by `drainOutbox`. Not started.
 */
export function newTestEngine(o: {
  registry: ClusterRegistry;
  ns: string;
  identity: string;
  logger: LoggerService;
  drainOutbox: (cluster: string) => Promise<number>;
}): OperatorEngine {
  return new OperatorEngine({
    clusters: o.registry,
    logger: o.logger,
    identity: o.identity,
    namespace: o.ns,
    leaseNamespace: o.ns,
    leaseDurationSeconds: TEST_LEASE_SECONDS,
    renewIntervalMs: TEST_RENEW_MS,
    healthIntervalMs: 500,
    healthMinBackoffMs: 200,
    healthMaxBackoffMs: 1000,
    drainOutbox: o.drainOutbox,
  });
}

/** For tests: a BackendService and a leading OperatorEngine on a namespace of the shared test cluster. */
export interface TestOperator {
  k8s: typeof K8s;
  /** admin access to the cluster, for the test's own reads and writes */
  admin: K8s.KubeConfig;
  ns: string;
  registry: ClusterRegistry;
  outbox: MemoryOutbox;
  backends: BackendService;
  engine: OperatorEngine;
}

/**
 * Installs the SWCK CRDs, creates a test namespace and starts the services
 * the plugin runs, with a short Lease so leadership settles fast; returns
 * once the engine leads. Stop the engine in afterAll.
 */
export async function startTestOperator(
  namespacePrefix: string,
  /** a cluster of the test's own (e.g. one with a real node) instead of the shared one; the namespace gets these annotations */
  own?: { kubeconfig: string; namespaceAnnotations?: Record<string, string> },
): Promise<TestOperator> {
  const cluster = own ?? (await getSharedTestCluster());
  const k8s = await loadK8s();
  const admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  const crds = await ensureSwckCrds(admin);
  if (crds.failed.length) throw new Error(`SWCK CRDs not installed: ${JSON.stringify(crds.failed)}`);
  let ns: string;
  if (own) {
    ns = `${namespacePrefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${Date.now().toString(36)}`;
    await admin.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: ns, annotations: own.namespaceAnnotations } } });
  } else {
    ns = await createTestNamespace(namespacePrefix);
  }
  const registry = await ClusterRegistry.fromDefinitions([{ name: TEST_CLUSTER, kubeconfig: cluster.kubeconfig }], quietLogger);
  const outbox = new MemoryOutbox();
  const backends = new BackendService({ clusters: registry, outbox, logger: quietLogger });
  const engine = new OperatorEngine({
    clusters: registry,
    logger: quietLogger,
    namespace: ns,
    leaseNamespace: ns,
    leaseDurationSeconds: TEST_LEASE_SECONDS,
    renewIntervalMs: TEST_RENEW_MS,
    healthIntervalMs: 500,
  });
  await engine.start();
  await eventually('engine leads', async () => engine.isLeader(TEST_CLUSTER), 30_000);
  return { k8s, admin, ns, registry, outbox, backends, engine };
}
