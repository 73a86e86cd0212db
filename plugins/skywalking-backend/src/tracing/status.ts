/**
 * The tracing card's status: desired state and history from the database,
 * and per workload of the entity how many pods carry the agent.
 */
import {
  DEFAULT_INIT_CONTAINER_NAME,
  EntityWorkloadSelector,
  INJECTED_MARKER_ANNOTATION,
  isAgentInjected,
  SWCK_ERROR_ANNOTATION,
  TracingStatus,
  WorkloadInjection,
} from '@skywalking-backstage/plugin-skywalking-common';
import { ApplyContext, clusterError, connect, targetWorkloads, workloadErrorKey } from './apply';
import { isApiError, Kube, WorkloadRef, withTimeout } from './kube';
import type { ClusterOutcome, ClusterTarget } from './types';

const agentImageTag = (image: string | undefined): string | undefined => {
  if (!image) return undefined;
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
};

function agentInitContainerName(annotations: Record<string, string> | undefined): string {
  try {
    const r = JSON.parse(annotations?.[INJECTED_MARKER_ANNOTATION] ?? '');
    if (typeof r?.initContainer === 'string') return r.initContainer;
  } catch {
    // no marker: SWCK's name
  }
  return DEFAULT_INIT_CONTAINER_NAME;
}

/** True for a pod that carries the agent (our marker, SWCK's succeed annotation or the agent init container). */
export function podHasAgent(pod: { metadata?: any; spec?: any }): boolean {
  if (isAgentInjected({ metadata: pod.metadata, spec: pod.spec ?? { containers: [] } })) return true;
  const name = agentInitContainerName(pod.metadata?.annotations);
  return (pod.spec?.initContainers ?? []).some((c: { name?: string }) => c.name === name);
}

function podAgentVersion(pod: { metadata?: any; spec?: any }): string | undefined {
  const name = agentInitContainerName(pod.metadata?.annotations);
  const init = (pod.spec?.initContainers ?? []) as Array<{ name?: string; image?: string }>;
  const c = init.find(x => x.name === name) ?? init.find(x => /skywalking-java-agent/.test(x.image ?? ''));
  return agentImageTag(c?.image);
}

export async function tracingStatus(
  ctx: ApplyContext,
  ref: string,
  selector: EntityWorkloadSelector | undefined,
  targets: ClusterTarget[],
  outcomes?: ClusterOutcome[],
): Promise<TracingStatus> {
  const { store } = ctx.options;
  const rec = await store.getTracing(ref);
  const history = await store.listAudit({ target: `entity:${ref}`, limit: 10 });
  const base: TracingStatus = {
    entityRef: ref,
    enabled: rec?.enabled ?? false,
    ...(rec?.backend ? { backend: rec.backend } : {}),
    clusters: [],
    workloads: [],
    history,
    ...(rec ? { updatedBy: rec.updatedBy, updatedAt: rec.updatedAt } : {}),
  };
  if (!selector) return base;
  const perCluster = await Promise.all(
    targets.map(async target => {
      const { cluster } = target;
      if (target.error) {
        return { cluster: { name: cluster, reachable: target.reachable ?? false, error: target.error }, workloads: [] as WorkloadInjection[] };
      }
      let kube: Kube | undefined;
      try {
        kube = await connect(ctx, cluster);
        const k = kube;
        const workloads = await withTimeout(ctx.timeoutMs, `reading cluster ${cluster}`, () => workloadStatus(ctx, ref, k, selector, target));
        return { cluster: { name: cluster, reachable: true }, workloads };
      } catch (e) {
        const applied = outcomes?.find(o => o.name === cluster);
        return {
          cluster: { name: cluster, reachable: isApiError(e), error: applied?.error ?? clusterError(cluster, kube, e, 'reading workloads') },
          workloads: [] as WorkloadInjection[],
        };
      }
    }),
  );
  return { ...base, clusters: perCluster.map(c => c.cluster), workloads: perCluster.flatMap(c => c.workloads) };
}

async function workloadStatus(ctx: ApplyContext, entityRef: string, kube: Kube, selector: EntityWorkloadSelector, target: ClusterTarget): Promise<WorkloadInjection[]> {
  const { cluster } = target;
  const mode = ctx.options.injectionMode(cluster);
  const workloads = (await targetWorkloads(kube, selector, target)).sort((x, y) =>
    `${x.metadata.namespace}/${x.kind}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace}/${y.kind}/${y.metadata.name}`),
  );
  return Promise.all(
    workloads.map(async w => {
      const ref: WorkloadRef = { cluster, namespace: w.metadata.namespace, kind: w.kind, name: w.metadata.name };
      const pods = (await kube.workloadPods(w)).map(p => JSON.parse(JSON.stringify(p)));
      const injected = pods.filter(podHasAgent);
      const agentVersion =
        injected.map(podAgentVersion).find(Boolean) ?? (podHasAgent(w.spec.template) ? podAgentVersion(w.spec.template) : undefined);
      const swckError = pods.map(p => p.metadata?.annotations?.[SWCK_ERROR_ANNOTATION]).find(Boolean);
      const error = ctx.workloadErrors.get(workloadErrorKey(entityRef, ref)) ?? swckError;
      return {
        ...ref,
        injectedPods: injected.length,
        totalPods: pods.length,
        ...(agentVersion ? { agentVersion } : {}),
        mode,
        ...(error ? { error } : {}),
      };
    }),
  );
}
