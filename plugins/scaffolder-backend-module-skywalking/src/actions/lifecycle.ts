import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { BackendDetail, BackendUpgradeStatus, WriteResult } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApiCaller } from './skywalkingApi';

const enc = encodeURIComponent;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** The backend a lifecycle action works on (as the REST API takes it). */
export const target = {
  cluster: (z: any) => z.string().min(1).describe('Cluster name from the kubernetes config'),
  namespace: (z: any) => z.string().max(63).regex(DNS1123_LABEL, 'must be a DNS-1123 label').describe('Kubernetes namespace of the backend'),
  name: (z: any) => z.string().max(63).regex(DNS1123_LABEL, 'must be a DNS-1123 label').describe('Backend name'),
};

export const example = (action: string, extra: string[] = []) =>
  ['steps:', `  - id: ${action.split(':').pop()}`, `    action: ${action}`, '    input:', '      cluster: local', '      namespace: skywalking', '      name: shop-tracing', ...extra].join('\n');

export const pathOf = (i: { cluster: string; namespace: string; name: string }) => `/backends/${enc(i.cluster)}/${enc(i.namespace)}/${enc(i.name)}`;

function report(ctx: { logger: { info(m: string): void; warn(m: string): void }; output(name: 'queued', value: boolean): void }, what: string, r: WriteResult) {
  if (r.queued) ctx.logger.warn(`${what} queued until the cluster is reachable (${r.message ?? ''})`);
  else ctx.logger.info(`${what} applied`);
  ctx.output('queued', r.queued);
}

export function createBackendPauseAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:pause',
    description: 'Pauses a SkyWalking backend: OAP and UI scaled to zero (their replicas remembered), Rover scheduled nowhere; the storage and its data stay.',
    examples: [{ description: 'Pause a backend', example: example('skywalking:backend:pause') }],
    schema: { input: { ...target }, output: { queued: z => z.boolean() } },
    async handler(ctx) {
      const credentials = await ctx.getInitiatorCredentials();
      report(ctx, `Pause of ${ctx.input.cluster}/${ctx.input.namespace}/${ctx.input.name}`, await api.call<WriteResult>(credentials, 'POST', `${pathOf(ctx.input)}/pause`));
    },
  });
}

export function createBackendResumeAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:resume',
    description: 'Resumes a paused SkyWalking backend with the replicas it had before the pause.',
    examples: [{ description: 'Resume a backend', example: example('skywalking:backend:resume') }],
    schema: { input: { ...target }, output: { queued: z => z.boolean() } },
    async handler(ctx) {
      const credentials = await ctx.getInitiatorCredentials();
      report(ctx, `Resume of ${ctx.input.cluster}/${ctx.input.namespace}/${ctx.input.name}`, await api.call<WriteResult>(credentials, 'POST', `${pathOf(ctx.input)}/resume`));
    },
  });
}

export function createBackendScaleAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:scale',
    description: 'Sets the OAP replicas of a SkyWalking backend (all of them, or one role when OAP is split into Receivers and Aggregators).',
    examples: [
      { description: 'Three OAP replicas', example: example('skywalking:backend:scale', ['      replicas: 3']) },
      { description: 'Four Receivers of a backend with role split', example: example('skywalking:backend:scale', ['      replicas: 4', '      role: receiver']) },
    ],
    schema: {
      input: {
        ...target,
        replicas: z => z.number().int().min(0).max(100).describe('OAP replicas (0 to 100; with role split at least 2 in all, or the replicas of the given role)'),
        role: z => z.enum(['receiver', 'aggregator']).optional().describe('Scale only this OAP role (backends with role split)'),
      },
      output: { queued: z => z.boolean() },
    },
    async handler(ctx) {
      const { replicas, role } = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const r = await api.call<WriteResult>(credentials, 'POST', `${pathOf(ctx.input)}/scale`, { replicas, ...(role ? { role } : {}) });
      report(ctx, `Scale of ${ctx.input.cluster}/${ctx.input.namespace}/${ctx.input.name} to ${replicas}${role ? ` ${role}s` : ' OAP replicas'}`, r);
    },
  });
}

/**
 * Whether the recorded upgrade is the one this action asked for: its target,
 * started after the one recorded before the request (by its own start time,
 * so the portal's and the scaffolder's clocks need not agree).
 */
