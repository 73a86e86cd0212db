/**
 * Applies one entity's desired tracing state to the workloads its selector
 * matches in the namespaces authorise.ts resolved, in each mode
 * (webhookMode.ts, patchMode.ts), with the entity's own field manager.
 */
import type { Entity } from '@backstage/catalog-model';
import { agentCaConfigMapName, EntityWorkloadSelector } from '@skywalking-backstage/plugin-skywalking-common';
import { releaseCaConfigMaps } from './caConfigMaps';
import { entityFieldManager, errorMessage, isApiError, Kube, PlainWorkload, workloadKey, WorkloadRef, withTimeout } from './kube';
import { disableWorkload, enablePatch } from './patchMode';
import type { ClusterOutcome, ClusterTarget, Desired, TracingServiceOptions } from './types';
import { enableWebhook, releaseLegacyNamespaceLabel, releaseNamespaceLabel } from './webhookMode';

export interface ApplyContext {
  options: TracingServiceOptions;
  timeoutMs: number;
  /** last error per entity and workload, shown in the status */
  workloadErrors: Map<string, string>;
}

export const workloadErrorKey = (entityRef: string, w: WorkloadRef) => `${entityRef}|${workloadKey(w)}`;

export function clusterError(cluster: string, kube: Kube | undefined, e: unknown, doing: string): string {
  const where = kube?.server ? ` (${kube.server})` : '';
  return isApiError(e)
    ? `cluster ${cluster}${where}: ${doing} failed: ${errorMessage(e)}`
    : `cluster ${cluster}${where} is unreachable: ${errorMessage(e)}`;
}

export async function connect(ctx: ApplyContext, cluster: string, entityRef?: string): Promise<Kube> {
  return Kube.create(await ctx.options.getKubeConfig(cluster), entityRef ? entityFieldManager(entityRef) : undefined);
}

/** The selector's workloads in the target's namespaces. */
export async function targetWorkloads(kube: Kube, selector: EntityWorkloadSelector, target: ClusterTarget): Promise<PlainWorkload[]> {
  const lists = await Promise.all(target.namespaces.map(ns => kube.listNamespacedWorkloads(selector.labelSelector, ns)));
  return lists.flat();
}

export async function applyTargets(ctx: ApplyContext, entityRef: string, entity: Entity, selector: EntityWorkloadSelector, targets: ClusterTarget[], desired: Desired): Promise<ClusterOutcome[]> {
  return Promise.all(
    targets.map(t =>
      t.error
        ? Promise.resolve<ClusterOutcome>({ name: t.cluster, reachable: t.reachable ?? false, error: t.error, changed: [], workloadErrors: [] })
        : applyCluster(ctx, entityRef, entity, selector, t, desired),
    ),
  );
}

async function applyCluster(ctx: ApplyContext, entityRef: string, entity: Entity, selector: EntityWorkloadSelector, target: ClusterTarget, desired: Desired): Promise<ClusterOutcome> {
  const { cluster } = target;
  const o = ctx.options;
  const out: ClusterOutcome = { name: cluster, reachable: true, changed: [], workloadErrors: [] };
  let kube: Kube | undefined;
  let workloads: PlainWorkload[];
  try {
    kube = await connect(ctx, cluster, entityRef);
    const k = kube;
    workloads = await withTimeout(ctx.timeoutMs, `listing workloads in cluster ${cluster}`, () => targetWorkloads(k, selector, target));
  } catch (e) {
    return { ...out, reachable: isApiError(e), error: clusterError(cluster, kube, e, 'listing workloads') };
  }
  const mode = o.injectionMode(cluster);
  const collector = desired.backend ? await o.backendCollector(desired.backend) : undefined;
  const serviceName = entity.metadata.name;
  const namespaces = new Set<string>();
  // TLS backend: the agents trust its CA, from a ConfigMap in each workload namespace
  let caPem: string | undefined;
  if (desired.enabled && desired.backend && o.backendCa && workloads.length) {
    try {
      caPem = await withTimeout(ctx.timeoutMs, 'reading the backend CA', () => o.backendCa!(desired.backend!));
    } catch (e) {
      return { ...out, reachable: true, error: `cluster ${cluster}: the CA of backend ${desired.backend.namespace}/${desired.backend.name}: ${errorMessage(e)}` };
    }
  }
  const caConfigMap = caPem && desired.backend ? agentCaConfigMapName(desired.backend) : undefined;
  const caWritten = new Set<string>();
  for (const w of workloads) {
    const ref: WorkloadRef = { cluster, namespace: w.metadata.namespace, kind: w.kind, name: w.metadata.name };
    const key = workloadKey(ref);
    try {
      const changed = await withTimeout(ctx.timeoutMs, `updating ${key}`, async () => {
        if (!desired.enabled) return disableWorkload(kube!, w);
        if (caConfigMap && !caWritten.has(w.metadata.namespace)) {
          await kube!.applyCaConfigMap(w.metadata.namespace, caConfigMap, caPem!);
          caWritten.add(w.metadata.namespace);
        }
        if (mode === 'webhook') return enableWebhook(kube!, w, serviceName, collector!, caConfigMap);
        return enablePatch(kube!, w, serviceName, collector!, caConfigMap, o.allowedImages);
      });
      if (changed) out.changed.push(key);
      namespaces.add(w.metadata.namespace);
      ctx.workloadErrors.delete(workloadErrorKey(entityRef, ref));
    } catch (e) {
      if (!isApiError(e)) {
        // the cluster went away in the middle: the rest waits for reconcileTracing
        return { ...out, reachable: false, error: clusterError(cluster, kube, e, `updating ${key}`) };
      }
      const msg = errorMessage(e);
      ctx.workloadErrors.set(workloadErrorKey(entityRef, ref), msg);
      out.workloadErrors.push({ workload: key, error: msg });
    }
  }
  if (!desired.enabled) {
    for (const ns of namespaces) {
      try {
        // this entity's claim, then one left by the single manager of earlier releases
        const released = [await releaseNamespaceLabel(kube, ns), await releaseLegacyNamespaceLabel(kube, ns)];
        if (released.some(Boolean)) out.changed.push(`${cluster}/${ns}`);
        for (const cm of await releaseCaConfigMaps(kube, ns)) out.changed.push(`${cluster}/${ns}/ConfigMap/${cm}`);
      } catch (e) {
        out.workloadErrors.push({ workload: `${cluster}/${ns}`, error: errorMessage(e) });
      }
    }
  }
  return out;
}
