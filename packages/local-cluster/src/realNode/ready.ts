import type { KubeConfig } from '@kubernetes/client-node';
import { loadK8s } from '../k8s';

/** Server-side apply of plain manifests with the admin credentials. */
export async function serverSideApply(kc: KubeConfig, objects: Record<string, unknown>[]) {
  const k8s = await loadK8s();
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) {
    await api.patch(o as any, undefined, undefined, 'local-cluster', true, k8s.PatchStrategy.ServerSideApply);
  }
}

/**
 * Resolves once the real node is Ready and the cluster DNS (CoreDNS on that
 * node) is Ready: pods scheduled there can resolve Services from then on.
 */
export async function waitForRealNode(kc: KubeConfig, nodeName: string, dead: () => string | undefined, timeoutMs = 120_000) {
  const k8s = await loadK8s();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const end = Date.now() + timeoutMs;
  let last = 'not registered';
  for (;;) {
    const gone = dead();
    if (gone) throw new Error(`waiting for the real node: ${gone} exited`);
    try {
      const node = await core.readNode({ name: nodeName });
      const ready = node.status?.conditions?.find(c => c.type === 'Ready');
      last = `node Ready=${ready?.status ?? 'unknown'} (${ready?.message ?? ''})`;
      if (ready?.status === 'True') {
        const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' });
        const dns = pods.items.find(p => p.spec?.nodeName === nodeName);
        const st = dns?.status?.containerStatuses?.[0];
        last = `node Ready, CoreDNS ${dns ? `${dns.status?.phase} ready=${st?.ready} ${JSON.stringify(st?.state?.waiting ?? st?.state?.terminated ?? '')}` : 'not scheduled'}`;
        if (st?.ready) return;
      }
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`real node ${nodeName} not ready after ${timeoutMs / 1000}s: ${last}`);
    await new Promise(r => setTimeout(r, 500));
  }
}
