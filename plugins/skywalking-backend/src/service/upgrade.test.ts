import { eventually } from '@internal/local-cluster';
import { SkyWalkingBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { UPGRADE_ANNOTATION } from '../engine/upgrade';
import { BackendService, phaseOf, UpgradeInputError } from './BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(300_000);

const CLUSTER = 'local';
/** the KWOK fault stage of the local cluster (tools/local-cluster/kwok-stages-faults.yaml) */
const FAIL_READINESS = 'skywalking-backstage.io/fail-readiness';
const GROUP = 'operator.skywalking.apache.org';
const ACTOR = 'user:default/tester';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'up' });
const spec = (): SkyWalkingBackendSpec & Record<string, unknown> => ({
  name: 'up',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  oap: { replicas: 1 },
  ui: { replicas: 1 },
  storage: { type: 'banyandb', banyandb: { version: '0.8.0' } },
});

const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const custom = () => admin.makeApiClient(k8s.CustomObjectsApi);
const oapServer = () => custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'up' }) as Promise<any>;
const crVersion = async (plural: string) => ((await custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural, name: 'up' })) as any).spec.version;
const imageOf = (w: any): string => w.spec.template.spec.containers[0].image;
const workloads = async () => {
  const [db, oap, ui] = await Promise.all([
    apps().readNamespacedStatefulSet({ name: 'up-banyandb', namespace: ns }),
    apps().readNamespacedDeployment({ name: 'up-oap', namespace: ns }),
    apps().readNamespacedDeployment({ name: 'up-ui', namespace: ns }),
  ]);
  return { storage: db, oap, ui };
};
const condition = async (type: string) => (await backends.get(ref())).conditions.find(c => c.type === type);

/**
 * Polls the workloads every 100 ms and records when each first ran its
 * target image, and the Upgrading reasons seen on the way.
 */
function recordRollout(images: { storage?: string; oap: string; ui: string }) {
  const seen: Record<string, number> = {};
  const phases = new Set<string>();
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const w = await workloads().catch(() => undefined);
      if (w) {
        for (const part of ['storage', 'oap', 'ui'] as const) {
          const want = images[part];
          if (want && seen[part] === undefined && imageOf(w[part]) === want) seen[part] = Date.now();
        }
      }
      const o = await oapServer().catch(() => undefined);
      const c = o?.status?.conditions?.find((x: any) => x.type === 'Upgrading' && x.status === 'True');
      if (c) phases.add(c.reason);
      // the backend's phase as the API reports it
      if (o) phases.add(`phase:${phaseOf({ ...o, kind: 'OAPServer' })}`);
      await new Promise(r => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    phases,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('upgrade'));
  await eventually('backend created', async () => (await backends.create(spec(), ACTOR)).applied);
  await eventually('backend Ready', async () => (await backends.get(ref())).phase === 'Ready', 150_000);
});

afterAll(async () => {
  await engine?.stop();
});