export function isThisUpgrade(u: BackendUpgradeStatus | undefined, before: BackendUpgradeStatus | undefined, asked: { version: string; storageVersion?: string }): boolean {
  if (!u || u.version !== asked.version) return false;
  if (asked.storageVersion !== undefined && u.storageVersion !== asked.storageVersion) return false;
  return !before || (u.startedAt !== before.startedAt && Date.parse(u.startedAt) >= Date.parse(before.startedAt));
}

export function createBackendUpgradeAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:upgrade',
    description:
      'Upgrades a SkyWalking backend: storage (when storageVersion is given), then OAP, then UI, each once the one before is Ready; a step whose new pods are not Ready within the deadline is rolled back with the steps before it.',
    examples: [
      { description: 'Upgrade OAP and UI to 10.3.0', example: example('skywalking:backend:upgrade', ['      version: 10.3.0']) },
      {
        description: 'Upgrade BanyanDB too, with a 5-minute deadline per step, and wait for the outcome',
        example: example('skywalking:backend:upgrade', ['      version: 10.3.0', '      storageVersion: 0.9.0', '      deadlineSeconds: 300', '      waitForCompletion: true']),
      },
    ],
    schema: {
      input: {
        ...target,
        version: z => z.string().regex(SEMVER, 'must be a semantic version such as 10.3.0').describe('SkyWalking version of OAP and UI'),
        storageVersion: z => z.string().regex(SEMVER, 'must be a semantic version such as 0.9.0').optional().describe('BanyanDB version (default: the storage keeps its version)'),
        deadlineSeconds: z => z.number().int().min(30).max(86400).optional().describe('How long each step may take to have its new pods Ready (default 600)'),
        allowDowngrade: z => z.boolean().optional().describe('Allow a version older than the running one'),
        waitForCompletion: z => z.boolean().default(false).describe('Wait until the upgrade succeeded (fails when it was rolled back)'),
        timeoutSeconds: z => z.number().int().min(10).max(86400).default(1800).describe('How long to wait when waitForCompletion'),
      },
      output: {
        queued: z => z.boolean(),
        /** Succeeded, RolledBack, InProgress (not waited for) or Queued */
        result: z => z.string(),
      },
    },
    async handler(ctx) {
      const i = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const ref = `${i.cluster}/${i.namespace}/${i.name}`;
      const body = {
        version: i.version,
        ...(i.storageVersion !== undefined ? { storageVersion: i.storageVersion } : {}),
        ...(i.deadlineSeconds !== undefined ? { deadlineSeconds: i.deadlineSeconds } : {}),
        ...(i.allowDowngrade !== undefined ? { allowDowngrade: i.allowDowngrade } : {}),
      };
      // the upgrade recorded before this request: its outcome is not this one's (M13)
      const before = i.waitForCompletion ? (await api.call<BackendDetail>(credentials, 'GET', pathOf(i))).upgrade : undefined;
      const r = await api.call<WriteResult>(credentials, 'POST', `${pathOf(i)}/upgrade`, body);
      report(ctx, `Upgrade of ${ref} to ${i.version}`, r);
      if (r.queued) {
        ctx.output('result', 'Queued');
        return;
      }
      if (!i.waitForCompletion) {
        ctx.output('result', 'InProgress');
        return;
      }
      const deadline = Date.now() + i.timeoutSeconds * 1000;
      for (;;) {
        const d = await api.call<BackendDetail>(credentials, 'GET', pathOf(i));
        const u = isThisUpgrade(d.upgrade, before, i) ? d.upgrade : undefined;
        if (u?.phase === 'Succeeded') {
          ctx.logger.info(`Backend ${ref}: ${u.message ?? `upgraded to ${u.version}`}`);
          ctx.output('result', 'Succeeded');
          return;
        }
        if (u?.phase === 'RolledBack') {
          ctx.output('result', 'RolledBack');
          throw new Error(`Upgrade of ${ref} to ${i.version} was rolled back: ${u.message ?? ''}`);
        }
        const state = u ? `upgrading to ${u.version}: ${u.phase}` : `upgrade to ${i.version} not recorded yet (${d.phase})`;
        ctx.logger.info(`Backend ${ref}: ${state}`);
        if (Date.now() > deadline) throw new Error(`Upgrade of ${ref} to ${i.version} not finished after ${i.timeoutSeconds}s (${state})`);
        await new Promise(res => setTimeout(res, 3000));
      }
    },
  });
}
