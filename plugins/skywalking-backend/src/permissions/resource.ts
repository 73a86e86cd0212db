import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { SKYWALKING_BACKEND_RESOURCE_TYPE } from '@skywalking-backstage/plugin-skywalking-common';

/** What the permission rules see of one backend: where it is and who owns it (the portal's record). */
export interface SkyWalkingBackendResource {
  cluster: string;
  namespace: string;
  name: string;
  /** the owner entity ref recorded at create (e.g. group:default/team-a) */
  owner?: string;
  /** the catalog entity the backend was provisioned for */
  entityRef?: string;
}

/** Rules translate to this filter: a field of the resource and the values it may have. */
export type SkyWalkingBackendQuery = { key: 'cluster' | 'namespace' | 'owner'; values: string[] };

export const skywalkingBackendPermissionResourceRef = createPermissionResourceRef<SkyWalkingBackendResource, SkyWalkingBackendQuery>().with({
  pluginId: 'skywalking',
  resourceType: SKYWALKING_BACKEND_RESOURCE_TYPE,
});
