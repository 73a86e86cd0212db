/**
 * Where OAP's gRPC port is: a fixed host:port, or a Kubernetes Service
 * (`<namespace>/<name>`) whose ready endpoint is looked up through the API
 * server, so the stand-in follows OAP to its new pod IP after a restart
 * (a process outside the cluster reaches pod IPs, not Service IPs).
 */
import { DiscoveryV1Api } from '@kubernetes/client-node';

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkAddress(address: string) {
  const m = ADDRESS.exec(address ?? '');
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`oapAddress ${JSON.stringify(address)} is not host:port (e.g. 10.244.0.12:11800)`);
}

/** `<namespace>/<name>` of OAP's Service, checked. */
export function parseServiceRef(ref: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = (ref ?? '').split('/');
  if (rest.length || !NAME.test(namespace ?? '') || !NAME.test(name ?? '')) throw new Error(`oapService ${JSON.stringify(ref)} is not <namespace>/<service name> (e.g. sw/demo-oap)`);
  return { namespace, name };
}

interface SliceLike {
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number }[];
}

/** The first ready endpoint (addresses sorted, so it stays put) on the port named grpc, else 11800. */
export function addressFromSlices(slices: SliceLike[]): string | undefined {
  const found: string[] = [];
  for (const s of slices) {
    const port = s.ports?.find(p => p.name === 'grpc')?.port ?? s.ports?.find(p => p.port === 11800)?.port;
    if (!port) continue;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const a of e.addresses ?? []) found.push(a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`);
    }
  }
  return found.sort()[0];
}

export async function resolveService(api: DiscoveryV1Api, ref: { namespace: string; name: string }): Promise<string | undefined> {
  const list = await api.listNamespacedEndpointSlice({ namespace: ref.namespace, labelSelector: `kubernetes.io/service-name=${ref.name}` });
  return addressFromSlices(list.items);
}
