import { createPermissionRule } from '@backstage/plugin-permission-node';
import { z } from 'zod';
import { skywalkingBackendPermissionResourceRef } from '../resource';

/**
 * The backend's recorded owner is one of the claims, usually the caller's
 * ownership entity refs (`user.info.ownershipEntityRefs`). A backend with no
 * recorded owner matches no claims.
 */
export const isBackendOwner = createPermissionRule({
  name: 'IS_BACKEND_OWNER',
  description: 'Allow backends whose owner is one of the given entity refs',
  resourceRef: skywalkingBackendPermissionResourceRef,
  paramsSchema: z.object({ claims: z.array(z.string()).describe('Owner entity refs, e.g. group:default/team-a') }),
  apply: (backend, { claims }) => !!backend.owner && claims.map(c => c.toLocaleLowerCase('en-US')).includes(backend.owner.toLocaleLowerCase('en-US')),
  toQuery: ({ claims }) => ({ key: 'owner', values: claims }),
});
