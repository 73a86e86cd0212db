import {
  AuthService,
  DiscoveryService,
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  backendEntityName,
  BackendList,
  BackendSummary,
} from '@skywalking-backstage/plugin-skywalking-common';

/** A catalog Resource (type skywalking-backend) for one backend. */
export function backendToEntity(b: BackendSummary, locationKey: string): Entity {
  const ref = `${b.cluster}/${b.namespace}/${b.name}`;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: backendEntityName(b),
      title: `SkyWalking ${b.name} (${b.cluster}/${b.namespace})`,
      description: `SkyWalking ${b.version} backend with ${b.storage} storage`,
      annotations: {
        'backstage.io/managed-by-location': `skywalking:${locationKey}`,
        'backstage.io/managed-by-origin-location': `skywalking:${locationKey}`,
        'skywalking.apache.org/backend': ref,
        'backstage.io/kubernetes-cluster': b.cluster,
        'backstage.io/kubernetes-namespace': b.namespace,
        'backstage.io/kubernetes-label-selector': `app.kubernetes.io/instance=${b.name}`,
      },
      tags: ['skywalking', b.storage.toLowerCase()].filter(t => /^[a-z0-9:+#-]+$/.test(t)),
    },
    spec: {
      type: 'skywalking-backend',
      owner: b.owner ?? 'group:default/platform',
      system: 'observability',
    },
  };
}

/**
 * Emits every SkyWalking backend the skywalking plugin knows as a catalog
 * Resource owned by the team that requested it. Reads the plugin's REST API
 * with a service token, so it works wherever the two plugins are deployed.
 *
 * A cluster that could not be listed keeps the entities last seen for it
 * (M11): its backends are unknown, not gone. After a restart, before the
 * provider has seen that cluster once, it changes only the entities of the
 * clusters it could list (a delta), never removing those of the others.
 */
export class SkyWalkingBackendEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  /** the backends last listed per cluster */
  private readonly lastKnown = new Map<string, BackendSummary[]>();

  constructor(
    private readonly deps: {
      discovery: DiscoveryService;
      auth: AuthService;
      logger: LoggerService;
      taskRunner: SchedulerServiceTaskRunner;
    },
  ) {}

  getProviderName() {
    return 'skywalking-backends';
  }

  async connect(connection: EntityProviderConnection) {
    this.connection = connection;
    await this.deps.taskRunner.run({
      id: 'skywalking-backends-refresh',
      fn: () => this.refresh(),
    });
  }

  private deferred(items: BackendSummary[]) {
    return items.map(b => ({ entity: backendToEntity(b, this.getProviderName()), locationKey: this.getProviderName() }));
  }

  async refresh() {
    if (!this.connection) throw new Error('not connected');
    const base = await this.deps.discovery.getBaseUrl('skywalking');
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: await this.deps.auth.getOwnServiceCredentials(),
      targetPluginId: 'skywalking',
    });
    const res = await fetch(`${base}/backends`, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) {
      // keep the entities we have: a failed read must not empty the catalog
      this.deps.logger.warn(`Could not list SkyWalking backends: HTTP ${res.status}`);
      return;
    }
    const { items, unavailableClusters = [] } = (await res.json()) as Partial<BackendList> & { items: BackendSummary[] };
    const unavailable = new Set(unavailableClusters.map(u => u.cluster));
    for (const u of unavailableClusters) this.deps.logger.warn(`SkyWalking backends of cluster ${u.cluster} not listed (${u.message}): keeping their entities`);
    const previous = new Map(this.lastKnown);
    const byCluster = new Map<string, BackendSummary[]>();
    for (const b of items) {
      // a Queued backend of an unavailable cluster comes from the portal's outbox, not from the cluster
      if (unavailable.has(b.cluster)) continue;
      byCluster.set(b.cluster, [...(byCluster.get(b.cluster) ?? []), b]);
    }
    for (const c of new Set([...previous.keys(), ...byCluster.keys()])) {
      if (unavailable.has(c)) continue;
      this.lastKnown.set(c, byCluster.get(c) ?? []);
    }
    const unseenUnavailable = [...unavailable].filter(c => !previous.has(c));
    if (!unseenUnavailable.length) {
      const all = [...this.lastKnown.values()].flat();
      await this.connection.applyMutation({ type: 'full', entities: this.deferred(all) });
      return;
    }
    // an unavailable cluster never seen: its entities in the catalog are unknown here, so nothing is removed but what we saw go
    const listed = [...byCluster.values()].flat();
    const gone = [...previous.entries()].filter(([c]) => !unavailable.has(c)).flatMap(([c, bs]) => bs.filter(b => !(byCluster.get(c) ?? []).some(x => x.namespace === b.namespace && x.name === b.name)));
    await this.connection.applyMutation({ type: 'delta', added: this.deferred(listed), removed: this.deferred(gone) });
  }
}
