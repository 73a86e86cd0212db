export * from './common';
export * from './storage';
export * from './config';
export * from './oap';
export * from './ui';
export * from './banyandb';
export * from './satellite';
export * from './backend';
