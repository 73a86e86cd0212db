export { skywalkingBackendConditions, createSkyWalkingBackendConditionalDecision } from './conditionExports';
export { skywalkingBackendPermissionRules } from './rules';
export { skywalkingBackendPermissionResourceRef, type SkyWalkingBackendResource, type SkyWalkingBackendQuery } from './resource';
export { registerSkyWalkingPermissions, backendResourceLoader } from './register';
