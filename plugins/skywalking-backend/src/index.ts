/**
 * SkyWalking backend plugin for Backstage.
 *
 * @packageDocumentation
 */
export { skywalkingPlugin as default } from './plugin';
export { catalogModuleSkyWalkingBackends } from './catalog/module';
// for permission policies: conditions on skywalking-backend resources (cluster, namespace, owner)
export {
  skywalkingBackendConditions,
  createSkyWalkingBackendConditionalDecision,
  skywalkingBackendPermissionRules,
  skywalkingBackendPermissionResourceRef,
  type SkyWalkingBackendResource,
} from './permissions';
