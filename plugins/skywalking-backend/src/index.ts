/**
 * SkyWalking backend plugin for Backstage.
 *
 * @packageDocumentation
 */
export { skywalkingPlugin as default } from './plugin';
export { catalogModuleSkyWalkingBackends } from './catalog/module';
