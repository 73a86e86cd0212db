/*
 * The tracing toggle of a catalog entity (issue 5, server side): finds the
 * entity's workloads the way Backstage's Kubernetes plugin does, turns the
 * SkyWalking java agent on or off for them, keeps the choice as desired state
 * in the database and re-applies it periodically (reconcileTracing).
 *
 * Two ways to get the agent into pods, per cluster:
 * - webhook: the namespace gets `swck-injection: enabled` and the pod
 *   template the opt-in label and the service name / collector annotations,
 *   by server-side apply with our field manager; the admission webhook
 *   injects pods as the workload rolls. Turning off releases exactly the
 *   fields we applied (SSA removes what only we owned).
 * - patch: the pod template itself is injected (injectWorkload) by a JSON
 *   patch guarded by a `test` of the resourceVersion; turning off removes
 *   exactly what was added (removeWorkload).
 */
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import {
  agentCaConfigMapName,
  AGENT_CA_CONFIGMAP_ANNOTATION,
  BackendRef,
  DEFAULT_INIT_CONTAINER_NAME,
  entityBackendRef,
  entityWorkloadSelector,
  EntityWorkloadSelector,
  injectAgent,
  INJECTED_MARKER_ANNOTATION,
  isAgentInjected,
  NAMESPACE_INJECT_LABEL,
  POD_INJECT_LABEL,
  removeAgent,
  SWCK_ERROR_ANNOTATION,
  TracingStatus,
  WorkloadInjection,
} from '@skywalking-backstage/plugin-skywalking-common';
import type * as K8s from '@kubernetes/client-node';
import type { SkyWalkingStore } from '../database/SkyWalkingStore';
import type { TracingOperations } from '../service/router';
import { COLLECTOR_ANNOTATION, SERVICE_NAME_ANNOTATION } from './admissionMutator';
import { isSubset, jsonDiff, PatchOp } from './jsonDiff';
import {
  errorMessage,
  isApiError,
  Kube,
  PlainWorkload,
  TRACING_FIELD_MANAGER,
  WorkloadKind,
  workloadKey,
  WorkloadRef,
  withTimeout,
} from './kube';

export type InjectionMode = 'webhook' | 'patch';

export interface TracingCatalog {
  getEntityByRef(ref: string, options: { credentials: BackstageCredentials }): Promise<Entity | undefined>;
}

export interface TracingServiceOptions {
  store: Pick<SkyWalkingStore, 'setTracing' | 'getTracing' | 'listTracing' | 'appendAudit' | 'listAudit'>;
  /** Backstage's CatalogService (or anything with its getEntityByRef) */
  catalog: TracingCatalog;
  getKubeConfig: (cluster: string) => Promise<K8s.KubeConfig>;
  /** names of the configured clusters */
  clusters: () => string[];
  injectionMode: (cluster: string) => InjectionMode;
  /** OAP gRPC address of a backend, e.g. `${name}-oap.${namespace}:11800` */
  backendCollector: (backend: BackendRef) => string | Promise<string>;
  /**
   * The CA bundle (ca.crt) of a backend with TLS, undefined without TLS
   * (BackendTls.agentCa); its agents get it as a ConfigMap in their namespace
   */
  backendCa?: (backend: BackendRef) => Promise<string | undefined>;
  logger: LoggerService;
  /** service credentials for reconcileTracing's catalog reads (Backstage AuthService) */
  auth?: { getOwnServiceCredentials(): Promise<BackstageCredentials> };
  /** per cluster call; default 15 s */
  timeoutMs?: number;
}

/**
 * The change was recorded as desired state but could not be applied to every
 * cluster; reconcileTracing applies it once the cluster answers again.
 */
export class TracingNotAppliedError extends ServiceUnavailableError {
  constructor(message: string, readonly clusters: { name: string; error: string }[]) {
    super(message);
  }
}

interface Desired {
  enabled: boolean;
  backend?: BackendRef;
}

interface ClusterOutcome {
  name: string;
  reachable: boolean;
  /** set when the cluster could not be read or written */
  error?: string;
  changed: string[];
  workloadErrors: { workload: string; error: string }[];
}

const SYSTEM_ACTOR = 'skywalking-backstage';

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


