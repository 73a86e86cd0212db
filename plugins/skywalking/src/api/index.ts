export * from './SkyWalkingApi';
export * from './SkyWalkingClient';
