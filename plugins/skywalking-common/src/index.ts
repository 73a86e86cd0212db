/**
 * Shared types and pure logic of the SkyWalking Backstage plugins.
 *
 * @packageDocumentation
 */
export * from './api';
export * from './permissions';
export * from './entity';
export * from './inject';
export * from './backendSpec';
export * from './specPolicy';
export * from './operator';
export * from './oap';
export * from './topology';
export * from './tenancy';
