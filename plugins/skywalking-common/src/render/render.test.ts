import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderBackend, renderOAPServer, renderUI, renderBanyanDB, renderSatellite, renderStorage, renderOAPServerConfig, renderOAPServerDynamicConfig, renderSwckObject, CONFIG_CHECKSUM_ANNOTATION, OAP_ROLE_LABEL } from '.';
import type { AnySwckObject, K8sObject, OAPServer, OAPServerConfig, Storage } from '../crds/types';
import { validateSwckObject } from '../validation';
import { validateSkyWalkingBackend } from '../validation';
import type { SkyWalkingBackend } from '../crds/backend';

const samples = path.join(__dirname, '..', 'crds', '__fixtures__', 'swck-samples');
const sample = (file: string, kind: string): any => {
  const doc = parseAllDocuments(fs.readFileSync(path.join(samples, file), 'utf8'))
    .map(d => d.toJSON())
    .find((d: any) => d?.kind === kind);
  return { ...doc, metadata: { ...doc.metadata, namespace: 'skywalking-system', uid: `uid-${kind}` } };
};
const find = (objs: K8sObject[], kind: string, name?: string) => {
  const o = objs.find(x => x.kind === kind && (!name || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''} in ${objs.map(x => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const env = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const oapCr = (spec: Partial<OAPServer['spec']> = {}): OAPServer => ({
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind: 'OAPServer',
  metadata: { name: 'demo', namespace: 'obs', uid: 'u-1' },
  spec: { version: '10.2.0', instances: 2, ...spec },
});

function expectOwnedAndLabelled(objs: K8sObject[], cr: { kind: string; metadata: { name: string; uid?: string } }) {
  for (const o of objs) {
    expect(o.metadata.ownerReferences).toEqual([{ apiVersion: 'operator.skywalking.apache.org/v1alpha1', kind: cr.kind, name: cr.metadata.name, uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': cr.metadata.name, 'app.kubernetes.io/managed-by': 'skywalking-backstage' });
    expect(o.metadata.labels!['app.kubernetes.io/name']).toMatch(/^skywalking-|elasticsearch/);
  }
}

describe('renderOAPServer', () => {
  it('renders SWCK\'s default sample like SWCK', () => {
    const cr = sample('default.yaml', 'OAPServer');
    const objs = renderOAPServer(cr);
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/default-oap', 'Role/default-oap', 'RoleBinding/default-oap', 'Deployment/default-oap', 'Service/default-oap']);
    expectOwnedAndLabelled(objs, cr);
    const dep = find(objs, 'Deployment');
    expect(dep.metadata.namespace).toBe('skywalking-system');
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.selector.matchLabels).toEqual({ app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'default' });
    expect(dep.metadata.labels).toMatchObject({ 'operator.skywalking.apache.org/oap-server-name': 'default', 'operator.skywalking.apache.org/application': 'oapserver' });
    const pod = dep.spec.template;
    expect(pod.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    expect(pod.spec.serviceAccountName).toBe('default-oap');
    const c = pod.spec.containers[0];
    expect(c.image).toBe('apache/skywalking-oap-server:9.5.0');
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([11800, 12800, 1234]);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(probe.tcpSocket).toEqual({ port: 12800 });
    expect(env(c)).toMatchObject({
      SW_CLUSTER: 'kubernetes',
      SW_CLUSTER_K8S_NAMESPACE: 'skywalking-system',
      SW_CLUSTER_K8S_LABEL: 'app=oap,operator.skywalking.apache.org/oap-server-name=default',
      SKYWALKING_COLLECTOR_UID: { fieldRef: { fieldPath: 'metadata.uid' } },
      SW_CORE_ROLE: 'Mixed',
      SW_CONFIGURATION: 'k8s-configmap',
      SW_HEALTH_CHECKER: 'default',
      SW_TELEMETRY: 'prometheus',
    });
    expect(pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels).toEqual(dep.spec.selector.matchLabels);
    const role = find(objs, 'Role');
    expect(role.rules[0]).toEqual({ apiGroups: [''], resources: ['pods', 'endpoints', 'services', 'configmaps'], verbs: ['get', 'list', 'watch'] });
    expect(find(objs, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'default-oap', namespace: 'skywalking-system' }]);
    const svc = find(objs, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(svc.spec.ports.map((p: any) => [p.name, p.port])).toEqual([['rest', 12800], ['grpc', 11800], ['http-monitoring', 1234], ['admin', 17128]]);
  });

  it('splits roles into Receiver and Aggregator deployments of one cluster', () => {
    const objs = renderOAPServer(oapCr({ instances: 3, roleSplit: { enabled: true, aggregators: 2 } }));
    const rec = find(objs, 'Deployment', 'demo-oap-receiver');
    const agg = find(objs, 'Deployment', 'demo-oap-aggregator');
    expect(rec.spec.replicas).toBe(3);
    expect(agg.spec.replicas).toBe(2);
    expect(env(rec.spec.template.spec.containers[0]).SW_CORE_ROLE).toBe('Receiver');
    expect(env(agg.spec.template.spec.containers[0]).SW_CORE_ROLE).toBe('Aggregator');
    // disjoint workload selectors, one cluster selector
    expect(rec.spec.selector.matchLabels[OAP_ROLE_LABEL]).toBe('receiver');
    expect(agg.spec.selector.matchLabels[OAP_ROLE_LABEL]).toBe('aggregator');
    for (const d of [rec, agg]) {
      expect(env(d.spec.template.spec.containers[0]).SW_CLUSTER_K8S_LABEL).toBe('app=oap,operator.skywalking.apache.org/oap-server-name=demo');
      expect(d.spec.template.metadata.labels).toMatchObject({ app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'demo' });
    }
    expect(find(objs, 'Service').spec.selector[OAP_ROLE_LABEL]).toBe('receiver');
    expect(objs.filter(o => o.kind === 'Deployment')).toHaveLength(2);
  });

  it('passes scheduling settings through and pauses to zero', () => {
    const resources = { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } };
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } };
    const tolerations = [{ key: 'obs', operator: 'Exists' }];
    const objs = renderOAPServer(oapCr({ resources, affinity, tolerations, nodeSelector: { pool: 'obs' }, paused: true }));
    const dep = find(objs, 'Deployment');
    expect(dep.spec.replicas).toBe(0);
    expect(dep.spec.template.spec).toMatchObject({ affinity, tolerations, nodeSelector: { pool: 'obs' } });
    expect(dep.spec.template.spec.containers[0].resources).toEqual(resources);
    expect(env(dep.spec.template.spec.containers[0]).JAVA_OPTS).toBe('-XX:MaxRAMPercentage=75.0');
    expect(dep.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
  });

  it('lets spec.config override defaults and keeps order', () => {
    const dep = find(renderOAPServer(oapCr({ config: [{ name: 'SW_TELEMETRY', value: 'none' }, { name: 'SW_OTEL_RECEIVER', value: 'default' }] })), 'Deployment');
    const e = dep.spec.template.spec.containers[0].env;
    expect(e.filter((x: any) => x.name === 'SW_TELEMETRY')).toEqual([{ name: 'SW_TELEMETRY', value: 'none' }]);
    expect(e[e.length - 1]).toEqual({ name: 'SW_CORE_ROLE', value: 'Mixed' });
    expect(env(dep.spec.template.spec.containers[0]).SW_OTEL_RECEIVER).toBe('default');
  });

  it('rolls pods when static config changes, and only then', () => {
    const base = sample('oapserverconfig.yaml', 'OAPServerConfig') as OAPServerConfig;
    const cr = oapCr({ version: '9.1.0' });
    const sum = (cfgs: OAPServerConfig[]) => find(renderOAPServer(cr, { staticConfigs: cfgs }), 'Deployment').spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    const a = sum([base]);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(sum([base])).toBe(a);
    expect(sum([structuredClone(base)])).toBe(a);
    const changedEnv = { ...base, spec: { ...base.spec, env: [{ name: 'SW_CONFIG_CONFIGMAP_PERIOD', value: '20' }] } };
    expect(sum([changedEnv])).not.toBe(a);
    const changedFile = { ...base, spec: { ...base.spec, file: [{ ...base.spec.file![0], data: 'gateways: []' }, base.spec.file![1]] } };
    expect(sum([changedFile])).not.toBe(a);
    // a config for another version does not apply
    expect(sum([{ ...base, spec: { ...base.spec, version: '10.0.0' } }])).toBe(sum([]));
    // env from the OAPServerConfig reaches the container; files are mounted with subPath
    const dep = find(renderOAPServer(cr, { staticConfigs: [base] }), 'Deployment');
    const c = dep.spec.template.spec.containers[0];
    expect(env(c).SW_CONFIG_CONFIGMAP_PERIOD).toBe('10');
    expect(c.volumeMounts).toEqual([
      { name: 'config-oapserverconfig-sample', mountPath: '/skywalking/config/gateways.yml', subPath: 'gateways.yml' },
      { name: 'config-oapserverconfig-sample', mountPath: '/skywalking/config/log4j2.xml', subPath: 'log4j2.xml' },
    ]);
    expect(dep.spec.template.spec.volumes).toEqual([{ name: 'config-oapserverconfig-sample', configMap: { name: 'oapserverconfig-sample' } }]);
    // dynamic config does not touch the pod template
    const dyn = sample('oapserverdynamicconfig.yaml', 'OAPServerDynamicConfig');
    expect(renderSwckObject({ ...cr, spec: { ...cr.spec } }, { staticConfigs: [base] })).toEqual(renderOAPServer(cr, { staticConfigs: [base] }));
    expect(renderOAPServerDynamicConfig(dyn)).toHaveLength(1);
  });

  it('puts storage credentials in secretKeyRefs, never inline', () => {
    const es: Storage = {
      apiVersion: 'operator.skywalking.apache.org/v1alpha1',
      kind: 'Storage',
      metadata: { name: 'es', namespace: 'obs', uid: 'u-s' },
      spec: { type: 'elasticsearch', connectType: 'external', address: 'https://es.db:9200', version: '8.0.0', security: { user: { secretName: 'es-creds' } } },
    };
    const c = find(renderOAPServer(oapCr({ storage: { name: 'es' } }), { storage: es }), 'Deployment').spec.template.spec.containers[0];
    expect(env(c)).toMatchObject({
      SW_STORAGE: 'elasticsearch',
      SW_STORAGE_ES_CLUSTER_NODES: 'es.db:9200',
      SW_STORAGE_ES_HTTP_PROTOCOL: 'https',
      SW_ES_USER: { secretKeyRef: { name: 'es-creds', key: 'username' } },
      SW_ES_PASSWORD: { secretKeyRef: { name: 'es-creds', key: 'password' } },
    });
    expect(c.env.filter((e: any) => /PASSWORD|USER/.test(e.name) && e.value !== undefined)).toEqual([]);
    // internal ES storage as SWCK names it
    const internal = { ...es, spec: { ...es.spec, connectType: 'internal', address: undefined } };
    expect(env(find(renderOAPServer(oapCr(), { storage: internal }), 'Deployment').spec.template.spec.containers[0]).SW_STORAGE_ES_CLUSTER_NODES).toBe('es-elasticsearch:9200');
    const sts = renderStorage(internal);
    expect(sts.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/es-elasticsearch', 'StatefulSet/es-elasticsearch']);
    expect(renderStorage(es)).toEqual([]);
  });

  it('renders an Ingress to the REST port when asked', () => {
    const ing = find(renderOAPServer(oapCr({ service: { ingress: { host: 'oap.example.com', ingressClassName: 'nginx' } } })), 'Ingress');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'demo-oap', port: { number: 12800 } });
    expect(ing.spec.ingressClassName).toBe('nginx');
  });
});

describe('renderUI', () => {
  it('renders booster UI like SWCK (fetcher sample)', () => {
    const cr = sample('fetcher.yaml', 'UI');
    const objs = renderUI(cr);
    expectOwnedAndLabelled(objs, cr);
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/default-ui', 'Service/default-ui', 'Ingress/default-ui']);
    const c = find(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.image).toBe('apache/skywalking-ui:9.5.0');
    expect(c.ports).toEqual([{ containerPort: 8080, name: 'page' }]);
    expect(env(c)).toEqual({ SW_OAP_ADDRESS: 'default-oap:12800' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 8080 });
    expect(find(objs, 'Service').spec.ports).toEqual([{ port: 80, targetPort: 8080, name: 'page' }]);
    expect(find(objs, 'Ingress').spec.rules[0]).toEqual({ host: 'demo.ui.skywalking', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'default-ui', port: { number: 80 } } } }] } });
  });
  it('defaults to horizon with SWCK\'s addresses, a ConfigMap and port 8081', () => {
    const cr = sample('minimal.yaml', 'UI');
    const objs = renderUI(cr);
    const cm = find(objs, 'ConfigMap', 'minimal-ui-horizon');
    expect(cm.data['horizon.yaml']).toContain('queryUrl: "http://minimal-oap.skywalking-system:12800"');
    expect(cm.data['horizon.yaml']).toContain('zipkinUrl: "http://minimal-oap.skywalking-system:12800/zipkin"');
    const pod = find(objs, 'Deployment').spec.template;
    expect(pod.spec.containers[0].image).toBe('apache/skywalking-horizon-ui:9.1.0');
    expect(pod.spec.containers[0].ports[0].containerPort).toBe(8081);
    expect(pod.spec.volumes[0].configMap.name).toBe('minimal-ui-horizon');
    expect(pod.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBeDefined();
    expect(find(objs, 'Service').spec.ports[0].targetPort).toBe(8081);
  });
});

