export * from './render';
export * from './rover';
export * from './tls';
export * from './storageTls';
export * from './backup';
export * from './snapshot';
export * from './localImages';
export * from './autoscaling';