function ownsApplyFields(w: { metadata: { managedFields?: Array<{ manager?: string; operation?: string }> } }): boolean {
  return (w.metadata.managedFields ?? []).some(f => f.manager === TRACING_FIELD_MANAGER && f.operation === 'Apply');
}

export class TracingService implements TracingOperations {
  private readonly workloadErrors = new Map<string, string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly timeoutMs: number;

  constructor(private readonly options: TracingServiceOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  // ---------------------------------------------------------------- public API

  async getStatus(entityRef: string, credentials: BackstageCredentials): Promise<TracingStatus> {
    const ref = this.normalizeRef(entityRef);
    const entity = await this.entity(ref, credentials);
    return this.status(ref, entity);
  }

  async setTracing(
    input: { entityRef: string; enabled: boolean; backend?: BackendRef },
    actor: string,
    credentials: BackstageCredentials,
  ): Promise<TracingStatus> {
    const ref = this.normalizeRef(input.entityRef);
    const entity = await this.entity(ref, credentials);
    const selector = this.selector(entity, ref);
    const clusters = this.targetClusters(selector, ref);
    const existing = await this.options.store.getTracing(ref);
    const backend = this.checkBackend(input.backend) ?? existing?.backend ?? entityBackendRef(entity);
    if (input.enabled && !backend) {
      throw new InputError(`choose the SkyWalking backend ${ref} reports to (backend: {cluster, namespace, name})`);
    }
    const collector = backend ? await this.options.backendCollector(backend) : undefined;
    const mode = clusters.length ? this.options.injectionMode(clusters[0]) : 'webhook';

    return this.withLock(ref, async () => {
      // desired state first: an unreachable cluster gets it from reconcileTracing later
      await this.options.store.setTracing({ entityRef: ref, enabled: input.enabled, backend, mode, updatedBy: actor });
      const outcomes = await this.apply(entity, selector, clusters, { enabled: input.enabled, backend });
      const failed = outcomes.filter(o => o.error);
      await this.options.store.appendAudit({
        actor,
        action: input.enabled ? 'tracing.enable' : 'tracing.disable',
        target: `entity:${ref}`,
        details: {
          ...(backend ? { backend } : {}),
          ...(collector ? { collector } : {}),
          changed: outcomes.flatMap(o => o.changed),
          ...(failed.length ? { pending: failed.map(o => ({ cluster: o.name, error: o.error })) } : {}),
          ...(outcomes.some(o => o.workloadErrors.length) ? { errors: outcomes.flatMap(o => o.workloadErrors) } : {}),
        },
      });
      if (failed.length) {
        throw new TracingNotAppliedError(
          `tracing ${input.enabled ? 'enable' : 'disable'} for ${ref} is recorded and will be applied when the cluster answers again: ${failed
            .map(o => o.error)
            .join('; ')}`,
          failed.map(o => ({ name: o.name, error: o.error! })),
        );
      }
      return this.status(ref, entity, outcomes);
    });
  }

  /**
   * Re-applies the desired tracing state of every entity in the database:
   * changes that waited for an unreachable cluster, workloads that appeared
   * since, and patch-mode pod templates that another writer overwrote.
   */
  async reconcileTracing(): Promise<{ entities: number; changed: string[]; errors: string[] }> {
    const { store, catalog, logger } = this.options;
    const credentials = (await this.options.auth?.getOwnServiceCredentials()) as BackstageCredentials;
    const changed: string[] = [];
    const errors: string[] = [];
    const records = await store.listTracing();
    for (const rec of records) {
      try {
        const entity = await catalog.getEntityByRef(rec.entityRef, { credentials });
        if (!entity) {
          logger.debug(`tracing: ${rec.entityRef} is no longer in the catalog; not reconciled`);
          continue;
        }
        if (rec.enabled && !rec.backend) continue;
        const selector = entityWorkloadSelector(entity);
        if (!selector) continue;
        const clusters = this.targetClusters(selector, rec.entityRef);
        const outcomes = await this.withLock(rec.entityRef, () =>
          this.apply(entity, selector, clusters, { enabled: rec.enabled, backend: rec.backend }),
        );
        const here = outcomes.flatMap(o => o.changed);
        const problems = [
          ...outcomes.filter(o => o.error).map(o => o.error!),
          ...outcomes.flatMap(o => o.workloadErrors.map(e => `${e.workload}: ${e.error}`)),
        ];
        if (here.length) {
          logger.info(`tracing: re-applied ${rec.enabled ? 'enabled' : 'disabled'} tracing of ${rec.entityRef} to ${here.join(', ')}`);
          await store.appendAudit({
            actor: SYSTEM_ACTOR,
            action: 'tracing.reconcile',
            target: `entity:${rec.entityRef}`,
            details: { enabled: rec.enabled, changed: here, ...(problems.length ? { errors: problems } : {}) },
          });
        }
        changed.push(...here);
        errors.push(...problems.map(p => `${rec.entityRef}: ${p}`));
      } catch (e) {
        errors.push(`${rec.entityRef}: ${errorMessage(e)}`);
      }
    }
    for (const e of errors) logger.warn(`tracing reconcile: ${e}`);
    return { entities: records.length, changed, errors };
  }

  // ------------------------------------------------------------------ helpers

  private normalizeRef(entityRef: string): string {
    try {
      return stringifyEntityRef(parseEntityRef(entityRef));
    } catch (e) {
      throw new InputError(`invalid entity ref ${JSON.stringify(entityRef)}: ${(e as Error).message}`);
    }
  }

  private async entity(ref: string, credentials: BackstageCredentials): Promise<Entity> {
    const entity = await this.options.catalog.getEntityByRef(ref, { credentials });
    if (!entity) throw new NotFoundError(`no catalog entity ${ref}`);
    return entity;
  }

  private selector(entity: Entity, ref: string): EntityWorkloadSelector {
    const s = entityWorkloadSelector(entity);
    if (!s) {
      throw new InputError(
        `${ref} names no Kubernetes workloads: annotate it with backstage.io/kubernetes-id or backstage.io/kubernetes-label-selector`,
      );
    }
    return s;
  }

  private targetClusters(selector: EntityWorkloadSelector, ref: string): string[] {
    const all = this.options.clusters();
    if (!selector.cluster) return all;
    if (!all.includes(selector.cluster)) {
      throw new InputError(
        `${ref} is annotated with cluster ${selector.cluster}, which is not configured (configured: ${all.join(', ') || 'none'})`,
      );
    }
    return [selector.cluster];
  }

  private checkBackend(b: unknown): BackendRef | undefined {
    if (b === undefined || b === null) return undefined;
    const r = b as Record<string, unknown>;
    const bad = ['cluster', 'namespace', 'name'].filter(k => typeof r[k] !== 'string' || !r[k]);
    if (bad.length) throw new InputError(`backend.${bad.join(', backend.')} must be non-empty strings`);
    return { cluster: r.cluster as string, namespace: r.namespace as string, name: r.name as string };
  }

  private async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }

