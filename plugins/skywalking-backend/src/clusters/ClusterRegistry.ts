import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterSummary } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, k8sSync, loadK8s } from './k8s';

export interface ClusterDefinition {
  name: string;
  url?: string;
  /** how the plugin authenticates: `serviceAccount` (token), `localKubectlProxy` (none), `kubeconfig` */
  authProvider?: 'serviceAccount' | 'localKubectlProxy' | 'kubeconfig';
  serviceAccountToken?: string;
  caData?: string;
  skipTLSVerify?: boolean;
  kubeconfigPath?: string;
  context?: string;
  injectionMode: 'webhook' | 'patch';
  reconcile: boolean;
  oapUrl?: string;
}

/** A cluster could not be reached: says which, where, and why. */
export class ClusterUnreachableError extends Error {
  constructor(readonly cluster: string, readonly url: string | undefined, cause: unknown) {
    super(`cluster ${cluster}${url ? ` (${url})` : ''} is unreachable: ${(cause as Error)?.message ?? cause}`);
    this.name = 'ClusterUnreachableError';
  }
}

/**
 * Reads clusters the way Backstage's Kubernetes plugin does
 * (`kubernetes.clusterLocatorMethods`, type `config`, service account tokens),
 * plus our `kubeconfigPath` extension; with no cluster configured at all, the
 * default kubeconfig's current context. Per-cluster SkyWalking settings come
 * from `skywalking.clusters.<name>`.
 */
export function readClusterDefinitions(config: Config): ClusterDefinition[] {
  const out: ClusterDefinition[] = [];
  const extras = (name: string) => defaultExtras(config, name);
  for (const method of config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? []) {
    const type = method.getString('type');
    if (type === 'localKubectlProxy') {
      // as Backstage's LocalKubectlProxyClusterLocator: `kubectl proxy` on its default port, no auth
      out.push({ name: 'local', url: 'http://127.0.0.1:8001', authProvider: 'localKubectlProxy', skipTLSVerify: true, ...extras('local') });
      continue;
    }
    if (type !== 'config') continue;
    for (const c of method.getOptionalConfigArray('clusters') ?? []) {
      const name = c.getString('name');
      const authProvider = c.getOptionalString('authProvider') ?? 'serviceAccount';
      if (authProvider !== 'serviceAccount' && authProvider !== 'kubeconfig' && !c.has('kubeconfigPath')) {
        throw new Error(`cluster ${name}: authProvider ${authProvider} is not supported by the SkyWalking plugin; use serviceAccount or kubeconfigPath`);
      }
      out.push({
        name,
        authProvider: c.has('kubeconfigPath') ? 'kubeconfig' : 'serviceAccount',
        url: c.getOptionalString('url'),
        serviceAccountToken: c.getOptionalString('serviceAccountToken'),
        caData: c.getOptionalString('caData'),
        skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
        kubeconfigPath: c.getOptionalString('kubeconfigPath'),
        context: c.getOptionalString('context'),
        ...extras(name),
      });
    }
  }
  const names = new Set<string>();
  for (const d of out) {
    if (names.has(d.name)) throw new Error(`cluster name ${d.name} is configured twice`);
    names.add(d.name);
  }
  return out;
}

/** Reachability of one cluster, as last checked. */
export interface ClusterHealth {
  name: string;
  url?: string;
  reachable: boolean;
  lastError?: string;
  serverVersion?: string;
  /** epoch ms of the last check; undefined before the first */
  checkedAt?: number;
}

/** Typed API clients of one cluster, made once from its KubeConfig. */
export interface ClusterClients {
  kc: K8s.KubeConfig;
  core: K8s.CoreV1Api;
  apps: K8s.AppsV1Api;
  custom: K8s.CustomObjectsApi;
  coordination: K8s.CoordinationV1Api;
  events: K8s.EventsV1Api;
  apiextensions: K8s.ApiextensionsV1Api;
  version: K8s.VersionApi;
  objects: K8s.KubernetesObjectApi;
}

