import type * as K8s from '@kubernetes/client-node';
import type { NamespaceMeta } from '@skywalking-backstage/plugin-skywalking-common';
import { loadK8s } from '../clusters/k8s';

/** Reads a live Namespace's labels and annotations for the owner annotation check; undefined when it does not exist. */
export function liveNamespaceReader(kubeConfig: (cluster: string) => K8s.KubeConfig) {
  return async (cluster: string, namespace: string): Promise<NamespaceMeta | undefined> => {
    const k8s = await loadK8s();
    try {
      const ns = await kubeConfig(cluster).makeApiClient(k8s.CoreV1Api).readNamespace({ name: namespace });
      return { labels: ns.metadata?.labels ?? {}, annotations: ns.metadata?.annotations ?? {} };
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw e;
    }
  };
}
