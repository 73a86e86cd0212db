import { createPermissionRule } from '@backstage/plugin-permission-node';
import { z } from 'zod';
import { skywalkingBackendPermissionResourceRef } from '../resource';

/** The backend runs in one of the named clusters (names as in `kubernetes` config). */
export const isInCluster = createPermissionRule({
  name: 'IS_IN_CLUSTER',
  description: 'Allow backends in one of the given clusters',
  resourceRef: skywalkingBackendPermissionResourceRef,
  paramsSchema: z.object({ clusters: z.array(z.string()).describe('Cluster names') }),
  apply: (backend, { clusters }) => clusters.includes(backend.cluster),
  toQuery: ({ clusters }) => ({ key: 'cluster', values: clusters }),
});