interface ClusterState {
  def: ClusterDefinition;
  kc?: K8s.KubeConfig;
  clients?: ClusterClients;
  reachable: boolean;
  error?: string;
  serverVersion?: string;
  checkedAt?: number;
}

/**
 * The configured clusters: per cluster its KubeConfig, typed API clients and
 * health (reachable, last error, server version).
 */
export class ClusterRegistry {
  private readonly states = new Map<string, ClusterState>();
  private readonly listeners: ((h: ClusterHealth, previous: ClusterHealth) => void)[] = [];

  private constructor(private readonly logger: LoggerService) {}

  static async create(options: { config: Config; logger: LoggerService }): Promise<ClusterRegistry> {
    const registry = new ClusterRegistry(options.logger);
    const defs = readClusterDefinitions(options.config);
    const k8s = await loadK8s();
    if (defs.length === 0) {
      const kc = new k8s.KubeConfig();
      try {
        kc.loadFromDefault();
      } catch {
        // no default kubeconfig: no clusters
      }
      const ctx = kc.getCurrentContext();
      if (ctx && kc.getCurrentCluster()) {
        const def: ClusterDefinition = { name: ctx, authProvider: 'kubeconfig', context: ctx, ...defaultExtras(options.config, ctx) };
        registry.states.set(ctx, { def, kc, reachable: false });
        options.logger.info(`no clusters configured; using the current kubeconfig context ${ctx}`);
      }
    }
    for (const def of defs) registry.states.set(def.name, { def, kc: registry.buildKubeConfig(k8s, def), reachable: false });
    return registry;
  }

  /** A registry of explicit definitions (tests, tools); `kubeconfig` may be given as YAML text per cluster. */
  static async fromDefinitions(
    defs: (Partial<ClusterDefinition> & { name: string; kubeconfig?: string })[],
    logger: LoggerService,
  ): Promise<ClusterRegistry> {
    const registry = new ClusterRegistry(logger);
    const k8s = await loadK8s();
    for (const d of defs) {
      const def: ClusterDefinition = { injectionMode: 'webhook', reconcile: true, ...d };
      let kc: K8s.KubeConfig;
      if (d.kubeconfig) {
        kc = new k8s.KubeConfig();
        kc.loadFromString(d.kubeconfig);
        if (d.context) kc.setCurrentContext(d.context);
      } else {
        kc = registry.buildKubeConfig(k8s, def);
      }
      registry.states.set(def.name, { def, kc, reachable: false });
    }
    return registry;
  }

