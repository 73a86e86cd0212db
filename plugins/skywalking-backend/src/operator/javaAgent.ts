import { POD_INJECT_LABEL } from '@skywalking-backstage/plugin-skywalking-common';
import { podHasAgent } from '../tracing/TracingService';

const SERVICE_NAME_ANNOTATION = 'agent.skywalking.apache.org/agent.service_name';
const COLLECTOR_ANNOTATION = 'agent.skywalking.apache.org/collector.backend_service';

/**
 * SWCK names a JavaAgent after the first (sorted) label of an injected pod
 * and selects the pods carrying that label; we do the same so the records
 * match what SWCK users know.
 */
export function javaAgentSelector(pod: any): { name: string; selector: string; key: string; value: string } | undefined {
  const labels: Record<string, string> = pod.metadata?.labels ?? {};
  const keys = Object.keys(labels).filter(k => k !== POD_INJECT_LABEL && !k.includes('pod-template-hash')).sort();
  if (!keys.length) return undefined;
  const key = keys[0];
  const name = `${key}-${labels[key]}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 243);
  return { name: `${name}-javaagent`, selector: `${key}=${labels[key]}`, key, value: labels[key] };
}

/** The JavaAgent object (SWCK schema) recording the injected pods that share a selector. */
export function renderJavaAgent(pods: any[]): { object: any; status: any } | undefined {
  const injectedCandidates = pods.filter(p => p.metadata?.labels?.[POD_INJECT_LABEL] === 'true');
  const first = injectedCandidates[0];
  const sel = first && javaAgentSelector(first);
  if (!sel) return undefined;
  const owner = (first.metadata.ownerReferences ?? [])[0];
  const ann = first.metadata.annotations ?? {};
  const agentConfiguration: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(ann)) {
    if (k.startsWith('agent.skywalking.apache.org/')) agentConfiguration[k.slice('agent.skywalking.apache.org/'.length)] = v;
  }
  return {
    object: {
      apiVersion: 'operator.skywalking.apache.org/v1alpha1',
      kind: 'JavaAgent',
      metadata: {
        name: sel.name,
        namespace: first.metadata.namespace,
        labels: { [sel.key]: sel.value, 'app.kubernetes.io/managed-by': 'skywalking-backstage' },
        // the pod's owner (e.g. its ReplicaSet), as SWCK does: the record goes with the workload
        ownerReferences: owner ? [{ ...owner, controller: false, blockOwnerDeletion: false }] : undefined,
      },
      spec: {
        podSelector: sel.selector,
        serviceName: ann[SERVICE_NAME_ANNOTATION] ?? agentConfiguration['agent.service_name'] ?? '',
        backendService: ann[COLLECTOR_ANNOTATION] ?? '',
        agentConfiguration,
      },
    },
    status: {
      expectedInjectiedNum: injectedCandidates.length,
      realInjectedNum: injectedCandidates.filter(p => podHasAgent(p)).length,
    },
  };
}
