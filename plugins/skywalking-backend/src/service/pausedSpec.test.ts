/*
 * `paused` in a backend's spec (create and update), on the real local
 * control plane with the reconcile engine running: never silently dropped.
 */
import { eventually } from '@internal/local-cluster';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService, PAUSED_ANNOTATION } from './BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(180_000);

const CLUSTER = 'local';
const ACTOR = 'user:default/tester';
let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'pz' });
const spec = (replicas: number, paused?: boolean) => ({
  name: 'pz',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  oap: { replicas },
  ...(paused === undefined ? {} : { paused }),
});
const oapReplicas = async () =>
  (await admin.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'pz-oap', namespace: ns })).spec?.replicas;
const saved = async () => {
  const oap: any = await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'operator.skywalking.apache.org',
    version: 'v1alpha1',
    namespace: ns,
    plural: 'oapservers',
    name: 'pz',
  });
  const raw = oap.metadata?.annotations?.[PAUSED_ANNOTATION];
  return raw ? JSON.parse(raw) : undefined;
};

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('paused'));
});

afterAll(async () => {
  await engine?.stop();
});

describe('paused in the backend spec', () => {
  it('a backend created paused runs no OAP and remembers the replicas asked for', async () => {
    expect(await backends.create(spec(2, true), ACTOR)).toEqual({ applied: true, queued: false });
    await eventually('OAP Deployment at zero', async () => (await oapReplicas()) === 0, 60_000);
    expect(await saved()).toEqual({ oap: 2, ui: 1 });
    await eventually('phase Paused', async () => (await backends.get(ref())).phase === 'Paused', 60_000);
  });

  it('an update while paused keeps it paused and records the new replicas for resume', async () => {
    expect(await backends.update(ref(), spec(3, true), ACTOR)).toEqual({ applied: true, queued: false });
    expect(await saved()).toEqual({ oap: 3, ui: 1 });
    // the engine rolls from the custom object: still zero
    await new Promise(r => setTimeout(r, 2000));
    expect(await oapReplicas()).toBe(0);
    // an update that does not mention paused leaves it paused as well
    await backends.update(ref(), spec(3), ACTOR);
    expect(await saved()).toEqual({ oap: 3, ui: 1 });
    await new Promise(r => setTimeout(r, 2000));
    expect(await oapReplicas()).toBe(0);
  });

  it('paused: false in an update resumes with the replicas of the spec', async () => {
    expect(await backends.update(ref(), spec(3, false), ACTOR)).toEqual({ applied: true, queued: false });
    expect(await saved()).toBeUndefined();
    await eventually('OAP Deployment at 3', async () => (await oapReplicas()) === 3, 60_000);
    await eventually('Ready with 3 OAP pods', async () => {
      const d = await backends.get(ref());
      return d.phase === 'Ready' && d.oap.ready === 3;
    }, 90_000);
    expect((await backends.get(ref())).paused).toBe(false);
  });
});