describe('renderBanyanDB', () => {
  it('renders a standalone StatefulSet with claims and both Services', () => {
    const cr = { ...sample('banyandb.yaml', 'BanyanDB') };
    cr.spec = { ...cr.spec, storages: [{ name: 'data', path: '/tmp', persistentVolumeClaimSpec: { resources: { requests: { storage: '10Gi' } }, storageClassName: 'ssd' } }] };
    const objs = renderBanyanDB(cr);
    expectOwnedAndLabelled(objs, cr);
    const sts = find(objs, 'StatefulSet', 'banyandb-sample-banyandb');
    expect(sts.spec.selector.matchLabels).toEqual({ app: 'banyandb', 'operator.skywalking.apache.org/banyandb-name': 'banyandb-sample' });
    expect(sts.spec.replicas).toBe(1);
    const c = sts.spec.template.spec.containers[0];
    expect(c.image).toBe('apache/skywalking-banyandb:latest');
    expect(c.args).toEqual(['standalone']);
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([17912, 17913, 2121, 6060]);
    expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: '/tmp' }]);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'ssd', resources: { requests: { storage: '10Gi' } } } });
    expect(sts.spec.template.spec.affinity).toEqual(cr.spec.affinity);
    expect(find(objs, 'Service', 'banyandb-sample-banyandb-grpc').spec.ports).toEqual([{ port: 17912, name: 'grpc', targetPort: 17912 }]);
    expect(find(objs, 'Service', 'banyandb-sample-banyandb-http').spec.ports).toEqual([{ port: 17913, name: 'http', targetPort: 17913 }]);
  });
});

