import { checksum, computeStatus, CustomObject, renderBanyanDB, renderOAPServer, renderUI } from './render';

const oap: CustomObject = {
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind: 'OAPServer',
  metadata: { name: 'demo', namespace: 'sw', uid: 'uid-1', generation: 3 },
  spec: { version: '10.2.0', instances: 2, config: [{ name: 'SW_STORAGE', value: 'banyandb' }] },
};

const byKind = (objs: any[], kind: string) => objs.filter(o => o.kind === kind);

describe('renderOAPServer', () => {
  const objs = renderOAPServer(oap);

  it('renders RBAC for the cluster coordinator, a Deployment and a Service with SWCK names', () => {
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/demo-oap', 'Role/demo-oap', 'RoleBinding/demo-oap', 'Deployment/demo-oap', 'Service/demo-oap',
    ]);
    expect(byKind(objs, 'Role')[0].rules[0]).toMatchObject({ resources: expect.arrayContaining(['pods']), verbs: ['get', 'list', 'watch'] });
  });

  it('owns every object through a controller ownerReference to the CR', () => {
    for (const o of objs) {
      expect(o.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', name: 'demo', uid: 'uid-1', controller: true })]);
      expect(o.metadata.namespace).toBe('sw');
    }
  });

  it('clusters OAP on Kubernetes with its namespace and label selector, and keeps user config', () => {
    const d = byKind(objs, 'Deployment')[0];
    const env = Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      SW_CLUSTER: 'kubernetes',
      SW_CLUSTER_K8S_NAMESPACE: 'sw',
      SW_CLUSTER_K8S_LABEL: 'app=oap,operator.skywalking.apache.org/oap-server-name=demo',
      SW_STORAGE: 'banyandb',
      SW_CONFIGURATION: 'k8s-configmap',
    });
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe('apache/skywalking-oap-server:10.2.0');
    expect(d.spec.template.spec.containers[0].readinessProbe.tcpSocket.port).toBe(12800);
    const svc = byKind(objs, 'Service')[0];
    expect(svc.spec.ports.map((p: any) => p.port)).toEqual([11800, 12800, 1234]);
  });

  it('changes the pod template checksum when static config changes, and only then', () => {
    const sum = (o: any[]) => byKind(o, 'Deployment')[0].spec.template.metadata.annotations['skywalking-backstage.io/config-checksum'];
    expect(sum(renderOAPServer(oap))).toBe(sum(objs));
    expect(sum(renderOAPServer(oap, { staticConfig: [{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }] }))).not.toBe(sum(objs));
    expect(sum(renderOAPServer({ ...oap, spec: { ...oap.spec, instances: 5 } }))).toBe(sum(objs));
  });
});

describe('renderUI and renderBanyanDB', () => {
  it('points the UI at the OAP REST service and adds an Ingress only when asked', () => {
    const ui: CustomObject = { ...oap, kind: 'UI', spec: { version: '10.2.0', instances: 1 } };
    const objs = renderUI(ui);
    expect(objs.map(o => o.kind)).toEqual(['Deployment', 'Service']);
    expect(objs[0].spec.template.spec.containers[0].env).toContainEqual({ name: 'SW_OAP_ADDRESS', value: 'http://demo-oap.sw:12800' });
    expect(renderUI({ ...ui, spec: { ...ui.spec, service: { ingress: { host: 'sw.example.com' } } } }).map(o => o.kind)).toContain('Ingress');
  });

  it('renders a standalone BanyanDB StatefulSet with a PVC per storage and gRPC/HTTP services', () => {
    const db: CustomObject = {
      ...oap,
      kind: 'BanyanDB',
      spec: { version: '0.8.0', counts: 1, image: 'apache/skywalking-banyandb:0.8.0', storages: [{ name: 'data', path: '/data', persistentVolumeClaimSpec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }] },
    };
    const [sts, grpc, http] = renderBanyanDB(db);
    expect(sts.kind).toBe('StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(sts.spec.template.spec.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect([grpc.metadata.name, grpc.spec.ports[0].port]).toEqual(['demo-banyandb-grpc', 17912]);
    expect([http.metadata.name, http.spec.ports[0].port]).toEqual(['demo-banyandb-http', 17913]);
  });
});

describe('computeStatus', () => {
  const now = new Date('2026-11-22T00:00:00Z');
  it('is Ready when all replicas are available on the observed generation', () => {
    const s = computeStatus(oap, { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2, updatedReplicas: 2 } }, now);
    expect(s.availableReplicas).toBe(2);
    expect(s.conditions.find(c => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'AllReplicasReady', observedGeneration: 3 });
  });

  it('is Progressing while rolling and Degraded past the progress deadline', () => {
    const s = computeStatus(oap, {
      metadata: { generation: 2 }, spec: { replicas: 2 },
      status: { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 1, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] },
    }, now);
    expect(s.conditions.map(c => [c.type, c.status])).toEqual([['Ready', 'False'], ['Progressing', 'True'], ['Degraded', 'True']]);
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const first = computeStatus(oap, undefined, new Date('2026-01-01T00:00:00Z'));
    const again = computeStatus({ ...oap, status: first }, undefined, new Date('2026-01-02T00:00:00Z'));
    expect(again.conditions[0].lastTransitionTime).toBe('2026-01-01T00:00:00.000Z');
  });

  it('checksum is stable for equal input', () => {
    expect(checksum({ a: 1 })).toBe(checksum({ a: 1 }));
    expect(checksum({ a: 1 })).not.toBe(checksum({ a: 2 }));
  });
});
