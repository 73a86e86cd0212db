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
import { OperatorManager } from './operator/OperatorManager';
import { createSkyWalkingMetrics } from './metrics';
import { admissionMutator } from './tracing/admissionMutator';
import { TracingService } from './tracing/TracingService';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
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
        auth: coreServices.auth,
        catalog: catalogServiceRef,
      },
      async init({ logger, config, database, httpRouter, httpAuth, permissions, scheduler, lifecycle, auth, catalog }) {
        const store = new SkyWalkingStore(await getMigratedClient(database));
        const clusters = await ClusterRegistry.create({ config, logger });
        const metrics = createSkyWalkingMetrics();
        const operators = new OperatorManager({
          clusters,
          logger,
          leaseNamespace: config.getOptionalString('skywalking.leaseNamespace'),
          onReconcile: e => metrics.onReconcile(e),
        });
        metrics.setGaugeSources({
          queueDepth: () => operators.snapshot().depth,
          leader: () => operators.snapshot().leader,
          reachable: () => Object.fromEntries(clusters.names().map(n => [n, clusters.summary(n).reachable ? 1 : 0])),
        });
        const backends = new KubernetesBackends({
          clusters,
          store,
          logger,
          operatorState: c => ({ leader: operators.operator(c)?.isLeader(), swckControllerDetected: operators.isSwckManaged(c) }),
        });
        lifecycle.addShutdownHook(() => operators.stop());

        // cluster health and the outbox: a change kept while a cluster was
        // unreachable is applied as soon as it answers again
        await scheduler.scheduleTask({
          id: 'skywalking-cluster-health-and-outbox',
          frequency: { seconds: 15 },
          timeout: { seconds: 60 },
          scope: 'local',
          fn: async () => {
            await clusters.checkAll();
            await operators.ensureStarted();
            for (const s of clusters.names().map(n => clusters.summary(n))) {
              if (s.reachable) {
                const n = await backends.drainOutbox(s.name);
                if (n) logger.info(`applied ${n} queued change(s) to cluster ${s.name}`);
              }
            }
          },
        });

        // the tracing toggle: desired state in the database, applied by
        // labels for the webhook or by patching workloads, re-applied when
        // a cluster comes back or something overwrote a patched workload
        const tracing = new TracingService({
          store,
          catalog,
          auth,
          getKubeConfig: async c => clusters.kubeConfig(c),
          clusters: () => clusters.names(),
          injectionMode: c => clusters.definition(c).injectionMode,
          backendCollector: b => `${b.name}-oap.${b.namespace}:11800`,
          logger,
        });
        await scheduler.scheduleTask({
          id: 'skywalking-tracing-reconcile',
          frequency: { minutes: 1 },
          timeout: { minutes: 5 },
          scope: 'local',
          fn: async () => {
            await tracing.reconcileTracing();
          },
        });

        if (config.getOptionalBoolean('skywalking.webhook.enabled') ?? true) {
          const webhook = new WebhookManager({
            config,
            clusters,
            logger,
            mutate: admissionMutator,
            observer: { onRequest: e => metrics.onAdmission(e) },
          });
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
            tracing,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