describe('renderSatellite', () => {
  it('forwards to OAP pods like SWCK', () => {
    const cr = sample('satellite.yaml', 'Satellite');
    const objs = renderSatellite(cr);
    expectOwnedAndLabelled(objs, cr);
    const c = find(objs, 'Deployment', 'default-satellite').spec.template.spec.containers[0];
    expect(c.image).toBe('apache/skywalking-satellite:v0.4.0');
    expect(env(c)).toMatchObject({
      SATELLITE_GRPC_CLIENT_FINDER: 'kubernetes',
      SATELLITE_GRPC_CLIENT_KUBERNETES_NAMESPACE: 'skywalking-system',
      SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL: 'app=oap,operator.skywalking.apache.org/oap-server-name=default',
      SATELLITE_GRPC_CLIENT_KUBERNETES_EXTRA_PORT: '11800',
    });
    expect(find(objs, 'Service').spec.ports[0]).toEqual({ port: 11800, name: 'grpc', targetPort: 11800 });
    expect(find(objs, 'Role').rules[0].resources).toContain('pods');
  });
});

describe('config objects', () => {
  it('renders the static files ConfigMap as SWCK', () => {
    const cr = sample('oapserverconfig.yaml', 'OAPServerConfig');
    const [cm] = renderOAPServerConfig(cr);
    expect(cm.metadata.name).toBe('oapserverconfig-sample');
    expect(Object.keys(cm.data)).toEqual(['gateways.yml', 'log4j2.xml']);
    expect(cm.metadata.labels).toMatchObject({ version: '9.1.0', oapServerConfig: 'static' });
  });
  it('labels the dynamic ConfigMap so OAP\'s k8s-configmap selector finds it', () => {
    const cr = sample('oapserverdynamicconfig.yaml', 'OAPServerDynamicConfig');
    const [cm] = renderOAPServerDynamicConfig(cr);
    expect(cm.metadata.labels).toMatchObject({ app: 'collector', release: 'skywalking', OAPServerConfig: 'dynamic', version: '9.1.0' });
    expect(cm.data['agent-analyzer.default.slowDBAccessThreshold']).toBe('default:200,mongodb:50');
    const [cm2] = renderOAPServerDynamicConfig(cr, { oapServerName: 'demo' });
    expect(cm2.metadata.labels).toMatchObject({ app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'demo' });
  });
});

