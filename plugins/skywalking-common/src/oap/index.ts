export * from './duration';
export * from './errors';
export * from './types';
export * from './queries';
export * from './client';
export * from './kubernetesTraffic';
export * from './generalTraffic';
