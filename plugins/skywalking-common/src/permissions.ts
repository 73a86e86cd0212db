import { createPermission } from '@backstage/plugin-permission-common';

/** See SkyWalking backends, their pods, events and audit history. */
export const skywalkingBackendReadPermission = createPermission({
  name: 'skywalking.backend.read',
  attributes: { action: 'read' },
});

/** Provision a new SkyWalking backend (API and scaffolder action). */
export const skywalkingBackendCreatePermission = createPermission({
  name: 'skywalking.backend.create',
  attributes: { action: 'create' },
});

/** Change a backend: update spec, scale, pause, resume, upgrade. */
export const skywalkingBackendUpdatePermission = createPermission({
  name: 'skywalking.backend.update',
  attributes: { action: 'update' },
});

/** Delete a backend and everything it owns. */
export const skywalkingBackendDeletePermission = createPermission({
  name: 'skywalking.backend.delete',
  attributes: { action: 'delete' },
});

/**
 * Back a BanyanDB backend up on demand and see its backup history. A
 * resource permission on the backend (resourceRef `<cluster>/<namespace>/<name>`),
 * so policies can grant it per backend. Restoring creates (or recreates) a
 * backend and takes skywalking.backend.create.
 */
export const skywalkingBackendBackupPermission = createPermission({
  name: 'skywalking.backend.backup',
  attributes: { action: 'update' },
  resourceType: 'skywalking-backend',
});

/** The resourceRef of a backend for skywalkingBackendBackupPermission. */
export const backendResourceRef = (r: { cluster: string; namespace: string; name: string }) => `${r.cluster}/${r.namespace}/${r.name}`;

/**
 * Turn agent injection on or off for a catalog entity's workloads. A resource
 * permission on the catalog entity, so policies can grant it to owners only.
 */
export const skywalkingTracingTogglePermission = createPermission({
  name: 'skywalking.tracing.toggle',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

export const skywalkingPermissions = [
  skywalkingBackendReadPermission,
  skywalkingBackendCreatePermission,
  skywalkingBackendUpdatePermission,
  skywalkingBackendDeletePermission,
  skywalkingTracingTogglePermission,
  skywalkingBackendBackupPermission,
];
