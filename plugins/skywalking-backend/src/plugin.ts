import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { validateBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { ServiceUnavailableError } from '@backstage/errors';
import { ClusterRegistry } from './clusters/ClusterRegistry';
import { getMigratedClient } from './database/migrations';
import { SkyWalkingStore } from './database/SkyWalkingStore';
import { BackendService } from './service/BackendService';
import { OutboxEntry } from './service/outbox/types';
import { outboxLimitsFromConfig } from './service/outbox/config';
import { KubernetesOutboxKey, outboxKeySecretFromConfig } from './service/outbox/outboxKey';
import { OutboxSealer } from './service/outbox/sealing';
import { RecheckUnavailableError, tenancyRecheck } from './service/outbox/recheck';
import { BackupService } from './service/BackupService';
import { createRouter } from './service/router';
import { OperatorEngine } from './engine';
import { JavaAgentController } from './operator/JavaAgentController';
import { createSkyWalkingMetrics, observeOperator } from './metrics';
import { TracingService } from './tracing/TracingService';
import { TenancyService } from './tenancy/TenancyService';
import { liveNamespaceReader } from './tenancy/liveNamespace';
import { TopologyService } from './topology/TopologyService';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { WebhookManager } from './webhook/WebhookManager';
import { DEFAULT_MUTATOR } from './webhook/admissionPool';
import { registerSkyWalkingPermissions } from './permissions';
import { specPolicyFromConfig, trustedServicesFromConfig } from './service/specPolicyConfig';

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
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        userInfo: coreServices.userInfo,
      },
      async init({ logger, config, database, httpRouter, httpAuth, permissions, scheduler, lifecycle, auth, catalog, permissionsRegistry, auditor, userInfo }) {
        const store = new SkyWalkingStore(await getMigratedClient(database));
        // the skywalking-backend resource type: rules by cluster, namespace and owner, loaded from the portal's records
        registerSkyWalkingPermissions(permissionsRegistry, store);
        const clusters = await ClusterRegistry.create({ config, logger });
        const metrics = createSkyWalkingMetrics();
        // the operator: one engine per reachable cluster (health checks with
        // backoff, CRDs installed, none where SWCK's own controller runs)
        const operators = new OperatorEngine({
          clusters,
          logger,
          leaseNamespace: config.getOptionalString('skywalking.leaseNamespace'),
        });
        // queued changes are re-checked against the tenancy rules of the moment (set once they are loaded, below)
        const recheckQueued: { by?: (e: OutboxEntry) => Promise<void> } = {};
        // images, env names and storage hosts a spec may use (skywalking.allowedImages, ...; README, Permissions)
        const specPolicy = specPolicyFromConfig(config);
        // secret literals of a queued change are sealed under a key in a Secret (skywalking.outbox.keySecret)
        const keySecret = outboxKeySecretFromConfig(config, clusters.names());
        const sealer = new OutboxSealer({ keys: keySecret && new KubernetesOutboxKey(keySecret, c => clusters.kubeConfig(c)), safeEnvNames: specPolicy.safeEnvNames });
        sealer.warm().catch(e => logger.warn(`outbox key not read yet (tried again when a change needs it): ${e?.message ?? e}`));
        const backends = new BackendService({
          sealer,
          clusters,
          outbox: store.outbox,
          logger,
          operatorState: c => operators.state(c),
          drain: {
            ...outboxLimitsFromConfig(config),
            identity: operators.identity,
            recheck: e => (recheckQueued.by ? recheckQueued.by(e) : Promise.reject(new RecheckUnavailableError('the tenancy rules are not loaded yet'))),
          },
        });
        // a change kept while a cluster was unreachable is applied as soon as it answers again; row claims
        // keep it to one replica at a time, so every replica may drain (M9)
        operators.setOutboxDrainer(c => backends.drainOutbox(c));
        observeOperator(metrics, operators, clusters);
        metrics.setOutboxSource(() => backends.drainer.counts());
        await operators.start();

        // JavaAgent records of injected pods, wherever our engine reconciles
        const javaAgents = new Map<string, JavaAgentController>();
        await scheduler.scheduleTask({
          id: 'skywalking-javaagent-controllers',
          frequency: { seconds: 15 },
          timeout: { seconds: 60 },
          scope: 'local',
          fn: async () => {
            for (const c of clusters.names()) {
              if (javaAgents.has(c) || !operators.state(c).reconciling) continue;
              const ctl = new JavaAgentController({ cluster: c, kc: clusters.kubeConfig(c), logger, isLeader: () => operators.isLeader(c) });
              await ctl.start();
              javaAgents.set(c, ctl);
            }
          },
        });
        lifecycle.addShutdownHook(async () => {
          for (const ctl of javaAgents.values()) await ctl.stop();
          await operators.stop();
        });

        // the tracing toggle: desired state in the database, applied by
        // labels for the webhook or by patching workloads, re-applied when
        // a cluster comes back or something overwrote a patched workload
        // which clusters and namespaces an owner may act on (skywalking.tenancy; README, Security)
        const tenancy = TenancyService.fromConfig(config, { userInfo, catalog, auth, logger, readNamespace: liveNamespaceReader(c => clusters.kubeConfig(c)) });
        recheckQueued.by = tenancyRecheck(tenancy);
        const tracing = new TracingService({
          store,
          catalog,
          auth,
          tenancy,
          permissions,
          allowedImages: specPolicy.allowedImages,
          // the minute reconcile writes only where this replica leads the cluster (M9); where our
          // engine does not run (SWCK's controller, reconcile: false) there is no Lease: every replica
          // reconciles there, idempotent by the per-entity field managers and resourceVersion-tested patches
          isLeader: c =>
            operators.state(c).swckControllerDetected || !clusters.definition(c).reconcile ? true : operators.isLeader(c),
          getKubeConfig: async c => clusters.kubeConfig(c),
          clusters: () => clusters.names(),
          injectionMode: c => clusters.definition(c).injectionMode,
          // the backend's Satellite when it has one, else its OAP
          backendCollector: b => backends.collectorAddress(b),
          // a backend with TLS: its CA goes to the agents (ConfigMap in the workload namespace)
          backendCa: b => backends.tls.agentCa(b),
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

        // backend certificates (tls.enabled): serving certificates renewed within 30 days of
        // expiry, the CA within a year (both CAs trusted meanwhile); pods roll by the checksum
        await scheduler.scheduleTask({
          id: 'skywalking-backend-certificate-rotation',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          scope: 'global',
          fn: async () => {
            await backends.tls.rotateAll();
          },
        });

        // TLS to external storage: a changed CA (the user's Secret) rolls OAP by its checksum
        await scheduler.scheduleTask({
          id: 'skywalking-storage-ca-check',
          frequency: { minutes: 5 },
          timeout: { minutes: 5 },
          scope: 'global',
          fn: async () => {
            await backends.storageTls.reconcileAll();
          },
        });

        if (config.getOptionalBoolean('skywalking.webhook.enabled') ?? true) {
          // admission runs in worker threads (the mutator module is loaded there, not passed)
          const webhook = new WebhookManager({
            config,
            clusters,
            logger,
            observer: { onRequest: e => metrics.onAdmission(e) },
            // the agent init container's image from skywalking.allowedImages only
            mutator: { ...DEFAULT_MUTATOR, options: { allowedImages: specPolicy.allowedImages } },
          });
          await webhook.start();
          // every replica, every few minutes: the shared CA (rotated by whichever replica is first),
          // then the caBundle in each cluster (a deleted or altered registration comes back),
          // then this replica's serving certificate
          await scheduler.scheduleTask({
            id: 'skywalking-webhook-maintenance',
            frequency: { minutes: 3 },
            timeout: { minutes: 2 },
            initialDelay: { seconds: 0 },
            scope: 'local',
            fn: async () => {
              await webhook.maintain();
            },
          });
          lifecycle.addShutdownHook(() => webhook.stop());
        }

        // the topology tab: Kubernetes structure merged with OAP's traffic
        const topology = new TopologyService({
          catalog,
          tracingBackend: async ref => (await store.getTracing(ref))?.backend,
          clusters: () => clusters.names(),
          kubeConfig: c => clusters.kubeConfig(c),
          oapUrl: c => clusters.definition(c).oapUrl,
          logger,
        });

        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            store,
            backends,
            validateBackendSpec,
            tracing,
            topology,
            backups: new BackupService({ clusters, backends, logger }),
            auditor,
            userInfo,
            tenancy,
            specPolicy,
            trustedServices: trustedServicesFromConfig(config),
            entityOwner: async (entityRef, credentials) => {
              const entity = await catalog.getEntityByRef(entityRef, { credentials }).catch(e => {
                // fail closed, but say why: not a 500
                throw new ServiceUnavailableError(`cannot check entityRef ${entityRef} in the catalog: ${e?.message ?? e}`);
              });
              if (!entity) return undefined;
              const owner = entity.spec?.owner;
              return { owner: typeof owner === 'string' ? owner : undefined };
            },
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
