import { createPermissionRule } from '@backstage/plugin-permission-node';
import { z } from 'zod';
import { skywalkingBackendPermissionResourceRef } from '../resource';

/** The backend lives in one of the named Kubernetes namespaces (in any cluster; combine with IS_IN_CLUSTER). */
export const isInNamespace = createPermissionRule({
  name: 'IS_IN_NAMESPACE',
  description: 'Allow backends in one of the given Kubernetes namespaces',
  resourceRef: skywalkingBackendPermissionResourceRef,
  paramsSchema: z.object({ namespaces: z.array(z.string()).describe('Namespace names') }),
  apply: (backend, { namespaces }) => namespaces.includes(backend.namespace),
  toQuery: ({ namespaces }) => ({ key: 'namespace', values: namespaces }),
});
