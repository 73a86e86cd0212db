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
 */
export class SkyWalkingBackendEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

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
    const { items } = (await res.json()) as { items: BackendSummary[] };
    await this.connection.applyMutation({
      type: 'full',
      entities: items.map(b => ({
        entity: backendToEntity(b, this.getProviderName()),
        locationKey: this.getProviderName(),
      })),
    });
  }
}