  private clusterError(cluster: string, kube: Kube | undefined, e: unknown, doing: string): string {
    const where = kube?.server ? ` (${kube.server})` : '';
    return isApiError(e)
      ? `cluster ${cluster}${where}: ${doing} failed: ${errorMessage(e)}`
      : `cluster ${cluster}${where} is unreachable: ${errorMessage(e)}`;
  }

  private async connect(cluster: string): Promise<Kube> {
    return Kube.create(await this.options.getKubeConfig(cluster));
  }

  // ------------------------------------------------------------ apply desired

  private async apply(
    entity: Entity,
    selector: EntityWorkloadSelector,
    clusters: string[],
    desired: Desired,
  ): Promise<ClusterOutcome[]> {
    return Promise.all(clusters.map(c => this.applyCluster(c, entity, selector, desired)));
  }

  private async applyCluster(
    cluster: string,
    entity: Entity,
    selector: EntityWorkloadSelector,
    desired: Desired,
  ): Promise<ClusterOutcome> {
    const out: ClusterOutcome = { name: cluster, reachable: true, changed: [], workloadErrors: [] };
    let kube: Kube | undefined;
    let workloads: PlainWorkload[];
    try {
      kube = await this.connect(cluster);
      const k = kube;
      workloads = await withTimeout(this.timeoutMs, `listing workloads in cluster ${cluster}`, () =>
        k.listWorkloads(selector.labelSelector, selector.namespace),
      );
    } catch (e) {
      return { ...out, reachable: isApiError(e), error: this.clusterError(cluster, kube, e, 'listing workloads') };
    }
    const mode = this.options.injectionMode(cluster);
    const collector = desired.backend ? await this.options.backendCollector(desired.backend) : undefined;
    const serviceName = entity.metadata.name;
    const namespaces = new Set<string>();
    // TLS backend: the agents trust its CA, from a ConfigMap in each workload namespace
    let caPem: string | undefined;
    if (desired.enabled && desired.backend && this.options.backendCa && workloads.length) {
      try {
        caPem = await withTimeout(this.timeoutMs, 'reading the backend CA', () => this.options.backendCa!(desired.backend!));
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
        const changed = await withTimeout(this.timeoutMs, `updating ${key}`, async () => {
          if (!desired.enabled) return this.disableWorkload(kube!, w);
          if (caConfigMap && !caWritten.has(w.metadata.namespace)) {
            await kube!.applyCaConfigMap(w.metadata.namespace, caConfigMap, caPem!);
            caWritten.add(w.metadata.namespace);
          }
          if (mode === 'webhook') return this.enableWebhook(kube!, w, serviceName, collector!, caConfigMap);
          return this.enablePatch(kube!, w, serviceName, collector!, caConfigMap);
        });
        if (changed) out.changed.push(key);
        namespaces.add(w.metadata.namespace);
        this.workloadErrors.delete(key);
      } catch (e) {
        if (!isApiError(e)) {
          // the cluster went away in the middle: the rest waits for reconcileTracing
          return { ...out, reachable: false, error: this.clusterError(cluster, kube, e, `updating ${key}`) };
        }
        const msg = errorMessage(e);
        this.workloadErrors.set(key, msg);
        out.workloadErrors.push({ workload: key, error: msg });
      }
    }
    if (!desired.enabled) {
      for (const ns of namespaces) {
        try {
          if (await this.releaseNamespaceLabel(kube, ns)) out.changed.push(`${cluster}/${ns}`);
          for (const cm of await this.releaseCaConfigMaps(kube!, ns)) out.changed.push(`${cluster}/${ns}/ConfigMap/${cm}`);
        } catch (e) {
          out.workloadErrors.push({ workload: `${cluster}/${ns}`, error: errorMessage(e) });
        }
      }
    }
    return out;
  }

