import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterSummary } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, loadK8s } from './k8s';

export interface ClusterDefinition {
  name: string;
  url?: string;
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
  const per = (name: string) => config.getOptionalConfig(`skywalking.clusters.${name}`);
  const extras = (name: string) => ({
    injectionMode: (per(name)?.getOptionalString('injectionMode') ?? 'webhook') as 'webhook' | 'patch',
    reconcile: per(name)?.getOptionalBoolean('reconcile') ?? true,
    oapUrl: per(name)?.getOptionalString('oapUrl'),
  });
  for (const method of config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? []) {
    if (method.getString('type') !== 'config') continue;
    for (const c of method.getOptionalConfigArray('clusters') ?? []) {
      const name = c.getString('name');
      const authProvider = c.getOptionalString('authProvider') ?? 'serviceAccount';
      if (authProvider !== 'serviceAccount' && !c.has('kubeconfigPath')) {
        throw new Error(`cluster ${name}: authProvider ${authProvider} is not supported by the SkyWalking plugin; use serviceAccount or kubeconfigPath`);
      }
      out.push({
        name,
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

interface ClusterState {
  def: ClusterDefinition;
  kc?: K8s.KubeConfig;
  reachable: boolean;
  error?: string;
  serverVersion?: string;
  checkedAt?: number;
}

export class ClusterRegistry {
  private readonly states = new Map<string, ClusterState>();

  private constructor(private readonly logger: LoggerService) {}

  static async create(options: { config: Config; logger: LoggerService }): Promise<ClusterRegistry> {
    const registry = new ClusterRegistry(options.logger);
    let defs = readClusterDefinitions(options.config);
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
        defs = [{ name: ctx, kubeconfigPath: '', context: ctx, injectionMode: 'webhook', reconcile: true }];
        registry.states.set(ctx, { def: defs[0], kc, reachable: false });
        options.logger.info(`no clusters configured; using the current kubeconfig context ${ctx}`);
      }
    }
    for (const def of defs) {
      if (registry.states.has(def.name)) continue;
      registry.states.set(def.name, { def, kc: registry.buildKubeConfig(k8s, def), reachable: false });
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
      users: [{ name: `${def.name}-user`, token: def.serviceAccountToken }],
      contexts: [{ name: def.name, cluster: def.name, user: `${def.name}-user` }],
      currentContext: def.name,
    });
    return kc;
  }

  names(): string[] {
    return [...this.states.keys()];
  }

  definition(name: string): ClusterDefinition {
    const s = this.states.get(name);
    if (!s) throw new Error(`unknown cluster "${name}"; configured: ${this.names().join(', ') || 'none'}`);
    return s.def;
  }

  kubeConfig(name: string): K8s.KubeConfig {
    const s = this.states.get(name);
    if (!s?.kc) throw new Error(`unknown cluster "${name}"; configured: ${this.names().join(', ') || 'none'}`);
    return s.kc;
  }

  /** Asks the API server for its version; records reachability. */
  async check(name: string, timeoutMs = 5000): Promise<ClusterSummary> {
    const s = this.states.get(name);
    if (!s) throw new Error(`unknown cluster "${name}"`);
    const k8s = await loadK8s();
    const server = s.kc?.getCurrentCluster()?.server;
    try {
      const api = s.kc!.makeApiClient(k8s.VersionApi);
      const v = await Promise.race([
        api.getCode(),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)),
      ]);
      if (!s.reachable) this.logger.info(`cluster ${name} reachable (${v.gitVersion})`);
      Object.assign(s, { reachable: true, error: undefined, serverVersion: v.gitVersion, checkedAt: Date.now() });
    } catch (e) {
      const err = new ClusterUnreachableError(name, server, e);
      if (s.reachable || !s.checkedAt) this.logger.warn(err.message);
      Object.assign(s, { reachable: false, error: err.message, checkedAt: Date.now() });
    }
    return this.summary(name);
  }

  summary(name: string): ClusterSummary {
    const s = this.states.get(name)!;
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