  private buildKubeConfig(k8s: typeof K8s, def: ClusterDefinition): K8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    if (def.kubeconfigPath) {
      kc.loadFromFile(def.kubeconfigPath);
      if (def.context) kc.setCurrentContext(def.context);
      return kc;
    }
    if (!def.url) throw new Error(`cluster ${def.name}: url is required`);
    kc.loadFromOptions({
      clusters: [{ name: def.name, server: def.url, caData: def.caData, skipTLSVerify: def.skipTLSVerify ?? false }],
      users: [def.serviceAccountToken ? { name: `${def.name}-user`, token: def.serviceAccountToken } : { name: `${def.name}-user` }],
      contexts: [{ name: def.name, cluster: def.name, user: `${def.name}-user` }],
      currentContext: def.name,
    });
    return kc;
  }

  private state(name: string): ClusterState {
    const s = this.states.get(name);
    if (!s?.kc) throw new Error(`unknown cluster "${name}"; configured: ${this.names().join(', ') || 'none'}`);
    return s;
  }

  names(): string[] {
    return [...this.states.keys()];
  }

  definition(name: string): ClusterDefinition {
    return this.state(name).def;
  }

  kubeConfig(name: string): K8s.KubeConfig {
    return this.state(name).kc!;
  }

  /** The API server URL of a cluster. */
  url(name: string): string | undefined {
    return this.state(name).kc!.getCurrentCluster()?.server;
  }

  /** Typed API clients of a cluster (made once, then cached). */
  clients(name: string): ClusterClients {
    const s = this.state(name);
    if (!s.clients) {
      const kc = s.kc!;
      const k8s = k8sSync();
      s.clients = {
        kc,
        core: kc.makeApiClient(k8s.CoreV1Api),
        apps: kc.makeApiClient(k8s.AppsV1Api),
        custom: kc.makeApiClient(k8s.CustomObjectsApi),
        coordination: kc.makeApiClient(k8s.CoordinationV1Api),
        events: kc.makeApiClient(k8s.EventsV1Api),
        apiextensions: kc.makeApiClient(k8s.ApiextensionsV1Api),
        version: kc.makeApiClient(k8s.VersionApi),
        objects: k8s.KubernetesObjectApi.makeApiClient(kc),
      };
    }
    return s.clients;
  }

  /** The error to report for a failed request to a cluster: its name, URL and the cause. */
  unreachable(name: string, cause: unknown): ClusterUnreachableError {
    return new ClusterUnreachableError(name, this.states.get(name)?.kc?.getCurrentCluster()?.server, cause);
  }

  /** Called whenever a check changes a cluster's reachability. */
  onHealthChange(listener: (h: ClusterHealth, previous: ClusterHealth) => void) {
    this.listeners.push(listener);
  }

  /** Asks the API server for its version; records reachability. */
  async check(name: string, timeoutMs = 5000): Promise<ClusterSummary> {
    const s = this.state(name);
    const before = this.health(name);
    let timer: NodeJS.Timeout | undefined;
    try {
      const v = await Promise.race([
        this.clients(name).version.getCode(),
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (!s.reachable) this.logger.info(`cluster ${name} reachable (${v.gitVersion})`);
      Object.assign(s, { reachable: true, error: undefined, serverVersion: v.gitVersion, checkedAt: Date.now() });
    } catch (e) {
      const err = this.unreachable(name, e);
      if (s.reachable || !s.checkedAt) this.logger.warn(err.message);
      Object.assign(s, { reachable: false, error: err.message, checkedAt: Date.now() });
    } finally {
      clearTimeout(timer);
    }
    const after = this.health(name);
    if (after.reachable !== before.reachable || before.checkedAt === undefined) {
      for (const l of this.listeners) {
        try {
          l(after, before);
        } catch (e) {
          this.logger.warn(`cluster health listener failed: ${(e as Error).message}`);
        }
      }
    }
    return this.summary(name);
  }

  /** Records a failed request found by a caller (so writes queue without a second probe). */
  markUnreachable(name: string, cause: unknown) {
    const s = this.state(name);
    Object.assign(s, { reachable: false, error: this.unreachable(name, cause).message, checkedAt: Date.now() });
  }

  health(name: string): ClusterHealth {
    const s = this.state(name);
    return { name, url: s.kc!.getCurrentCluster()?.server, reachable: s.reachable, lastError: s.error, serverVersion: s.serverVersion, checkedAt: s.checkedAt };
  }

  summary(name: string): ClusterSummary {
    const s = this.state(name);
    return {
      name,
      reachable: s.reachable,
      error: s.error,
      serverVersion: s.serverVersion,
      injectionMode: s.def.injectionMode,
    };
  }

  async checkAll(): Promise<ClusterSummary[]> {
    return Promise.all(this.names().map(n => this.check(n)));
  }
}

function defaultExtras(config: Config, name: string) {
  const per = config.getOptionalConfig(`skywalking.clusters.${name}`);
  return {
    injectionMode: (per?.getOptionalString('injectionMode') ?? 'webhook') as 'webhook' | 'patch',
    reconcile: per?.getOptionalBoolean('reconcile') ?? true,
    oapUrl: per?.getOptionalString('oapUrl'),
  };
}
