/*
 * Helpers the real-OAP tests share: GraphQL through the API server's service
 * proxy, the query window, and what a backend and its pods say when it fails.
 */
import { apiServerRequest } from '@internal/local-cluster';
import { makeDuration } from '@skywalking-backstage/plugin-skywalking-common';
import { TestOperator } from '../../__testUtils__/testOperator';

/** OAP's GraphQL of backend `name` in the operator's namespace; errors thrown with OAP's words. */
export async function oapGraphql(op: TestOperator, name: string, query: string, variables: Record<string, unknown> = {}) {
  const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${name}-oap:12800/proxy/graphql`, JSON.stringify({ query, variables }));
  if (r.status !== 200) throw new Error(`GraphQL answered ${r.status}: ${r.body.slice(0, 500)}`);
  const body = JSON.parse(r.body);
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data;
}

/** The last 20 minutes (and the next one), by minute: OAP's metrics of a running test. */
export const lastMinutes = () => makeDuration(Date.now() - 20 * 60_000, Date.now() + 60_000, { step: 'MINUTE' });

/** What backend `name` and the namespace's pods say: in the error when the backend never turns Ready. */
export async function diagnose(op: TestOperator, name: string) {
  const core = op.admin.makeApiClient(op.k8s.CoreV1Api);
  const d = await op.backends.get({ cluster: 'local', namespace: op.ns, name }).catch(e => ({ error: String(e) }));
  const pods = (await core.listNamespacedPod({ namespace: op.ns })).items;
  const lines = [`backend: ${JSON.stringify(d).slice(0, 1500)}`];
  for (const p of pods) {
    lines.push(`pod ${p.metadata!.name} on ${p.spec!.nodeName}: ${p.status!.phase} ${JSON.stringify(p.status!.containerStatuses?.map(c => ({ ready: c.ready, restarts: c.restartCount, state: c.state, last: c.lastState })))}`);
    const log = await core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: op.ns, tailLines: 25 }).catch(e => String(e));
    lines.push(String(log));
  }
  const events = (await core.listNamespacedEvent({ namespace: op.ns })).items.slice(-25);
  lines.push(...events.map(e => `event ${e.involvedObject.name} ${e.reason}: ${e.message}`));
  return lines.join('\n');
}