  /** webhook mode: namespace label, opt-in label and agent annotations on the pod template (SSA). */
  private async enableWebhook(kube: Kube, w: PlainWorkload, serviceName: string, collector: string, caConfigMap?: string): Promise<boolean> {
    const { namespace, name } = w.metadata;
    let changed = false;
    const ns = await kube.readNamespace(namespace);
    const nsValue = ns.labels[NAMESPACE_INJECT_LABEL];
    if (nsValue?.toLowerCase() === 'disabled') {
      throw Object.assign(
        new Error(`namespace ${namespace} has ${NAMESPACE_INJECT_LABEL}: disabled; agent injection is turned off there`),
        { code: 409 },
      );
    }
    if (nsValue !== 'enabled' || !ns.managedFields.some(f => f.manager === TRACING_FIELD_MANAGER)) {
      await kube.applyNamespace(namespace, { [NAMESPACE_INJECT_LABEL]: 'enabled' });
      changed = nsValue !== 'enabled';
    }
    // a pod template injected earlier in patch mode is cleaned first
    if (w.spec.template.metadata?.annotations?.[INJECTED_MARKER_ANNOTATION]) {
      await this.removePatchInjection(kube, w);
      changed = true;
    }
    const meta = w.spec.template.metadata ?? {};
    const wanted = {
      labels: { [POD_INJECT_LABEL]: 'true' },
      annotations: {
        [SERVICE_NAME_ANNOTATION]: serviceName,
        [COLLECTOR_ANNOTATION]: collector,
        // the webhook mounts this ConfigMap's ca.crt into the agent's ca/ directory
        ...(caConfigMap ? { [AGENT_CA_CONFIGMAP_ANNOTATION]: caConfigMap } : {}),
      },
    };
    const present =
      Object.entries(wanted.labels).every(([k, v]) => meta.labels?.[k] === v) &&
      Object.entries(wanted.annotations).every(([k, v]) => meta.annotations?.[k] === v) &&
      // TLS turned off since: the CA annotation is taken back
      (caConfigMap !== undefined || meta.annotations?.[AGENT_CA_CONFIGMAP_ANNOTATION] === undefined);
    if (!present || !ownsApplyFields(w)) {
      await kube.applyWorkload(w.kind, namespace, name, {
        apiVersion: 'apps/v1',
        kind: w.kind,
        metadata: { name, namespace },
        spec: { template: { metadata: wanted } },
      });
      changed ||= !present;
    }
    return changed;
  }

