export * from './render';
export * from './rover';
export * from './tls';