describe('renderBackend', () => {
  const backend: SkyWalkingBackend = { name: 'team-a', namespace: 'obs', cluster: 'local', version: '10.2.0', owner: 'group:default/team-a' };

  it('expands a minimal backend into BanyanDB, OAPServer and UI that validate against the CRDs', () => {
    expect(validateSkyWalkingBackend(backend)).toEqual([]);
    const objs = renderBackend(backend);
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['BanyanDB/team-a', 'OAPServer/team-a', 'UI/team-a']);
    for (const o of objs) {
      expect(validateSwckObject(o)).toEqual([]);
      expect(o.metadata.namespace).toBe('obs');
      expect(o.metadata.labels).toMatchObject({ 'skywalking-backstage.io/backend': 'team-a', 'app.kubernetes.io/managed-by': 'skywalking-backstage' });
      expect(o.metadata.annotations).toMatchObject({ 'skywalking-backstage.io/owner': 'group:default/team-a', 'skywalking-backstage.io/cluster': 'local' });
    }
    const oap = objs[1] as OAPServer;
    expect(oap.spec).toMatchObject({ version: '10.2.0', image: 'apache/skywalking-oap-server:10.2.0', instances: 1 });
    expect(oap.spec.config).toEqual(expect.arrayContaining([{ name: 'SW_STORAGE', value: 'banyandb' }, { name: 'SW_STORAGE_BANYANDB_TARGETS', value: 'team-a-banyandb-grpc.obs:17912' }]));
    expect((objs[0] as any).spec).toMatchObject({ version: '0.8.0', image: 'apache/skywalking-banyandb:0.8.0', counts: 1 });
    expect((objs[0] as any).spec.storages[0].persistentVolumeClaimSpec.resources.requests.storage).toBe('10Gi');
    expect((objs[2] as any).spec).toMatchObject({ kind: 'booster', image: 'apache/skywalking-ui:10.2.0', OAPServerAddress: 'http://team-a-oap.obs:12800' });
  });

  it('expands everything: role split, external storage, satellite, dynamic config, pause, ingress', () => {
    const full: SkyWalkingBackend = {
      ...backend,
      paused: true,
      oap: { replicas: 4, roleSplit: { enabled: true, receiverRatio: 0.75 }, config: [{ name: 'SW_X', secretKeyRef: { name: 'x', key: 'k' } }], dynamicConfig: { 'core.default.apdexThreshold': 'default: 500' }, nodeSelector: { pool: 'obs' } },
      ui: { ingress: { host: 'sw.example.com', tlsSecretName: 'sw-tls', className: 'nginx' } },
      storage: { type: 'postgresql', external: { address: 'pg.db:5432', secretName: 'pg-creds', database: 'sky' } },
      satellite: { enabled: true, replicas: 2 },
    };
    expect(validateSkyWalkingBackend(full)).toEqual([]);
    const objs = renderBackend(full);
    expect(objs.map(o => o.kind)).toEqual(['Storage', 'OAPServer', 'OAPServerDynamicConfig', 'UI', 'Satellite']);
    for (const o of objs) {
      expect(validateSwckObject(o)).toEqual([]);
      const pausable = 'paused' in (o.spec as any) || ['OAPServer', 'UI', 'Satellite'].includes(o.kind);
      expect(!pausable || (o.spec as any).paused === true).toBe(true);
    }
    const oap = objs[1] as OAPServer;
    expect(oap.spec.instances).toBe(3);
    expect(oap.spec.roleSplit).toEqual({ enabled: true, aggregators: 1 });
    const cfg = Object.fromEntries(oap.spec.config!.map(e => [e.name, e.value ?? e.valueFrom]));
    expect(cfg).toMatchObject({
      SW_STORAGE: 'postgresql',
      SW_JDBC_URL: 'jdbc:postgresql://pg.db:5432/sky',
      SW_DATA_SOURCE_USER: { secretKeyRef: { name: 'pg-creds', key: 'username' } },
      SW_DATA_SOURCE_PASSWORD: { secretKeyRef: { name: 'pg-creds', key: 'password' } },
      SW_X: { secretKeyRef: { name: 'x', key: 'k' } },
    });
    expect((objs[0] as any).spec).toMatchObject({ type: 'postgresql', connectType: 'external', address: 'pg.db:5432', security: { user: { secretName: 'pg-creds' } } });
    expect((objs[3] as any).spec.service.ingress).toEqual({ host: 'sw.example.com', ingressClassName: 'nginx', tls: [{ hosts: ['sw.example.com'], secretName: 'sw-tls' }] });
    expect((objs[4] as any).spec).toMatchObject({ image: 'apache/skywalking-satellite:v1.3.0', instances: 2, OAPServerName: 'team-a' });

    // and down to Kubernetes objects
    const withUid = (o: AnySwckObject) => ({ ...o, metadata: { ...o.metadata, uid: `uid-${o.kind}` } }) as AnySwckObject;
    const storages = [withUid(objs[0])] as Storage[];
    const k8s = objs.map(withUid).flatMap(o => renderSwckObject(o, { storages }));
    const deployments = k8s.filter(o => o.kind === 'Deployment');
    expect(deployments.map(d => [d.metadata.name, d.spec.replicas])).toEqual([
      ['team-a-oap-receiver', 0],
      ['team-a-oap-aggregator', 0],
      ['team-a-ui', 0],
      ['team-a-satellite', 0],
    ]);
    const dynCm = k8s.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'team-a-dynamic')!;
    expect(dynCm.metadata.labels).toMatchObject({ app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'team-a' });
    expect(dynCm.data).toEqual({ 'core.default.apdexThreshold': 'default: 500' });
    for (const o of k8s) expect(o.metadata.ownerReferences![0].uid).toMatch(/^uid-/);
    const secretsInline = JSON.stringify(k8s).match(/"name":"SW_[A-Z_]*PASSWORD","value"/);
    expect(secretsInline).toBeNull();
  });

  it('maps tidb and mysql to OAP\'s mysql storage, elasticsearch to ES env', () => {
    const oapOf = (storage: SkyWalkingBackend['storage']) => renderBackend({ ...backend, storage }).find(o => o.kind === 'OAPServer') as OAPServer;
    const cfg = (o: OAPServer) => Object.fromEntries(o.spec.config!.map(e => [e.name, e.value ?? e.valueFrom]));
    expect(cfg(oapOf({ type: 'tidb', external: { address: 'tidb:4000', secretName: 't' } }))).toMatchObject({ SW_STORAGE: 'mysql', SW_JDBC_URL: expect.stringMatching(/^jdbc:mysql:\/\/tidb:4000\//) });
    expect(cfg(oapOf({ type: 'elasticsearch', external: { address: 'es-0:9200,es-1:9200', secretName: 'e', tls: true } }))).toMatchObject({
      SW_STORAGE: 'elasticsearch',
      SW_STORAGE_ES_CLUSTER_NODES: 'es-0:9200,es-1:9200',
      SW_STORAGE_ES_HTTP_PROTOCOL: 'https',
      SW_ES_PASSWORD: { secretKeyRef: { name: 'e', key: 'password' } },
    });
  });

  it('is pure and deterministic', () => {
    const input = structuredClone(backend);
    expect(renderBackend(input)).toEqual(renderBackend(backend));
    expect(input).toEqual(backend);
  });

  it('does not render a UI when disabled', () => {
    expect(renderBackend({ ...backend, ui: { enabled: false } }).map(o => o.kind)).toEqual(['BanyanDB', 'OAPServer']);
  });
});
