export * from './crd';
export * from './rules';
export * from './backend';
