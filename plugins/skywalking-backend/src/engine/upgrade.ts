import { Condition, CustomObject, oapDeployments } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, loadK8s } from '../clusters/k8s';
import type { CacheView } from './kinds';
import { newPodsWhy } from './podWhy';

// as kinds.ts (which imports this module for the OAPServer status)
const SWCK_GROUP = 'operator.skywalking.apache.org';
const SWCK_VERSION = 'v1alpha1';
const SWCK_API_VERSION = `${SWCK_GROUP}/${SWCK_VERSION}`;

/**
 * A version upgrade of a backend as a durable, resumable process: the record
 * lives in an annotation on the OAPServer, and the reconcile engine advances
 * it (storage, then OAP, then UI) as the workloads' status changes, rolling
 * back every upgraded component when a step's new pods are not Ready in time.
 */
export const UPGRADE_ANNOTATION = 'skywalking-backstage.io/upgrade';
/** fieldManager of the components' version and image while upgrading (server-side apply) */
export const UPGRADE_MANAGER = 'skywalking-backstage-upgrade';
/** fieldManager of the upgrade annotation (merge patches) */
const UPGRADE_RECORD_MANAGER = 'skywalking-backstage-upgrade-record';
export const DEFAULT_UPGRADE_DEADLINE_SECONDS = 600;
export const MIN_UPGRADE_DEADLINE_SECONDS = 30;

export type UpgradeStep = 'storage' | 'oap' | 'ui';
export type UpgradePhase = UpgradeStep | 'Succeeded' | 'RolledBack';
const STEPS: UpgradeStep[] = ['storage', 'oap', 'ui'];
const STEP_NAME: Record<UpgradeStep, string> = { storage: 'storage (BanyanDB)', oap: 'OAP', ui: 'UI' };

export interface UpgradeRecord {
  /** target version of OAP and UI */
  version: string;
  /** target version of BanyanDB; absent: the storage keeps its version */
  storageVersion?: string;
  /** versions before the upgrade, restored on rollback */
  previous: { oap: string; ui?: string; banyandb?: string };
  phase: UpgradePhase;
  startedAt: string;
  /** when the current step began; its deadline is deadlineSeconds later */
  phaseStartedAt: string;
  deadlineSeconds: number;
  /** deadline of the current step */
  deadline: string;
  finishedAt?: string;
  message?: string;
}

export interface UpgradeOptions {
  storageVersion?: string;
  deadlineSeconds?: number;
  allowDowngrade?: boolean;
}

// ---------------------------------------------------------------- versions

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function isSemver(v: unknown): v is string {
  return typeof v === 'string' && SEMVER.test(v);
}

/** Semantic version order: negative when a < b (pre-releases before their release). */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return a.localeCompare(b);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d) return d;
  }
  if (pa[4] === pb[4]) return 0;
  if (!pa[4]) return 1;
  if (!pb[4]) return -1;
  const xa = pa[4].split('.');
  const xb = pb[4].split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const na = /^\d+$/.test(xa[i]) ? Number(xa[i]) : NaN;
    const nb = /^\d+$/.test(xb[i]) ? Number(xb[i]) : NaN;
    const d = !isNaN(na) && !isNaN(nb) ? na - nb : xa[i].localeCompare(xb[i]);
    if (d) return d;
  }
  return 0;
}

/** Field errors of an upgrade request body (`version`, `storageVersion`, `deadlineSeconds`, `allowDowngrade`). */
export function validateUpgradeRequest(body: any): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const b = body ?? {};
  if (b.version === undefined) errors.push({ path: 'version', message: 'is required' });
  else if (!isSemver(b.version)) errors.push({ path: 'version', message: 'must be a semantic version such as 10.2.0' });
  if (b.storageVersion !== undefined && !isSemver(b.storageVersion)) errors.push({ path: 'storageVersion', message: 'must be a semantic version such as 0.8.0' });
  if (b.deadlineSeconds !== undefined && (!Number.isInteger(b.deadlineSeconds) || b.deadlineSeconds < MIN_UPGRADE_DEADLINE_SECONDS || b.deadlineSeconds > 86_400)) {
    errors.push({ path: 'deadlineSeconds', message: `must be an integer from ${MIN_UPGRADE_DEADLINE_SECONDS} to 86400` });
  }
  if (b.allowDowngrade !== undefined && typeof b.allowDowngrade !== 'boolean') errors.push({ path: 'allowDowngrade', message: 'must be a boolean' });
  return errors;
}

