import { APPLIED_HASH_ANNOTATION, isSubset, upToDate, withAppliedHash } from './apply';
import {
  CacheView,
  KINDS,
  renderDynamicConfig,
  renderOAPServerConfig,
  renderOAPServerWithConfig,
  renderSatellite,
  renderStorage,
  selectorLabels,
  statusChanged,
} from './kinds';

const cr = (kind: string, name: string, spec: any, extra: any = {}) => ({
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind,
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: 1, ...extra },
  spec,
});

function cacheOf(objects: Record<string, any[]>): CacheView {
  return {
    list: (kind, ns) => (objects[kind] ?? []).filter(o => o.metadata.namespace === ns),
    get: (kind, ns, name) => (objects[kind] ?? []).find(o => o.metadata.namespace === ns && o.metadata.name === name),
  };
}

describe('renderers of the SWCK kinds without a common renderer', () => {
  it('renders a Satellite as SWCK does: Deployment finding its OAP pods by label, Service, owner references', () => {
    const objs = renderSatellite(cr('Satellite', 'sat', { version: '1.2.0', instances: 2, OAPServerName: 'default', config: [{ name: 'SATELLITE_LOGGER_LEVEL', value: 'debug' }] }));
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/sat-satellite', 'Deployment/sat-satellite', 'Service/sat-satellite']);
    const d = objs[1];
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe('apache/skywalking-satellite:v1.2.0');
    expect(d.spec.template.spec.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL', value: 'app=oap,operator.skywalking.apache.org/oap-server-name=default' },
        { name: 'SATELLITE_LOGGER_LEVEL', value: 'debug' },
      ]),
    );
    for (const o of objs) {
      expect(o.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Satellite', name: 'sat', uid: 'uid-sat', controller: true })]);
      expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe('skywalking-backstage');
    }
  });

  it('points a Satellite at the Receivers only when its OAPServer records the role split, and is woken when the OAPServer changes', () => {
    const sat = cr('Satellite', 'sat', { version: '1.2.0', instances: 1, OAPServerName: 'default' });
    const selectorOf = (objs: any[]) =>
      objs.find(o => o.kind === 'Deployment').spec.template.spec.containers[0].env.find((e: any) => e.name === 'SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL').value;
    const oap = (roleSplit?: object) =>
      cr('OAPServer', 'default', { version: '10.2.0', instances: 3 }, roleSplit ? { annotations: { 'skywalking-backstage.io/role-split': JSON.stringify(roleSplit) } } : {});
    const render = KINDS.find(k => k.kind === 'Satellite')!.render;
    const mixed = 'app=oap,operator.skywalking.apache.org/oap-server-name=default';
    expect(selectorOf(render(sat, cacheOf({ OAPServer: [oap({ enabled: true, receiverRatio: 0.67 })] })))).toBe(`${mixed},operator.skywalking.apache.org/oap-role=receiver`);
    expect(selectorOf(render(sat, cacheOf({ OAPServer: [oap({ enabled: false })] })))).toBe(mixed);
    expect(selectorOf(render(sat, cacheOf({ OAPServer: [oap()] })))).toBe(mixed);
    // no OAPServer (yet): every OAP pod of that name, as before
    expect(selectorOf(render(sat, cacheOf({})))).toBe(mixed);
    // another OAPServer's split does not count
    expect(selectorOf(render(sat, cacheOf({ OAPServer: [{ ...oap({ enabled: true }), metadata: { ...oap({ enabled: true }).metadata, name: 'other' } }] })))).toBe(mixed);
    // a config entry still wins over the rendered selector
    const custom = cr('Satellite', 'sat', { version: '1.2.0', OAPServerName: 'default', config: [{ name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL', value: 'app=mine' }] });
    expect(selectorOf(render(custom, cacheOf({ OAPServer: [oap({ enabled: true })] })))).toBe('app=mine');
    // a change of the OAPServer (such as its split) reconciles its Satellites
    expect(KINDS.find(k => k.kind === 'OAPServer')!.related!(oap({ enabled: true }), cacheOf({ Satellite: [sat] }))).toContain('Satellite/ns/sat');
  });

  it('renders an internal Elasticsearch Storage and nothing for an external one', () => {
    const internal = renderStorage(cr('Storage', 'es', { type: 'elasticsearch', connectType: 'internal', version: '7.5.1', instances: 3, servicename: 'es-svc' }));
    expect(internal.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/es-elasticsearch', 'ConfigMap/es-config', 'StatefulSet/es-elasticsearch', 'Service/es-svc']);
    expect(internal[2].spec).toMatchObject({ replicas: 3, serviceName: 'es-svc' });
    expect(internal[3].spec.clusterIP).toBe('None');
    expect(renderStorage(cr('Storage', 'ext', { type: 'elasticsearch', connectType: 'external', address: 'https://es:9200' }))).toEqual([]);
  });

  it('renders OAPServerDynamicConfig as the labelled ConfigMap OAP reads, and rejects a malformed selector', () => {
    const [cm] = renderDynamicConfig(cr('OAPServerDynamicConfig', 'dyn', { version: '10.2.0', labelSelector: 'app=collector,release=sky', data: [{ name: 'b', value: '2' }, { name: 'a', value: '1' }] }));
    expect(cm.metadata.labels).toMatchObject({ app: 'collector', release: 'sky', version: '10.2.0', OAPServerConfig: 'dynamic' });
    expect(cm.data).toEqual({ a: '1', b: '2' });
    expect(() => selectorLabels('app in (a,b)')).toThrow(/not a list of key=value/);
  });

  it('overlays the env and files of OAPServerConfigs of the same version onto the OAP Deployment', () => {
    const oap = cr('OAPServer', 'default', { version: '10.2.0', instances: 1, config: [{ name: 'SW_TELEMETRY', value: 'none' }] });
    const config = cr('OAPServerConfig', 'cfg', { version: '10.2.0', env: [{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }], file: [{ name: 'alarm-settings.yml', path: '/skywalking/config', data: 'rules: {}' }] });
    const other = cr('OAPServerConfig', 'old', { version: '9.0.0', env: [{ name: 'SHOULD_NOT_APPEAR', value: '1' }] });
    const objs = renderOAPServerWithConfig(oap, cacheOf({ OAPServerConfig: [config, other] }));
    const pod = objs.find(o => o.kind === 'Deployment')!.spec.template.spec;
    const env = pod.containers[0].env;
    expect(env).toEqual(expect.arrayContaining([{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }, { name: 'SW_TELEMETRY', value: 'none' }]));
    expect(env.some((e: any) => e.name === 'SHOULD_NOT_APPEAR')).toBe(false);
    expect(pod.volumes).toEqual([{ name: 'config-cfg', configMap: { name: 'cfg' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'config-cfg', mountPath: '/skywalking/config/alarm-settings.yml', subPath: 'alarm-settings.yml' }]);
    expect(renderOAPServerConfig(config)[0].data).toEqual({ 'alarm-settings.yml': 'rules: {}' });
    // changing a config wakes the OAPServers of its version
    expect(KINDS.find(k => k.kind === 'OAPServerConfig')!.related!(config, cacheOf({ OAPServer: [oap] }))).toEqual(['OAPServer/ns/default']);
  });
});

describe('status', () => {
  it('computes Ready/Progressing/Degraded from the workload and ignores timestamps when deciding to write', () => {
    const oap = cr('OAPServer', 'default', { version: '10.2.0', instances: 2 });
    const def = KINDS.find(k => k.kind === 'OAPServer')!;
    const deployment = { metadata: { name: 'default-oap', namespace: 'ns', generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: 3, availableReplicas: 2, updatedReplicas: 2 } };
    const s1 = def.status(oap, cacheOf({ Deployment: [deployment] }), new Date('2026-01-01T00:00:00Z'));
    expect(s1.availableReplicas).toBe(2);
    expect(s1.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'AllReplicasReady'],
      ['Progressing', 'False', 'Converged'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
    const s2 = def.status({ ...oap, status: s1 }, cacheOf({ Deployment: [deployment] }), new Date('2026-01-01T00:05:00Z'));
    expect(s2.conditions[0].lastTransitionTime).toBe('2026-01-01T00:00:00.000Z');
    expect(statusChanged(s1, s2)).toBe(false);
    const notReady = def.status({ ...oap, status: s1 }, cacheOf({ Deployment: [{ ...deployment, status: { ...deployment.status, availableReplicas: 1 } }] }), new Date());
    expect(statusChanged(s1, notReady)).toBe(true);
    expect(notReady.conditions[0]).toMatchObject({ status: 'False', reason: 'ReplicasNotReady', message: '1/2 replicas available' });
  });
});

describe('status of a split OAPServer', () => {
  it('is Ready only when both the Receiver and the Aggregator Deployments are available', () => {
    const oap = cr('OAPServer', 'sky', { version: '10.2.0', instances: 3 }, { annotations: { 'skywalking-backstage.io/role-split': '{"enabled":true,"receiverRatio":0.67}' } });
    const def = KINDS.find(k => k.kind === 'OAPServer')!;
    const d = (name: string, replicas: number, available: number) => ({ metadata: { name, namespace: 'ns', generation: 1 }, spec: { replicas }, status: { observedGeneration: 1, availableReplicas: available, updatedReplicas: replicas } });
    // the Mixed Deployment of before the split does not count
    const creating = def.status(oap, cacheOf({ Deployment: [d('sky-oap', 3, 3), d('sky-oap-receiver', 2, 2)] }), new Date());
    expect(creating.conditions[0]).toMatchObject({ status: 'False', reason: 'Creating' });
    const half = def.status(oap, cacheOf({ Deployment: [d('sky-oap-receiver', 2, 2), d('sky-oap-aggregator', 1, 0)] }), new Date());
    expect(half.conditions[0]).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
    const ready = def.status(oap, cacheOf({ Deployment: [d('sky-oap-receiver', 2, 2), d('sky-oap-aggregator', 1, 1)] }), new Date());
    expect(ready.availableReplicas).toBe(3);
    expect(ready.conditions[0]).toMatchObject({ status: 'True', reason: 'AllReplicasReady' });
    // files of OAPServerConfigs go to both roles
    const config = cr('OAPServerConfig', 'cfg', { version: '10.2.0', file: [{ name: 'alarm-settings.yml', path: '/skywalking/config', data: 'rules: {}' }] });
    const deployments = renderOAPServerWithConfig(oap, cacheOf({ OAPServerConfig: [config] })).filter(o => o.kind === 'Deployment');
    expect(deployments.map(o => [o.metadata.name, o.spec.template.spec.volumes])).toEqual([
      ['sky-oap-receiver', [{ name: 'config-cfg', configMap: { name: 'cfg' } }]],
      ['sky-oap-aggregator', [{ name: 'config-cfg', configMap: { name: 'cfg' } }]],
    ]);
  });
});

describe('apply decisions', () => {
  const desired = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', labels: { a: '1' } }, spec: { ports: [{ port: 80 }] } };

  it('skips the write when the live object has every managed field and our applied hash', () => {
    const d = withAppliedHash(desired);
    const live = { metadata: { ...d.metadata, uid: 'x', resourceVersion: '9' }, spec: { ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.0.0.5' } };
    expect(upToDate(d, live)).toBe(true);
    expect(upToDate(d, undefined)).toBe(false);
    expect(upToDate(d, { ...live, spec: { ports: [{ port: 81 }] } })).toBe(false);
  });

  it('notices a field we stopped rendering through the applied hash', () => {
    const before = withAppliedHash({ ...desired, metadata: { ...desired.metadata, labels: { a: '1', b: '2' } } });
    const after = withAppliedHash(desired);
    expect(before.metadata.annotations[APPLIED_HASH_ANNOTATION]).not.toBe(after.metadata.annotations[APPLIED_HASH_ANNOTATION]);
    expect(upToDate(after, before)).toBe(false);
  });

  it('compares arrays element by element', () => {
    expect(isSubset({ a: [1, 2] }, { a: [1, 2], b: 3 })).toBe(true);
    expect(isSubset({ a: [1] }, { a: [1, 2] })).toBe(false);
  });
});
