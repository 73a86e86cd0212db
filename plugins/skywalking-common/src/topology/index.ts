export * from './types';
export * from './resolve';
export * from './merge';
export * from './inputs';
export * from './bound';
export * from './focus';