// ---------------------------------------------------------------- record

export function upgradeOf(oap: { metadata?: any } | undefined): UpgradeRecord | undefined {
  const raw = oap?.metadata?.annotations?.[UPGRADE_ANNOTATION];
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw);
    return r && typeof r === 'object' && typeof r.version === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

export function upgradeInProgress(r: UpgradeRecord | undefined): boolean {
  return Boolean(r && (STEPS as string[]).includes(r.phase));
}

const IMAGES: Record<UpgradeStep, (v: string) => string> = {
  storage: v => `apache/skywalking-banyandb:${v}`,
  oap: v => `apache/skywalking-oap-server:${v}`,
  ui: v => `apache/skywalking-ui:${v}`,
};
const KIND: Record<UpgradeStep, string> = { storage: 'BanyanDB', oap: 'OAPServer', ui: 'UI' };
/** pod labels of a step's workloads (renderBanyanDB, renderOAPServer, renderUI) */
const POD_SELECTOR: Record<UpgradeStep, (name: string) => string> = {
  storage: n => `app=banyandb,operator.skywalking.apache.org/banyandb-name=${n}`,
  oap: n => `app=oap,operator.skywalking.apache.org/oap-server-name=${n}`,
  ui: n => `app=ui,operator.skywalking.apache.org/ui-name=${n}`,
};

/** A new upgrade record: starts at the storage step (skipped by the engine when the storage keeps its version). */
export function newUpgradeRecord(
  target: { version: string; storageVersion?: string; deadlineSeconds?: number },
  previous: UpgradeRecord['previous'],
  now: Date,
): UpgradeRecord {
  const deadlineSeconds = target.deadlineSeconds ?? DEFAULT_UPGRADE_DEADLINE_SECONDS;
  const t = now.toISOString();
  return {
    version: target.version,
    ...(target.storageVersion ? { storageVersion: target.storageVersion } : {}),
    previous,
    phase: 'storage',
    startedAt: t,
    phaseStartedAt: t,
    deadlineSeconds,
    deadline: new Date(now.getTime() + deadlineSeconds * 1000).toISOString(),
  };
}

/**
 * Upgrading and Upgraded conditions of an OAPServer from its upgrade record
 * (none when it was never upgraded this way).
 */
export function upgradeConditions(cr: CustomObject, now: Date): Condition[] {
  const r = upgradeOf(cr);
  if (!r) return [];
  const prior: Condition[] = cr.status?.conditions ?? [];
  const t = now.toISOString();
  const keep = (c: Condition): Condition => {
    const old = prior.find(p => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime ?? t : t };
  };
  if (upgradeInProgress(r)) {
    const step = r.phase as UpgradeStep;
    const message = `upgrading to ${r.version}: ${STEP_NAME[step]} (step ${STEPS.indexOf(step) + 1} of 3), deadline ${r.deadline}`;
    return [
      keep({ type: 'Upgrading', status: 'True', reason: `Upgrading${step === 'storage' ? 'Storage' : step.toUpperCase()}`, message }),
      keep({ type: 'Upgraded', status: 'False', reason: 'InProgress', message }),
    ];
  }
  const done = keep({ type: 'Upgrading', status: 'False', reason: r.phase, message: '' });
  if (r.phase === 'Succeeded') return [done, keep({ type: 'Upgraded', status: 'True', reason: 'Succeeded', message: r.message ?? `upgraded to ${r.version}` })];
  return [done, keep({ type: 'Upgraded', status: 'False', reason: 'RolledBack', message: r.message ?? 'rolled back' })];
}

