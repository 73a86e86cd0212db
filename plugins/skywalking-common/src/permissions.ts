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
];
