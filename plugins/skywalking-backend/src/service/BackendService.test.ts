import { ClusterUnreachableError } from '../clusters/ClusterRegistry';
import { isNetworkError, phaseOf, renderBackendObjects, roverCondition, roverOf } from './BackendService';

describe('renderBackendObjects', () => {
  it('renders BanyanDB, OAPServer and UI custom objects for a default backend', () => {
    const objs = renderBackendObjects({ name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0', oap: { replicas: 2 }, owner: 'group:default/a' });
    expect(objs.map(o => o.kind)).toEqual(['BanyanDB', 'OAPServer', 'UI']);
    const oap = objs[1];
    expect(oap).toMatchObject({ apiVersion: 'operator.skywalking.apache.org/v1alpha1', metadata: { name: 'sky', namespace: 'obs', annotations: { 'skywalking-backstage.io/owner': 'group:default/a' } } });
    expect(oap.spec).toMatchObject({ version: '10.2.0', instances: 2, image: 'apache/skywalking-oap-server:10.2.0' });
    expect(oap.spec.config).toEqual(expect.arrayContaining([{ name: 'SW_STORAGE', value: 'banyandb' }, { name: 'SW_STORAGE_BANYANDB_TARGETS', value: 'sky-banyandb-grpc:17912' }]));
    expect(objs[2].spec.OAPServerAddress).toBe('http://sky-oap.obs:12800');
  });

  it('takes external storage credentials from the named Secret and renders no BanyanDB', () => {
    const objs = renderBackendObjects({ name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0', ui: { enabled: false }, storage: { type: 'postgresql', external: { address: 'pg:5432', secretName: 'pg-cred' } } });
    expect(objs.map(o => o.kind)).toEqual(['OAPServer']);
    expect(objs[0].spec.config).toEqual(
      expect.arrayContaining([
        { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://pg:5432/skywalking' },
        { name: 'SW_DATA_SOURCE_PASSWORD', valueFrom: { secretKeyRef: { name: 'pg-cred', key: 'password' } } },
      ]),
    );
  });
});

describe('scheduling and role split on the custom objects', () => {
  const sched = { resources: { requests: { cpu: '100m' } }, tolerations: [{ key: 'dedicated', operator: 'Exists' as const }], nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: {} } };
  const objs = renderBackendObjects({
    name: 'sky',
    namespace: 'obs',
    cluster: 'c',
    version: '10.2.0',
    owner: 'group:default/a',
    oap: { replicas: 3, ...sched, roleSplit: { enabled: true, receiverRatio: 0.67 } },
    ui: { nodeSelector: { disk: 'ssd' }, ingress: { host: 'sw.example.com', ingressClassName: 'nginx' } },
    storage: { type: 'banyandb', banyandb: { affinity: sched.affinity, tolerations: sched.tolerations } },
  });
  const [db, oap, ui] = objs;

  it('records what SWCK has no fields for as annotations, beside the owner; SWCK fields where SWCK has them', () => {
    expect(oap.metadata.annotations).toEqual({
      'skywalking-backstage.io/owner': 'group:default/a',
      'skywalking-backstage.io/scheduling': expect.any(String),
      'skywalking-backstage.io/role-split': '{"enabled":true,"receiverRatio":0.67}',
    });
    expect(JSON.parse(oap.metadata.annotations['skywalking-backstage.io/scheduling'])).toEqual(sched);
    // the total stays SWCK's instances: scale and pause keep working on it
    expect(oap.spec.instances).toBe(3);
    expect(Object.keys(oap.spec).sort()).toEqual(['config', 'image', 'instances', 'service', 'version']);
    expect(JSON.parse(ui.metadata.annotations['skywalking-backstage.io/scheduling'])).toEqual({ nodeSelector: { disk: 'ssd' } });
    expect(ui.spec.service.ingress).toEqual({ host: 'sw.example.com', ingressClassName: 'nginx' });
    // split, the UI queries the Aggregators
    expect(ui.spec.OAPServerAddress).toBe('http://sky-oap-query.obs:12800');
    expect(db.spec.affinity).toEqual(sched.affinity);
    expect(JSON.parse(db.metadata.annotations['skywalking-backstage.io/scheduling'])).toEqual({ affinity: sched.affinity, tolerations: sched.tolerations });
  });

  it('takes the total from both counts when no replicas are given, and renders nothing extra without scheduling', () => {
    const [, o] = renderBackendObjects({ name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0', oap: { roleSplit: { enabled: true, receivers: 2, aggregators: 2 } } });
    expect(o.spec.instances).toBe(4);
    const plain = renderBackendObjects({ name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0' });
    expect(plain.map(x => x.metadata.annotations)).toEqual([undefined, undefined, undefined]);
    expect(plain[2].spec.service).toEqual({ template: { type: 'ClusterIP' } });
  });
});

describe('rover on a backend', () => {
  const base = { name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0' };
  const oapOf = (rover?: { enabled?: boolean }) => renderBackendObjects({ ...base, rover }).find(o => o.kind === 'OAPServer')!;

  it('records the asked-for rover on the OAPServer so a read gives it back, and nothing when not asked', () => {
    expect(oapOf({ enabled: true }).metadata.annotations).toEqual({ 'skywalking-backstage.io/rover': '{"enabled":true}' });
    expect(roverOf(oapOf({ enabled: true }))).toEqual({ enabled: true });
    expect(roverOf(oapOf({ enabled: false }))).toEqual({ enabled: false });
    expect(oapOf().metadata.annotations).toBeUndefined();
    expect(roverOf(oapOf())).toBeUndefined();
    // the custom objects themselves stay SWCK's: Rover objects are applied beside them
    expect(renderBackendObjects({ ...base, rover: { enabled: true } }).map(o => o.kind)).toEqual(['BanyanDB', 'OAPServer', 'UI']);
  });

  it('reports RoverReady from the DaemonSet', () => {
    const on = oapOf({ enabled: true });
    const ds = (status: any, generation = 1) => ({ metadata: { generation }, status: { observedGeneration: 1, ...status } });
    expect(roverCondition(oapOf(), undefined)).toBeUndefined();
    expect(roverCondition(oapOf({ enabled: false }), undefined)).toBeUndefined();
    expect(roverCondition(on, undefined)).toMatchObject({ type: 'RoverReady', status: 'False', reason: 'NotDeployed' });
    expect(roverCondition(on, ds({ desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 }))).toMatchObject({ status: 'True', reason: 'AllNodesReady', message: 'Rover ready on 3/3 nodes' });
    expect(roverCondition(on, ds({ desiredNumberScheduled: 3, numberReady: 1 }))).toMatchObject({ status: 'False', reason: 'Progressing', message: 'Rover ready on 1/3 nodes' });
    expect(roverCondition(on, ds({ desiredNumberScheduled: 0, numberReady: 0 }))).toMatchObject({ status: 'False', reason: 'Progressing' });
    expect(roverCondition(on, ds({ desiredNumberScheduled: 3, numberReady: 3 }, 2))).toMatchObject({ status: 'False', reason: 'Progressing' });
    // a DaemonSet left from before is still reported
    expect(roverCondition(oapOf(), ds({ desiredNumberScheduled: 2, numberReady: 2 }))).toMatchObject({ status: 'True' });
  });
});

describe('phaseOf', () => {
  const oap = (status: any, extra: any = {}) => ({ apiVersion: 'x', kind: 'OAPServer', metadata: { name: 'a', ...extra }, spec: { instances: 2 }, status });
  it('derives the phase from replicas and conditions', () => {
    expect(phaseOf(oap(undefined))).toBe('Progressing');
    expect(phaseOf(oap({ availableReplicas: 2, conditions: [{ type: 'Ready', status: 'True' }] }))).toBe('Ready');
    expect(phaseOf(oap({ availableReplicas: 1 }))).toBe('Progressing');
    expect(phaseOf(oap({ availableReplicas: 2, conditions: [{ type: 'Degraded', status: 'True' }] }))).toBe('Degraded');
    expect(phaseOf(oap({ availableReplicas: 0 }, { annotations: { 'skywalking-backstage.io/paused-replicas': '{}' } }))).toBe('Paused');
    const upgrade = (phase: string) => ({ annotations: { 'skywalking-backstage.io/upgrade': JSON.stringify({ version: '10.3.0', phase }) } });
    expect(phaseOf(oap({ availableReplicas: 1 }, upgrade('oap')))).toBe('Upgrading');
    expect(phaseOf(oap({ availableReplicas: 2, conditions: [{ type: 'Ready', status: 'True' }] }, upgrade('Succeeded')))).toBe('Ready');
  });
});

describe('isNetworkError', () => {
  it('tells a request without an answer from an error the API server answered with', () => {
    expect(isNetworkError(Object.assign(new Error('connect ECONNREFUSED'), { type: 'system', code: 'ECONNREFUSED' }))).toBe(true);
    expect(isNetworkError(new ClusterUnreachableError('c', 'https://x', new Error('down')))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('HTTP-Code: 422'), { code: 422, body: '{}' }))).toBe(false);
    expect(isNetworkError(new Error('plain'))).toBe(false);
  });
});
