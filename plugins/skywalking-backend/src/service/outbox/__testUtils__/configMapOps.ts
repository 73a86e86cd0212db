import { K8s, loadK8s } from '../../../clusters/k8s';
import { OutboxOp } from '../types';

/** A queued change of a test "backend": its ConfigMap gets data.n = n (n < 0: a name the API server refuses with 422). */
export function cmOp(namespace: string, backend: string, n: number): OutboxOp {
  return { operation: 'scale', payload: { args: [{ cluster: 'local', namespace, name: backend }, n], actor: 'user:default/tester' } };
}

/**
 * A replay for outbox tests: the op as a server-side apply of a ConfigMap on
 * a real API server (idempotent, as the portal's own replays), logged in
 * the order applied.
 */
export function configMapReplay(kc: K8s.KubeConfig, log: string[] = [], delayMs = 0) {
  const replay = async (op: OutboxOp) => {
    const k8s = await loadK8s();
    const [ref, n] = op.payload.args as [{ namespace: string; name: string }, number];
    if (delayMs) await new Promise(r => setTimeout(r, delayMs));
    const name = n < 0 ? 'Refused_Name' : ref.name;
    await k8s.KubernetesObjectApi.makeApiClient(kc).patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ref.namespace }, data: { n: String(n) } } as any,
      undefined,
      undefined,
      'outbox-test',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    log.push(`${ref.name}:${n}`);
  };
  return { replay, log };
}

/** data.n of a test backend's ConfigMap, or undefined when it does not exist. */
export async function appliedN(kc: K8s.KubeConfig, namespace: string, backend: string): Promise<string | undefined> {
  const k8s = await loadK8s();
  try {
    return (await kc.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ namespace, name: backend })).data?.n;
  } catch (e: any) {
    if (e?.code === 404) return undefined;
    throw e;
  }
}