  /** patch mode: the pod template is injected; repaired when another writer broke the injection. */
  private async enablePatch(kube: Kube, workload: PlainWorkload, serviceName: string, collector: string, caConfigMap?: string): Promise<boolean> {
    let changed = false;
    let w = workload;
    if (ownsApplyFields(w)) {
      // set up for webhook mode before: release those fields first
      w = await this.releaseApplied(kube, w);
      changed = true;
    }
    const backend = { agentServiceName: serviceName, collectorAddress: collector, ...(caConfigMap ? { caConfigMap } : {}) };
    return (
      (await this.patchTemplate(kube, w, template => {
        const annotations = template.metadata?.annotations ?? {};
        const base = INJECTED_MARKER_ANNOTATION in annotations ? removeAgent(template) : undefined;
        if (base?.errors.length) throw new Error(base.errors.map(e => `${e.path}: ${e.message}`).join('; '));
        const r = injectAgent({ pod: base?.pod ?? template, force: true, backend });
        if (!r.injected) {
          if (/^already injected by SWCK/.test(r.reason ?? '')) return undefined;
          const why = [r.reason, ...r.errors.map(e => `${e.path}: ${e.message}`)].filter(Boolean).join('; ');
          throw Object.assign(new Error(`agent not injected: ${why}`), { code: 422 });
        }
        return isSubset(r.pod, template) ? undefined : r.pod;
      })) || changed
    );
  }

  /** Both modes: undo what we did (patch injection, applied label/annotations). */
  private async disableWorkload(kube: Kube, workload: PlainWorkload): Promise<boolean> {
    let changed = false;
    let w = workload;
    if (ownsApplyFields(w)) {
      w = await this.releaseApplied(kube, w);
      changed = true;
    }
    if (w.spec.template.metadata?.annotations?.[INJECTED_MARKER_ANNOTATION]) {
      changed = (await this.removePatchInjection(kube, w)) || changed;
    }
    return changed;
  }

  private removePatchInjection(kube: Kube, w: PlainWorkload): Promise<boolean> {
    return this.patchTemplate(kube, w, template => {
      const r = removeAgent(template);
      if (r.errors.length) throw new Error(r.errors.map(e => `${e.path}: ${e.message}`).join('; '));
      return r.removed ? r.pod : undefined;
    });
  }

  /** An empty apply: SSA removes the fields only we owned, and keeps those someone else set as well. */
  private async releaseApplied(kube: Kube, w: PlainWorkload): Promise<PlainWorkload> {
    const { namespace, name } = w.metadata;
    return kube.applyWorkload(w.kind, namespace, name, { apiVersion: 'apps/v1', kind: w.kind, metadata: { name, namespace } });
  }

  /**
   * Patches the pod template to what `change` returns (undefined: leave it),
   * guarded by a test of the resourceVersion; on a concurrent write, reads
   * again and recomputes (3 attempts).
   */
  private async patchTemplate(
    kube: Kube,
    w: PlainWorkload,
    change: (template: PlainWorkload['spec']['template']) => PlainWorkload['spec']['template'] | undefined,
  ): Promise<boolean> {
    let current = w;
    for (let attempt = 1; ; attempt++) {
      const next = change(current.spec.template);
      if (!next) return false;
      const ops: PatchOp[] = [
        { op: 'test', path: '/metadata/resourceVersion', value: current.metadata.resourceVersion },
        ...jsonDiff(current.spec.template, next, '/spec/template'),
      ];
      try {
        await kube.jsonPatchWorkload(current.kind, current.metadata.namespace, current.metadata.name, ops);
        return true;
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (attempt >= 3 || (code !== 409 && code !== 422)) throw e;
        current = await kube.readWorkload(current.kind as WorkloadKind, current.metadata.namespace, current.metadata.name);
      }
    }
  }

