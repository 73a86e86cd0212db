export * from './crd';
