import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createBackendCreateAction,
  createBackendDeleteAction,
  createBackendUpdateAction,
} from './actions/backend';
import { createBackendBackupAction } from './actions/backup';
import {
  createBackendPauseAction,
  createBackendResumeAction,
  createBackendScaleAction,
  createBackendUpgradeAction,
} from './actions/lifecycle';
import { SkyWalkingApiCaller } from './actions/skywalkingApi';

/** Registers the skywalking:backend:* actions with the scaffolder. */
export const scaffolderModuleSkyWalking = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'skywalking',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, discovery, auth }) {
        const api = new SkyWalkingApiCaller({ discovery, auth });
        scaffolder.addActions(
          createBackendCreateAction(api),
          createBackendUpdateAction(api),
          createBackendDeleteAction(api),
          createBackendPauseAction(api),
          createBackendResumeAction(api),
          createBackendScaleAction(api),
          createBackendUpgradeAction(api),
          createBackendBackupAction(api),
        );
      },
    });
  },
});
