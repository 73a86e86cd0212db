export * from './types';
export * from './merge';
export * from './bound';