// ---------------------------------------------------------------- readiness

const imageOf = (w: any) => w?.spec?.template?.spec?.containers?.[0]?.image;

/** Why a Deployment or StatefulSet has not rolled its pods to `image` and made them Ready; undefined when it has. */
export function notRolled(kind: 'Deployment' | 'StatefulSet', name: string, w: any, image: string): string | undefined {
  if (!w) return `${kind} ${name} does not exist`;
  if (imageOf(w) !== image) return `${kind} ${name} does not run ${image} yet`;
  const want = w.spec?.replicas ?? 1;
  const st = w.status ?? {};
  if ((st.observedGeneration ?? 0) < (w.metadata?.generation ?? 0)) return `${kind} ${name}: new pod template not observed yet`;
  const updated = st.updatedReplicas ?? 0;
  if (kind === 'Deployment') {
    // availableReplicas counts the old pods too: those not updated are taken as available
    const total = st.replicas ?? 0;
    const newReady = Math.max(0, Math.min(updated, (st.availableReplicas ?? 0) - (total - updated)));
    if (updated < want || newReady < want) return `${kind} ${name}: ${newReady}/${want} new pods (${image}) Ready`;
    if (total > want) return `${kind} ${name}: new pods Ready, old pods still running`;
    return undefined;
  }
  const newReady = Math.min(updated, st.readyReplicas ?? 0);
  if (updated < want || newReady < want) return `${kind} ${name}: ${newReady}/${want} new pods (${image}) Ready`;
  if (st.updateRevision && st.currentRevision !== st.updateRevision) return `${kind} ${name}: rollout to revision ${st.updateRevision} not complete`;
  return undefined;
}

// ---------------------------------------------------------------- controller

export interface UpgradeStepResult {
  /** reconcile the OAPServer again after this long (the step's deadline) */
  requeueAfterMs?: number;
}

/**
 * Advances upgrades; called by the engine on every reconcile of an OAPServer
 * (woken by the OAPServer, its Deployments, and the BanyanDB StatefulSet and
 * UI Deployment of the same backend), and once more at the step's deadline.
 */
export class UpgradeController {
  private objects?: K8s.KubernetesObjectApi;
  private custom?: K8s.CustomObjectsApi;
  private core?: K8s.CoreV1Api;

  constructor(
    private readonly kc: K8s.KubeConfig,
    private readonly o: {
      event: (cr: CustomObject, type: 'Normal' | 'Warning', reason: string, note: string) => Promise<void>;
      onWrite?: () => void;
      /** called right before each write; throws when this replica may no longer write (lost the lead) */
      beforeWrite?: () => void;
      log?: (msg: string) => void;
    },
  ) {}

  private async clients() {
    const k8s = await loadK8s();
    if (!this.objects) this.objects = k8s.KubernetesObjectApi.makeApiClient(this.kc);
    if (!this.custom) this.custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    if (!this.core) this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    return { k8s, objects: this.objects, custom: this.custom, core: this.core };
  }

