/**
 * Scaffolder actions that provision and manage SkyWalking backends.
 *
 * @packageDocumentation
 */
export { scaffolderModuleSkyWalking as default } from './module';
export {
  createBackendCreateAction,
  createBackendUpdateAction,
  createBackendDeleteAction,
} from './actions/backend';
export {
  createBackendPauseAction,
  createBackendResumeAction,
  createBackendScaleAction,
  createBackendUpgradeAction,
} from './actions/lifecycle';
export { createBackendBackupAction } from './actions/backup';
export { SkyWalkingApiCaller, SkyWalkingApiError } from './actions/skywalkingApi';
