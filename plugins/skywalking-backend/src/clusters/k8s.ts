import type * as K8s from '@kubernetes/client-node';

let loaded: Promise<typeof K8s> | undefined;

/**
 * @kubernetes/client-node is an ES module; load it once with a dynamic
 * import, as Backstage's kubernetes-backend does.
 */
export function loadK8s(): Promise<typeof K8s> {
  loaded ??= import('@kubernetes/client-node');
  return loaded;
}

export type { K8s };
