import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { validateBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from './clusters/ClusterRegistry';
import { getMigratedClient } from './database/migrations';
import { SkyWalkingStore } from './database/SkyWalkingStore';
import { KubernetesBackends } from './service/KubernetesBackends';
import { createRouter } from './service/router';
import { podMutator } from './webhook/podMutator';
import { WebhookManager } from './webhook/WebhookManager';

/**
 * The skywalking backend plugin: REST API, admission webhook, and the
 * operator side of SkyWalking backends in every configured cluster.
 */
export const skywalkingPlugin = createBackendPlugin({
  pluginId: 'skywalking',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
      },
      async init({ logger, config, database, httpRouter, httpAuth, permissions, scheduler, lifecycle }) {
        const store = new SkyWalkingStore(await getMigratedClient(database));
        const clusters = await ClusterRegistry.create({ config, logger });
        const backends = new KubernetesBackends({ clusters, store, logger });

        // cluster health and the outbox: a change kept while a cluster was
        // unreachable is applied as soon as it answers again
        await scheduler.scheduleTask({
          id: 'skywalking-cluster-health-and-outbox',
          frequency: { seconds: 15 },
          timeout: { seconds: 60 },
          scope: 'local',
          fn: async () => {
            for (const s of await clusters.checkAll()) {
              if (s.reachable) {
                const n = await backends.drainOutbox(s.name);
                if (n) logger.info(`applied ${n} queued change(s) to cluster ${s.name}`);
              }
            }
          },
        });

        if (config.getOptionalBoolean('skywalking.webhook.enabled') ?? true) {
          const webhook = new WebhookManager({ config, clusters, logger, mutate: podMutator });
          await webhook.start();
          await webhook.registerAll();
          await scheduler.scheduleTask({
            id: 'skywalking-webhook-certificate-rotation',
            frequency: { hours: 1 },
            timeout: { minutes: 5 },
            scope: 'local',
            fn: async () => {
              await webhook.rotateIfDue();
            },
          });
          lifecycle.addShutdownHook(() => webhook.stop());
        }

        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            store,
            backends,
            validateBackendSpec,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
