import * as k8sModule from '@kubernetes/client-node';
import type * as K8s from '@kubernetes/client-node';

/**
 * @kubernetes/client-node is an ES module. It is imported statically: Node 22
 * loads it through require(esm), and Jest (Backstage's swc transform) turns it
 * into CommonJS, so no test needs --experimental-vm-modules (which in turn
 * breaks CommonJS packages that require ESM-only dependencies).
 */
export async function loadK8s(): Promise<typeof k8sModule> {
  return k8sModule;
}

/** The module, for code that already runs after loadK8s() (it is loaded statically). */
export function k8sSync(): typeof k8sModule {
  return k8sModule;
}

export type { K8s };