describe('version upgrade on the local control plane', () => {
  it('refuses a downgrade (field version) unless allowed', async () => {
    const err = await backends.upgrade(ref(), '10.1.0', ACTOR).catch(e => e);
    expect(err).toBeInstanceOf(UpgradeInputError);
    expect(err).toMatchObject({ path: 'version', detail: expect.stringContaining('older than the running 10.2.0') });
    expect((await oapServer()).metadata.annotations?.[UPGRADE_ANNOTATION]).toBeUndefined();
  });

  it('rolls storage, then OAP, then UI, each once the one before is Ready, and reports Upgraded=True', async () => {
    const rollout = recordRollout({ storage: 'apache/skywalking-banyandb:0.9.0', oap: 'apache/skywalking-oap-server:10.3.0', ui: 'apache/skywalking-ui:10.3.0' });
    try {
      expect(await backends.upgrade(ref(), '10.3.0', ACTOR, { storageVersion: '0.9.0', deadlineSeconds: 120 })).toEqual({ applied: true, queued: false });
      const upgraded = await eventually(
        'Upgraded=True',
        async () => {
          const c = await condition('Upgraded');
          return c?.status === 'True' ? c : undefined;
        },
        150_000,
      );
      expect(upgraded).toMatchObject({ reason: 'Succeeded', message: 'upgraded to 10.3.0 (storage 0.9.0)' });
    } finally {
      await rollout.stop();
    }
    const { seen, phases } = rollout;
    expect(seen.storage).toBeDefined();
    expect(seen.storage).toBeLessThan(seen.oap);
    expect(seen.oap).toBeLessThan(seen.ui);
    // the status showed the steps while under way
    expect([...phases]).toEqual(expect.arrayContaining(['UpgradingStorage', 'UpgradingOAP', 'UpgradingUI', 'phase:Upgrading']));
    await eventually('backend Ready after the upgrade', async () => (await backends.get(ref())).phase === 'Ready', 30_000);
    expect(await crVersion('banyandbs')).toBe('0.9.0');
    expect(await crVersion('oapservers')).toBe('10.3.0');
    expect(await crVersion('uis')).toBe('10.3.0');
    const w = await workloads();
    expect([imageOf(w.storage), imageOf(w.oap), imageOf(w.ui)]).toEqual(['apache/skywalking-banyandb:0.9.0', 'apache/skywalking-oap-server:10.3.0', 'apache/skywalking-ui:10.3.0']);
    expect((await condition('Upgrading'))?.status).toBe('False');
    const record = JSON.parse((await oapServer()).metadata.annotations[UPGRADE_ANNOTATION]);
    expect(record).toMatchObject({ phase: 'Succeeded', version: '10.3.0', storageVersion: '0.9.0', previous: { oap: '10.2.0', ui: '10.2.0', banyandb: '0.8.0' }, deadlineSeconds: 120 });
    await eventually('Upgraded event', async () => (await backends.get(ref())).events.some(e => e.reason === 'Upgraded' && e.type === 'Normal'), 30_000);
  });

  it('rolls back to the previous versions when the new OAP pods are not Ready by the deadline: Upgraded=False RolledBack and a Warning Event', async () => {
    // the new OAP pods fail readiness: the label of the KWOK fault stage goes on the upgraded pod template only,
    // put there from here as soon as the Deployment carries the new image
    let labelled = false;
    let stop = false;
    const saboteur = (async () => {
      while (!stop && !labelled) {
        const d = await apps().readNamespacedDeployment({ name: 'up-oap', namespace: ns });
        if (imageOf(d) === 'apache/skywalking-oap-server:10.4.0') {
          await apps().patchNamespacedDeployment(
            { name: 'up-oap', namespace: ns, body: { spec: { template: { metadata: { labels: { [FAIL_READINESS]: 'true' } } } } }, fieldManager: 'upgrade-test' },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
          );
          labelled = true;
        }
        await new Promise(r => setTimeout(r, 50));
      }
    })();
    try {
      const started = Date.now();
      expect((await backends.upgrade(ref(), '10.4.0', ACTOR, { deadlineSeconds: 30 })).applied).toBe(true);
      const upgraded = await eventually(
        'Upgraded=False RolledBack',
        async () => {
          const c = await condition('Upgraded');
          return c?.reason === 'RolledBack' ? c : undefined;
        },
        120_000,
      );
      expect(labelled).toBe(true);
      // at the deadline: not before, and not held back by the earlier upgrade's longer deadline
      expect(Date.now() - started).toBeGreaterThanOrEqual(30_000);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(upgraded.status).toBe('False');
      expect(upgraded.message).toMatch(/^rolled back: OAP not Ready within 30s: Deployment up-oap: .*new pods \(apache\/skywalking-oap-server:10\.4\.0\) Ready(?: \(up-oap-[a-z0-9]+-[a-z0-9]+: .+\))?; restored OAP 10\.3\.0$/);
    } finally {
      stop = true;
      await saboteur;
    }
    // back to the recorded versions; the UI was never touched, the storage kept its version
    expect(await crVersion('oapservers')).toBe('10.3.0');
    expect(await crVersion('uis')).toBe('10.3.0');
    expect(await crVersion('banyandbs')).toBe('0.9.0');
    await eventually('OAP Deployment back on 10.3.0', async () => imageOf((await workloads()).oap) === 'apache/skywalking-oap-server:10.3.0', 30_000);
    expect(imageOf((await workloads()).ui)).toBe('apache/skywalking-ui:10.3.0');
    const detail = await eventually(
      'Warning event',
      async () => {
        const d = await backends.get(ref());
        return d.events.some(e => e.type === 'Warning' && e.reason === 'UpgradeRolledBack') ? d : undefined;
      },
      30_000,
    );
    expect(detail.events.find(e => e.reason === 'UpgradeRolledBack')?.message).toContain('OAP not Ready within 30s');
    // the fault removed, the rolled-back OAP is Ready again
    await apps().patchNamespacedDeployment(
      { name: 'up-oap', namespace: ns, body: [{ op: 'remove', path: `/spec/template/metadata/labels/${FAIL_READINESS.replace('/', '~1')}` }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await eventually('backend Ready on 10.3.0', async () => {
      const d = await backends.get(ref());
      return d.phase === 'Ready' && d.version === '10.3.0';
    }, 90_000);
  });
});
