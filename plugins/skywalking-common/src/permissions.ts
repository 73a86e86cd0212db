import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type of one SkyWalking backend; its resourceRef is `<cluster>/<namespace>/<name>` (backendResourceRef). */
export const SKYWALKING_BACKEND_RESOURCE_TYPE = 'skywalking-backend';

/**
 * See SkyWalking backends, their pods, events, backups and audit history. A
 * resource permission on the backend: one backend's reads (`GET
 * /backends/<ref>`, its backups, the source of a restore) are decided on it;
 * lists are filtered by the policy's conditions.
 */
export const skywalkingBackendReadPermission = createPermission({
  name: 'skywalking.backend.read',
  attributes: { action: 'read' },
  resourceType: SKYWALKING_BACKEND_RESOURCE_TYPE,
});

/** Provision a new SkyWalking backend (API and scaffolder action). Basic: the backend does not exist yet. */
export const skywalkingBackendCreatePermission = createPermission({
  name: 'skywalking.backend.create',
  attributes: { action: 'create' },
});

/** Change a backend: update spec, scale, pause, resume, upgrade. Decided on the target backend. */
export const skywalkingBackendUpdatePermission = createPermission({
  name: 'skywalking.backend.update',
  attributes: { action: 'update' },
  resourceType: SKYWALKING_BACKEND_RESOURCE_TYPE,
});

/** Delete a backend and everything it owns. Decided on the target backend. */
export const skywalkingBackendDeletePermission = createPermission({
  name: 'skywalking.backend.delete',
  attributes: { action: 'delete' },
  resourceType: SKYWALKING_BACKEND_RESOURCE_TYPE,
});

/** Back a backend up on demand (BanyanDB backup, storage snapshot). Decided on the backend. */
export const skywalkingBackendBackupPermission = createPermission({
  name: 'skywalking.backend.backup',
  attributes: { action: 'update' },
  resourceType: SKYWALKING_BACKEND_RESOURCE_TYPE,
});

/**
 * Restore a backup into a backend (replacing its data). Decided on the target
 * backend; the source backend named by `from` also needs
 * skywalking.backend.read.
 */
export const skywalkingBackendRestorePermission = createPermission({
  name: 'skywalking.backend.restore',
  attributes: { action: 'update' },
  resourceType: SKYWALKING_BACKEND_RESOURCE_TYPE,
});

/**
 * Turn SkyWalking Rover on for a backend: a privileged DaemonSet (hostPID,
 * hostNetwork, every taint tolerated) and a ClusterRole, so an admin's
 * permission, asked for by create and update whenever `rover.enabled` is true.
 */
export const skywalkingBackendRoverPermission = createPermission({
  name: 'skywalking.backend.rover',
  attributes: { action: 'update' },
});

/** The resourceRef of a backend for the skywalking-backend resource permissions. */
export const backendResourceRef = (r: { cluster: string; namespace: string; name: string }) => `${r.cluster}/${r.namespace}/${r.name}`;

/** The backend a resourceRef names, or undefined when it is not `<cluster>/<namespace>/<name>`. */
export function parseBackendResourceRef(ref: string): { cluster: string; namespace: string; name: string } | undefined {
  const parts = typeof ref === 'string' ? ref.split('/') : [];
  if (parts.length !== 3 || parts.some(p => !p)) return undefined;
  const [cluster, namespace, name] = parts;
  return { cluster, namespace, name };
}

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
  skywalkingBackendRestorePermission,
  skywalkingBackendRoverPermission,
];
