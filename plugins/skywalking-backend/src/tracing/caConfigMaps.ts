/**
 * The agent CA ConfigMaps (a backend with TLS): written into each workload
 * namespace where tracing is turned on (Kube.applyCaConfigMap, one field
 * manager for all entities, no force), and deleted again once no workload
 * there names them, so turning tracing off leaves nothing behind.
 */
import { AGENT_CA_CONFIGMAP_ANNOTATION } from '@skywalking-backstage/plugin-skywalking-common';
import { Kube } from './kube';

/**
 * Deletes the agent CA ConfigMaps of a namespace that no workload there
 * names any more (webhook mode: the pod template's CA annotation; patch
 * mode: a ConfigMap volume).
 */
export async function releaseCaConfigMaps(kube: Kube, namespace: string): Promise<string[]> {
  const ours = await kube.listCaConfigMaps(namespace);
  if (!ours.length) return [];
  const used = new Set<string>();
  for (const w of await kube.listNamespacedWorkloads('', namespace)) {
    const t = w.spec.template;
    const named = t.metadata?.annotations?.[AGENT_CA_CONFIGMAP_ANNOTATION];
    if (named) used.add(named);
    for (const v of t.spec?.volumes ?? []) if (v.configMap?.name) used.add(v.configMap.name);
  }
  const unused = ours.filter(n => !used.has(n));
  for (const n of unused) await kube.deleteConfigMap(namespace, n);
  return unused;
}
