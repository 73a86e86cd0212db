export {
  skywalkingPlugin,
  SkyWalkingPage,
  EntitySkyWalkingTracingCard,
  EntitySkyWalkingTopologyContent,
  SkyWalkingClusterNamespacePickerFieldExtension,
} from './plugin';
export { skyWalkingApiRef, SkyWalkingClient } from './api';
export type { SkyWalkingApi } from './api';
export { isSkyWalkingAvailable } from '@skywalking-backstage/plugin-skywalking-common';
