export * from './render';
export * from './rover';
