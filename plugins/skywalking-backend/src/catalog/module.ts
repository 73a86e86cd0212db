import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { SkyWalkingBackendEntityProvider } from './SkyWalkingBackendEntityProvider';

/** Catalog module: SkyWalking backends appear as Resources of type skywalking-backend. */
export const catalogModuleSkyWalkingBackends = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'skywalking-backends',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
      },
      async init({ catalog, discovery, auth, logger, scheduler }) {
        catalog.addEntityProvider(
          new SkyWalkingBackendEntityProvider({
            discovery,
            auth,
            logger,
            taskRunner: scheduler.createScheduledTaskRunner({
              frequency: { seconds: 15 },
              timeout: { seconds: 30 },
              initialDelay: { seconds: 5 },
            }),
          }),
        );
      },
    });
  },
});