  /** Server-side applies a component's version and image (the upgrade manager owns just those). */
  private async setVersion(cr: CustomObject, step: UpgradeStep, version: string) {
    const { k8s, objects } = await this.clients();
    const body = { apiVersion: SWCK_API_VERSION, kind: KIND[step], metadata: { name: cr.metadata.name, namespace: cr.metadata.namespace }, spec: { version, image: IMAGES[step](version) } };
    this.o.beforeWrite?.();
    await objects.patch(body as any, undefined, undefined, UPGRADE_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
    this.o.onWrite?.();
  }

  private async record(cr: CustomObject, r: UpgradeRecord) {
    const { k8s, custom } = await this.clients();
    this.o.beforeWrite?.();
    await custom.patchNamespacedCustomObject(
      {
        group: SWCK_GROUP,
        version: SWCK_VERSION,
        namespace: cr.metadata.namespace,
        plural: 'oapservers',
        name: cr.metadata.name,
        body: { metadata: { annotations: { [UPGRADE_ANNOTATION]: JSON.stringify(r) } } },
        fieldManager: UPGRADE_RECORD_MANAGER,
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    this.o.onWrite?.();
  }

  /** The target version of a step, or undefined when the step has nothing to do. */
  private target(r: UpgradeRecord, step: UpgradeStep, cr: CustomObject, cache: CacheView): string | undefined {
    const ns = cr.metadata.namespace;
    const name = cr.metadata.name;
    if (step === 'storage') return r.storageVersion && cache.get('BanyanDB', ns, name) ? r.storageVersion : undefined;
    if (step === 'ui') return cache.get('UI', ns, name) ? r.version : undefined;
    return r.version;
  }

  /** Why a step's workloads have not rolled to the target; undefined when they have. */
  private pending(step: UpgradeStep, version: string, cr: CustomObject, cache: CacheView): string | undefined {
    const ns = cr.metadata.namespace;
    const name = cr.metadata.name;
    const image = IMAGES[step](version);
    if (step === 'storage') return notRolled('StatefulSet', `${name}-banyandb`, cache.get('StatefulSet', ns, `${name}-banyandb`), image);
    if (step === 'ui') return notRolled('Deployment', `${name}-ui`, cache.get('Deployment', ns, `${name}-ui`), image);
    // both roles when split; the Deployments follow the live OAPServer's spec
    const live = (cache.get('OAPServer', ns, name) as CustomObject | undefined) ?? cr;
    for (const d of oapDeployments(live)) {
      const why = notRolled('Deployment', d.name, cache.get('Deployment', ns, d.name), image);
      if (why) return why;
    }
    return undefined;
  }

  async step(cr: CustomObject, cache: CacheView, now = new Date()): Promise<UpgradeStepResult> {
    const r = upgradeOf(cr);
    if (!r || !upgradeInProgress(r)) return {};
    const step = r.phase as UpgradeStep;
    const version = this.target(r, step, cr, cache);
    if (version === undefined) return this.advance(cr, r, step, now);
    const current = cache.get(KIND[step], cr.metadata.namespace, cr.metadata.name);
    if (current?.spec?.version !== version || current?.spec?.image !== IMAGES[step](version)) {
      await this.setVersion(cr, step, version);
      this.o.log?.(`upgrade of ${cr.metadata.name}: ${STEP_NAME[step]} set to ${version}`);
    }
    const why = this.pending(step, version, cr, cache);
    if (!why) return this.advance(cr, r, step, now);
    const left = new Date(r.deadline).getTime() - now.getTime();
    if (left > 0) return { requeueAfterMs: left + 250 };
    const pods = await this.podsWhy(cr, step, IMAGES[step](version));
    return this.rollback(cr, r, step, `${STEP_NAME[step]} not Ready within ${r.deadlineSeconds}s: ${why}${pods ? ` (${pods})` : ''}`, cache, now);
  }

  /** What the step's new pods say (waiting reason, probe failures), read once at the deadline; best effort. */
  private async podsWhy(cr: CustomObject, step: UpgradeStep, image: string): Promise<string | undefined> {
    try {
      const { core } = await this.clients();
      const namespace = cr.metadata.namespace;
      const [pods, events] = await Promise.all([
        core.listNamespacedPod({ namespace, labelSelector: POD_SELECTOR[step](cr.metadata.name) }),
        core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Pod' }),
      ]);
      return newPodsWhy(pods.items, events.items, image);
    } catch (e) {
      this.o.log?.(`upgrade of ${cr.metadata.name}: the new pods' state not read: ${(e as Error).message}`);
      return undefined;
    }
  }

  private async advance(cr: CustomObject, r: UpgradeRecord, step: UpgradeStep, now: Date): Promise<UpgradeStepResult> {
    const next = STEPS[STEPS.indexOf(step) + 1];
    const t = now.toISOString();
    if (next) {
      await this.record(cr, { ...r, phase: next, phaseStartedAt: t, deadline: new Date(now.getTime() + r.deadlineSeconds * 1000).toISOString() });
      return {};
    }
    const message = `upgraded to ${r.version}${r.storageVersion ? ` (storage ${r.storageVersion})` : ''}`;
    await this.record(cr, { ...r, phase: 'Succeeded', finishedAt: t, message });
    await this.o.event(cr, 'Normal', 'Upgraded', message);
    return {};
  }

  /** Restores the recorded versions of the failed step and of every step before it, newest first. */
  private async rollback(cr: CustomObject, r: UpgradeRecord, failed: UpgradeStep, why: string, cache: CacheView, now: Date): Promise<UpgradeStepResult> {
    const restored: string[] = [];
    for (const step of STEPS.slice(0, STEPS.indexOf(failed) + 1).reverse()) {
      const previous = { storage: r.previous.banyandb, oap: r.previous.oap, ui: r.previous.ui }[step];
      const live = cache.get(KIND[step], cr.metadata.namespace, cr.metadata.name);
      if (!previous || !live || live.spec?.version === previous) continue;
      await this.setVersion(cr, step, previous);
      restored.push(`${STEP_NAME[step]} ${previous}`);
    }
    const message = `rolled back: ${why}${restored.length ? `; restored ${restored.join(', ')}` : ''}`;
    await this.record(cr, { ...r, phase: 'RolledBack', finishedAt: now.toISOString(), message });
    await this.o.event(cr, 'Warning', 'UpgradeRolledBack', message);
    this.o.log?.(`upgrade of ${cr.metadata.name} to ${r.version} ${message}`);
    return {};
  }
}

/**
 * Starts an upgrade of a backend: checks the version against the running one
 * and records the upgrade on its OAPServer; the engine does the rest.
 */
export async function startUpgrade(
  custom: K8s.CustomObjectsApi,
  objs: { oap: any; ui?: any; banyandb?: any },
  target: { version: string } & UpgradeOptions,
  now = new Date(),
): Promise<UpgradeRecord> {
  const k8s = await loadK8s();
  const { oap, ui, banyandb } = objs;
  const record = newUpgradeRecord(target, { oap: oap.spec?.version, ...(ui ? { ui: ui.spec?.version } : {}), ...(banyandb ? { banyandb: banyandb.spec?.version } : {}) }, now);
  await custom.patchNamespacedCustomObject(
    {
      group: SWCK_GROUP,
      version: SWCK_VERSION,
      namespace: oap.metadata.namespace,
      plural: 'oapservers',
      name: oap.metadata.name,
      body: { metadata: { annotations: { [UPGRADE_ANNOTATION]: JSON.stringify(record) } } },
      fieldManager: UPGRADE_RECORD_MANAGER,
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  return record;
}

/** Why an upgrade may not start: field path and message (a downgrade, or one already under way). */
export function upgradeRefusal(objs: { oap: any; banyandb?: any }, target: { version: string } & UpgradeOptions): { path: string; message: string; conflict?: boolean } | undefined {
  const running = upgradeOf(objs.oap);
  if (upgradeInProgress(running)) return { path: 'version', message: `an upgrade to ${running!.version} is in progress (${running!.phase})`, conflict: true };
  const current = objs.oap.spec?.version;
  if (!target.allowDowngrade && isSemver(current) && compareVersions(target.version, current) < 0) {
    return { path: 'version', message: `${target.version} is older than the running ${current}; set allowDowngrade to downgrade` };
  }
  const storage = objs.banyandb?.spec?.version;
  if (target.storageVersion && !target.allowDowngrade && isSemver(storage) && compareVersions(target.storageVersion, storage) < 0) {
    return { path: 'storageVersion', message: `${target.storageVersion} is older than the running ${storage}; set allowDowngrade to downgrade` };
  }
  if (target.storageVersion && !objs.banyandb) return { path: 'storageVersion', message: 'the backend has no BanyanDB storage' };
  return undefined;
}