  /**
   * Takes our `swck-injection: enabled` off a namespace again once no
   * workload there asks for webhook injection (SSA keeps it when someone
   * else set it too).
   */
  private async releaseNamespaceLabel(kube: Kube, namespace: string): Promise<boolean> {
    const ns = await kube.readNamespace(namespace);
    if (!ns.managedFields.some(f => f.manager === TRACING_FIELD_MANAGER && f.operation === 'Apply')) return false;
    const inUse = (await kube.listWorkloads('', namespace)).some(
      w => w.spec.template.metadata?.labels?.[POD_INJECT_LABEL] === 'true',
    );
    if (inUse) return false;
    await kube.applyNamespace(namespace, undefined);
    const after = await kube.readNamespace(namespace);
    return after.labels[NAMESPACE_INJECT_LABEL] !== ns.labels[NAMESPACE_INJECT_LABEL];
  }

  /**
   * Deletes the agent CA ConfigMaps of a namespace that no workload there
   * names any more (webhook mode: the pod template's CA annotation; patch
   * mode: a ConfigMap volume), so turning tracing off leaves nothing behind.
   */
  private async releaseCaConfigMaps(kube: Kube, namespace: string): Promise<string[]> {
    const ours = await kube.listCaConfigMaps(namespace);
    if (!ours.length) return [];
    const used = new Set<string>();
    for (const w of await kube.listWorkloads('', namespace)) {
      const t = w.spec.template;
      const named = t.metadata?.annotations?.[AGENT_CA_CONFIGMAP_ANNOTATION];
      if (named) used.add(named);
      for (const v of t.spec?.volumes ?? []) if (v.configMap?.name) used.add(v.configMap.name);
    }
    const unused = ours.filter(n => !used.has(n));
    for (const n of unused) await kube.deleteConfigMap(namespace, n);
    return unused;
  }

  // ------------------------------------------------------------------ status

  private async status(ref: string, entity: Entity, outcomes?: ClusterOutcome[]): Promise<TracingStatus> {
    const rec = await this.options.store.getTracing(ref);
    const history = await this.options.store.listAudit({ target: `entity:${ref}`, limit: 10 });
    const base: TracingStatus = {
      entityRef: ref,
      enabled: rec?.enabled ?? false,
      ...(rec?.backend ? { backend: rec.backend } : {}),
      clusters: [],
      workloads: [],
      history,
      ...(rec ? { updatedBy: rec.updatedBy, updatedAt: rec.updatedAt } : {}),
    };
    const selector = entityWorkloadSelector(entity);
    if (!selector) return base;
    let clusters: string[];
    try {
      clusters = this.targetClusters(selector, ref);
    } catch (e) {
      return { ...base, clusters: [{ name: selector.cluster!, reachable: false, error: (e as Error).message }] };
    }
    const perCluster = await Promise.all(
      clusters.map(async cluster => {
        let kube: Kube | undefined;
        try {
          kube = await this.connect(cluster);
          const k = kube;
          const workloads = await withTimeout(this.timeoutMs, `reading cluster ${cluster}`, () =>
            this.workloadStatus(k, cluster, selector),
          );
          return { cluster: { name: cluster, reachable: true }, workloads };
        } catch (e) {
          const applied = outcomes?.find(o => o.name === cluster);
          return {
            cluster: {
              name: cluster,
              reachable: isApiError(e),
              error: applied?.error ?? this.clusterError(cluster, kube, e, 'reading workloads'),
            },
            workloads: [] as WorkloadInjection[],
          };
        }
      }),
    );
    return { ...base, clusters: perCluster.map(c => c.cluster), workloads: perCluster.flatMap(c => c.workloads) };
  }

  private async workloadStatus(kube: Kube, cluster: string, selector: EntityWorkloadSelector): Promise<WorkloadInjection[]> {
    const mode = this.options.injectionMode(cluster);
    const workloads = await kube.listWorkloads(selector.labelSelector, selector.namespace);
    return Promise.all(
      workloads.map(async w => {
        const ref: WorkloadRef = { cluster, namespace: w.metadata.namespace, kind: w.kind, name: w.metadata.name };
        const pods = (await kube.workloadPods(w)).map(p => JSON.parse(JSON.stringify(p)));
        const injected = pods.filter(podHasAgent);
        const agentVersion =
          injected.map(podAgentVersion).find(Boolean) ??
          (podHasAgent(w.spec.template) ? podAgentVersion(w.spec.template) : undefined);
        const swckError = pods.map(p => p.metadata?.annotations?.[SWCK_ERROR_ANNOTATION]).find(Boolean);
        const error = this.workloadErrors.get(workloadKey(ref)) ?? swckError;
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
}
