import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import { parseBackendResourceRef, skywalkingPermissions } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { skywalkingBackendPermissionRules } from './rules';
import { SkyWalkingBackendResource, skywalkingBackendPermissionResourceRef } from './resource';

/**
 * Loads backends for the permission system by resourceRef
 * (`<cluster>/<namespace>/<name>`) from the portal's records, where the owner
 * is kept. A backend the portal has no record of loads as undefined, so a
 * CONDITIONAL decision on it is a denial.
 */
export function backendResourceLoader(store: Pick<SkyWalkingStore, 'listBackends'>) {
  return async (refs: string[]): Promise<Array<SkyWalkingBackendResource | undefined>> => {
    const records = await store.listBackends();
    const byRef = new Map(records.map(r => [`${r.cluster}/${r.namespace}/${r.name}`, r]));
    return refs.map(ref => {
      const parsed = parseBackendResourceRef(ref);
      const r = parsed && byRef.get(ref);
      if (!parsed || !r) return undefined;
      return { ...parsed, ...(r.ownerRef ? { owner: r.ownerRef } : {}), ...(r.entityRef ? { entityRef: r.entityRef } : {}) };
    });
  };
}

/** Registers the plugin's permissions and the skywalking-backend resource type (rules and loader). */
export function registerSkyWalkingPermissions(registry: PermissionsRegistryService, store: Pick<SkyWalkingStore, 'listBackends'>) {
  registry.addResourceType({
    resourceRef: skywalkingBackendPermissionResourceRef,
    permissions: skywalkingPermissions,
    rules: Object.values(skywalkingBackendPermissionRules),
    getResources: backendResourceLoader(store),
  });
}
