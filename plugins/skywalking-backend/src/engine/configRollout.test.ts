import { eventually } from '@internal/local-cluster';
import { K8s } from '../clusters/k8s';
import { BackendService } from '../service/BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';
import { OperatorEngine } from './OperatorEngine';

jest.setTimeout(240_000);

/**
 * Static configuration (OAPServerConfig) rolls the OAP pods through the pod
 * template's config checksum; dynamic configuration (OAPServerDynamicConfig)
 * only rewrites the ConfigMap OAP's k8s-configmap module watches, and the OAP
 * pods are not restarted.
 */
const CLUSTER = 'local';
const GROUP = 'operator.skywalking.apache.org';
const CHECKSUM = 'skywalking-backstage.io/config-checksum';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'cfg' });
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const custom = () => admin.makeApiClient(k8s.CustomObjectsApi);
const deployment = () => apps().readNamespacedDeployment({ name: 'cfg-oap', namespace: ns });
const oapPods = async () => (await core().listNamespacedPod({ namespace: ns, labelSelector: 'app=oap' })).items.filter(p => !p.metadata?.deletionTimestamp);
const isReady = (p: K8s.V1Pod) => Boolean(p.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True'));
const create = (plural: string, kind: string, name: string, spec: unknown) =>
  custom().createNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural, body: { apiVersion: `${GROUP}/v1alpha1`, kind, metadata: { name, namespace: ns }, spec } });
const backendReady = async () => {
  const d = await backends.get(ref());
  return d.phase === 'Ready' && d.oap.ready === 2;
};
/** pod name -> uid and restarts */
const podState = async () => Object.fromEntries((await oapPods()).map(p => [p.metadata!.name!, `${p.metadata!.uid}/${(p.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0)}`]));

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('config-rollout'));
  const spec = { name: 'cfg', namespace: ns, cluster: CLUSTER, version: '10.2.0', oap: { replicas: 2 }, ui: { enabled: false }, storage: { type: 'banyandb' } };
  await eventually('backend created', async () => (await backends.create(spec, 'user:default/tester')).applied);
  await eventually('backend Ready', backendReady, 150_000);
});

afterAll(async () => {
  await engine?.stop();
});

describe('OAP configuration on the local control plane', () => {
  it('a static configuration change (OAPServerConfig) changes the config checksum and rolls the OAP pods', async () => {
    const before = await deployment();
    const oldPods = new Set((await oapPods()).map(p => p.metadata!.uid));
    expect(oldPods.size).toBe(2);
    await create('oapserverconfigs', 'OAPServerConfig', 'static', { version: '10.2.0', env: [{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }] });
    const after = await eventually(
      'checksum changed',
      async () => {
        const d = await deployment();
        return d.spec!.template.metadata!.annotations![CHECKSUM] !== before.spec!.template.metadata!.annotations![CHECKSUM] ? d : undefined;
      },
      30_000,
    );
    expect(after.spec!.template.spec!.containers[0].env).toEqual(expect.arrayContaining([{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }]));
    // every OAP pod replaced by one with the new configuration, and Ready
    const rolled = await eventually(
      'OAP pods rolled',
      async () => {
        const pods = await oapPods();
        return pods.length === 2 && pods.every(p => !oldPods.has(p.metadata!.uid) && isReady(p)) ? pods : undefined;
      },
      90_000,
    );
    for (const p of rolled) {
      expect(p.metadata!.annotations![CHECKSUM]).toBe(after.spec!.template.metadata!.annotations![CHECKSUM]);
      expect(p.spec!.containers[0].env).toEqual(expect.arrayContaining([{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }]));
    }
    await eventually('backend Ready', backendReady, 60_000);
  });

  it('a dynamic configuration change (OAPServerDynamicConfig) updates the watched ConfigMap and does not restart the OAP pods', async () => {
    const labelSelector = 'app=collector,release=skywalking';
    await create('oapserverdynamicconfigs', 'OAPServerDynamicConfig', 'dynamic', {
      version: '10.2.0',
      labelSelector,
      data: [{ name: 'agent-analyzer.default.slowDBAccessThreshold', value: 'default:200' }],
    });
    const configMap = () => core().readNamespacedConfigMap({ name: 'dynamic', namespace: ns });
    await eventually('ConfigMap written', async () => (await configMap().catch(() => undefined))?.data?.['agent-analyzer.default.slowDBAccessThreshold'] === 'default:200', 30_000);
    // labelled for OAP's k8s-configmap module (its label selector)
    expect((await configMap()).metadata?.labels).toMatchObject({ app: 'collector', release: 'skywalking' });
    await eventually('backend Ready', backendReady, 60_000);
    const d0 = await deployment();
    const pods0 = await podState();
    expect(Object.keys(pods0)).toHaveLength(2);

    await custom().patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1alpha1',
        namespace: ns,
        plural: 'oapserverdynamicconfigs',
        name: 'dynamic',
        body: { spec: { data: [{ name: 'agent-analyzer.default.slowDBAccessThreshold', value: 'default:100,mongodb:50' }, { name: 'core.default.apdexThreshold', value: 'default: 500' }] } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      'ConfigMap updated',
      async () => {
        const data = (await configMap()).data ?? {};
        return data['agent-analyzer.default.slowDBAccessThreshold'] === 'default:100,mongodb:50' && data['core.default.apdexThreshold'] === 'default: 500';
      },
      30_000,
    );
    // give a rollout every chance to start (the engine reconciles within a second of a change)
    await new Promise(r => setTimeout(r, 5000));
    const d1 = await deployment();
    expect(d1.metadata!.generation).toBe(d0.metadata!.generation);
    expect(d1.spec!.template.metadata!.annotations![CHECKSUM]).toBe(d0.spec!.template.metadata!.annotations![CHECKSUM]);
    // same pods (uid), no restarts
    expect(await podState()).toEqual(pods0);
    expect(Object.values(pods0).every(s => s.endsWith('/0'))).toBe(true);
  });
});
