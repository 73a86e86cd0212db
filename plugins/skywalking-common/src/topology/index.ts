export * from './types';
export * from './merge';
export * from './bound';
export * from './focus';
