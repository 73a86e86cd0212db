import {
  checksum,
  computeStatus,
  CustomObject,
  oapDeployments,
  OAP_ROLE_LABEL,
  renderBanyanDB,
  renderOAPServer,
  oapHasHealthcheckEndpoint,
  renderUI,
  AUTOSCALING_ANNOTATION,
  DISRUPTION_BUDGET_ANNOTATION,
  ROLE_SPLIT_ANNOTATION,
  SCHEDULING_ANNOTATION,
  TOPOLOGY_SPREAD_ANNOTATION,
} from './render';
import {
  agentCaConfigMapName,
  banyandbDnsNames,
  oapDnsNames,
  TLS_ANNOTATION,
  TLS_CHECKSUM_ANNOTATION,
  TLS_VOLUME_NAME,
  tlsNames,
  tlsOf,
} from './tls';

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
      'ServiceAccount/demo-oap', 'Role/demo-oap', 'RoleBinding/demo-oap',
      'ClusterRole/skywalking-oap-sw-demo', 'ClusterRoleBinding/skywalking-oap-sw-demo',
      'Deployment/demo-oap', 'Service/demo-oap', 'PodDisruptionBudget/demo-oap',
    ]);
    expect(byKind(objs, 'Role')[0].rules[0]).toMatchObject({ resources: expect.arrayContaining(['pods']), verbs: ['get', 'list', 'watch'] });
  });

  it('owns every namespaced object through a controller ownerReference to the CR', () => {
    for (const o of objs.filter(x => !x.kind.startsWith('Cluster'))) {
      expect(o.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', name: 'demo', uid: 'uid-1', controller: true })]);
      expect(o.metadata.namespace).toBe('sw');
    }
  });

  it('grants its ServiceAccount cluster-wide read of pods, Services and Endpoints (OAP resolves peer IPs in any namespace), cluster-scoped and labelled, not owned', () => {
    const [role] = byKind(objs, 'ClusterRole');
    const [binding] = byKind(objs, 'ClusterRoleBinding');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] }]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skywalking-oap-sw-demo' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'demo-oap', namespace: 'sw' }]);
    for (const o of [role, binding]) {
      expect(o.metadata.namespace).toBeUndefined();
      // a namespaced owner of a cluster-scoped object is ignored by the garbage collector: deleted with the backend by its labels
      expect(o.metadata.ownerReferences).toBeUndefined();
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'skywalking-backstage',
        'skywalking-backstage.io/backend-namespace': 'sw',
        'skywalking-backstage.io/backend-name': 'demo',
      });
    }
    // the namespace is in the name: two backends of one name in two namespaces do not share it
    expect(renderOAPServer({ ...oap, metadata: { ...oap.metadata, namespace: 'other' } }).find(o => o.kind === 'ClusterRole')!.metadata.name).toBe('skywalking-oap-other-demo');
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
    // 10.2.0 serves OAP's health checker over HTTP: readiness is OAP's own health, not an open port
    expect(d.spec.template.spec.containers[0].readinessProbe.httpGet).toEqual({ path: '/healthcheck', port: 12800 });
    expect(d.spec.template.spec.containers[0].startupProbe).toMatchObject({ tcpSocket: { port: 12800 }, failureThreshold: 60 });
    const svc = byKind(objs, 'Service')[0];
    expect(svc.spec.ports.map((p: any) => p.port)).toEqual([11800, 12800, 1234]);
  });

  it('probes OAP readiness with its health checker from 10.1.0 on, and by its REST port before', () => {
    const probeOf = (version: string) => {
      const rendered = renderOAPServer({ apiVersion: 'operator.skywalking.apache.org/v1alpha1', kind: 'OAPServer', metadata: { name: 'demo', namespace: 'sw' }, spec: { version, instances: 1 } } as any);
      return byKind(rendered, 'Deployment')[0].spec.template.spec.containers[0].readinessProbe;
    };
    expect(probeOf('10.1.0').httpGet).toEqual({ path: '/healthcheck', port: 12800 });
    expect(probeOf('11.0.0').httpGet).toEqual({ path: '/healthcheck', port: 12800 });
    expect(probeOf('9.6.0')).toMatchObject({ tcpSocket: { port: 12800 } });
    expect(probeOf('10.0.1')).toMatchObject({ tcpSocket: { port: 12800 } });
    expect(oapHasHealthcheckEndpoint('not-a-version')).toBe(false);
  });

  it('changes the pod template checksum when static config changes, and only then', () => {
    const sum = (o: any[]) => byKind(o, 'Deployment')[0].spec.template.metadata.annotations['skywalking-backstage.io/config-checksum'];
    expect(sum(renderOAPServer(oap))).toBe(sum(objs));
    expect(sum(renderOAPServer(oap, { staticConfig: [{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }] }))).not.toBe(sum(objs));
    expect(sum(renderOAPServer({ ...oap, spec: { ...oap.spec, instances: 5 } }))).toBe(sum(objs));
  });
});

const envOf = (d: any) => Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
const named = (objs: any[], kind: string, name: string) => objs.find(o => o.kind === kind && o.metadata.name === name);
const annotated = (cr: CustomObject, annotations: Record<string, unknown>): CustomObject => ({
  ...cr,
  metadata: { ...cr.metadata, annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, JSON.stringify(v)])) },
});

describe('renderOAPServer with role split', () => {
  const split = annotated({ ...oap, spec: { ...oap.spec, instances: 3 } }, { [ROLE_SPLIT_ANNOTATION]: { enabled: true, receiverRatio: 0.67 } });
  const objs = renderOAPServer(split);

  it('renders a Receiver and an Aggregator Deployment sharing the replicas by the ratio, with SW_CORE_ROLE', () => {
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/demo-oap', 'Role/demo-oap', 'RoleBinding/demo-oap',
      'ClusterRole/skywalking-oap-sw-demo', 'ClusterRoleBinding/skywalking-oap-sw-demo',
      'Deployment/demo-oap-receiver', 'Deployment/demo-oap-aggregator',
      'Service/demo-oap', 'Service/demo-oap-query',
      // 3 = 2 Receivers + 1 Aggregator: a disruption budget for the Receivers only
      'PodDisruptionBudget/demo-oap-receiver',
    ]);
    const receiver = named(objs, 'Deployment', 'demo-oap-receiver');
    const aggregator = named(objs, 'Deployment', 'demo-oap-aggregator');
    expect([receiver.spec.replicas, aggregator.spec.replicas]).toEqual([2, 1]);
    expect(envOf(receiver).SW_CORE_ROLE).toBe('Receiver');
    expect(envOf(aggregator).SW_CORE_ROLE).toBe('Aggregator');
    // both run the same image and config, and the same service account for the coordinator's RBAC
    for (const d of [receiver, aggregator]) {
      expect(d.spec.template.spec.serviceAccountName).toBe('demo-oap');
      expect(envOf(d)).toMatchObject({ SW_CLUSTER: 'kubernetes', SW_CLUSTER_K8S_NAMESPACE: 'sw', SW_STORAGE: 'banyandb' });
      expect(d.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', uid: 'uid-1', controller: true })]);
    }
  });

  it('gives each Deployment its own selector (role label) and one cluster: the same coordinator selector, the Aggregators', () => {
    const receiver = named(objs, 'Deployment', 'demo-oap-receiver');
    const aggregator = named(objs, 'Deployment', 'demo-oap-aggregator');
    expect(receiver.spec.selector.matchLabels).toEqual({ app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'demo', [OAP_ROLE_LABEL]: 'receiver' });
    expect(aggregator.spec.selector.matchLabels).toEqual({ app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'demo', [OAP_ROLE_LABEL]: 'aggregator' });
    for (const d of [receiver, aggregator]) {
      // the pod template matches its own selector
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
    // SkyWalking's advanced deployment: the Kubernetes coordinator's label selector chooses the Aggregators
    expect(envOf(receiver).SW_CLUSTER_K8S_LABEL).toBe(`app=oap,operator.skywalking.apache.org/oap-server-name=demo,${OAP_ROLE_LABEL}=aggregator`);
    expect(envOf(aggregator).SW_CLUSTER_K8S_LABEL).toBe(envOf(receiver).SW_CLUSTER_K8S_LABEL);
    // the config checksum differs by role only through SW_CORE_ROLE; pods of one role roll together
    expect(receiver.spec.template.metadata.annotations['skywalking-backstage.io/config-checksum']).not.toBe(
      aggregator.spec.template.metadata.annotations['skywalking-backstage.io/config-checksum'],
    );
  });

  it('routes gRPC (agents) to the Receivers and the query Service to the Aggregators', () => {
    const grpc = named(objs, 'Service', 'demo-oap');
    const query = named(objs, 'Service', 'demo-oap-query');
    expect(grpc.spec.selector[OAP_ROLE_LABEL]).toBe('receiver');
    expect(grpc.spec.ports.map((p: any) => p.port)).toContain(11800);
    expect(query.spec.selector[OAP_ROLE_LABEL]).toBe('aggregator');
    expect(query.spec.ports).toEqual([{ name: 'rest', port: 12800, targetPort: 12800 }]);
  });

  it('splits the replicas as scaled, pauses both roles at zero, and renders Mixed when the split is off', () => {
    const at = (instances: number, rs: object = { enabled: true, receiverRatio: 0.67 }) =>
      oapDeployments(annotated({ ...oap, spec: { ...oap.spec, instances } }, { [ROLE_SPLIT_ANNOTATION]: rs })).map(d => [d.role, d.replicas]);
    expect(at(6)).toEqual([['Receiver', 4], ['Aggregator', 2]]);
    expect(at(0)).toEqual([['Receiver', 0], ['Aggregator', 0]]);
    expect(at(5, { enabled: true, receivers: 3, aggregators: 1 })).toEqual([['Receiver', 4], ['Aggregator', 1]]);
    expect(at(3, { enabled: false, receiverRatio: 0.67 })).toEqual([['Mixed', 3]]);
    expect(oapDeployments(oap)).toEqual([{ name: 'demo-oap', role: 'Mixed', replicas: 2 }]);
    // an unreadable annotation is no split
    expect(oapDeployments({ ...oap, metadata: { ...oap.metadata, annotations: { [ROLE_SPLIT_ANNOTATION]: '{' } } })[0].role).toBe('Mixed');
    const mixed = renderOAPServer(oap);
    expect(envOf(byKind(mixed, 'Deployment')[0]).SW_CORE_ROLE).toBeUndefined();
    expect(byKind(mixed, 'Service').map(s => s.metadata.name)).toEqual(['demo-oap']);
  });
});

describe('scheduling of the pods', () => {
  const sched = {
    resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'In', values: ['kwok'] }] }] } } },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'observability', effect: 'NoSchedule' }],
    nodeSelector: { 'topology.kubernetes.io/zone': 'zone-1' },
  };
  const podOf = (objs: any[], kind: string) => byKind(objs, kind)[0].spec.template.spec;

  it('puts resources, affinity, tolerations and nodeSelector into the OAP pods of both roles', () => {
    const cr = annotated({ ...oap, spec: { ...oap.spec, instances: 2 } }, { [SCHEDULING_ANNOTATION]: sched, [ROLE_SPLIT_ANNOTATION]: { enabled: true } });
    for (const d of byKind(renderOAPServer(cr), 'Deployment')) {
      const pod = d.spec.template.spec;
      expect(pod).toMatchObject({ affinity: sched.affinity, tolerations: sched.tolerations, nodeSelector: sched.nodeSelector });
      expect(pod.containers[0].resources).toEqual(sched.resources);
      // with a memory limit the heap follows the container's memory
      expect(envOf(d).JAVA_OPTS).toBe('-XX:MaxRAMPercentage=75.0');
    }
  });

  it('keeps SWCK pods as they were without scheduling: spread over nodes, no resources', () => {
    const pod = podOf(renderOAPServer(oap), 'Deployment');
    // spread by a topology spread constraint, not SWCK's anti-affinity
    expect(pod.affinity).toBeUndefined();
    expect(pod.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'demo' } },
      },
    ]);
    expect(pod.tolerations).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.containers[0].resources).toBeUndefined();
    expect(envOf(byKind(renderOAPServer(oap), 'Deployment')[0]).JAVA_OPTS).toBe('-Xmx2048M');
    // a partial scheduling keeps the default spreading
    const only = podOf(renderOAPServer(annotated(oap, { [SCHEDULING_ANNOTATION]: { nodeSelector: { disk: 'ssd' } } })), 'Deployment');
    expect(only.nodeSelector).toEqual({ disk: 'ssd' });
    expect(only.topologySpreadConstraints).toHaveLength(1);
  });

  it('puts them into the UI and BanyanDB pods, BanyanDB falling back to its own spec.affinity', () => {
    const ui = podOf(renderUI(annotated({ ...oap, kind: 'UI', spec: { version: '10.2.0', instances: 1 } }, { [SCHEDULING_ANNOTATION]: sched })), 'Deployment');
    expect(ui).toMatchObject({ affinity: sched.affinity, tolerations: sched.tolerations, nodeSelector: sched.nodeSelector });
    expect(ui.containers[0].resources).toEqual(sched.resources);
    const db: CustomObject = { ...oap, kind: 'BanyanDB', spec: { version: '0.8.0', counts: 1, affinity: sched.affinity } };
    const sts = podOf(renderBanyanDB(annotated(db, { [SCHEDULING_ANNOTATION]: { tolerations: sched.tolerations, resources: sched.resources } })), 'StatefulSet');
    expect(sts).toMatchObject({ affinity: sched.affinity, tolerations: sched.tolerations });
    expect(sts.containers[0].resources).toEqual(sched.resources);
    expect(podOf(renderBanyanDB({ ...db, spec: { ...db.spec, affinity: {} } }), 'StatefulSet').affinity).toBeUndefined();
  });
});

describe('renderUI and renderBanyanDB', () => {
  it('points the UI at the OAP REST service and adds an Ingress only when asked', () => {
    const ui: CustomObject = { ...oap, kind: 'UI', spec: { version: '10.2.0', instances: 1 } };
    const objs = renderUI(ui);
    expect(objs.map(o => o.kind)).toEqual(['Deployment', 'Service']);
    expect(objs[0].spec.template.spec.containers[0].env).toContainEqual({ name: 'SW_OAP_ADDRESS', value: 'http://demo-oap.sw:12800' });
    expect(renderUI({ ...ui, spec: { ...ui.spec, service: { ingress: { host: 'sw.example.com' } } } }).map(o => o.kind)).toContain('Ingress');
    const ing = named(renderUI({ ...ui, spec: { ...ui.spec, service: { ingress: { host: 'sw.example.com', ingressClassName: 'nginx' } } } }), 'Ingress', 'demo-ui');
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules[0]).toMatchObject({ host: 'sw.example.com', http: { paths: [{ backend: { service: { name: 'demo-ui', port: { number: 80 } } } }] } });
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

  it('is not Ready while a Deployment\'s pods are ready but not yet available (minReadySeconds: the API omits a zero availableReplicas)', () => {
    const s = computeStatus(oap, { metadata: { generation: 1 }, spec: { replicas: 2, strategy: { type: 'RollingUpdate' } }, status: { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2, replicas: 2 } }, now);
    expect(s.availableReplicas).toBe(0);
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'ReplicasNotReady', message: '0/2 replicas available' });
    // a StatefulSet from before availableReplicas existed counts its ready pods
    const sts = computeStatus(oap, { metadata: { generation: 1 }, spec: { replicas: 1, updateStrategy: { type: 'RollingUpdate' } }, status: { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1 } }, now);
    expect(sts.conditions[0]).toMatchObject({ status: 'True', reason: 'AllReplicasReady' });
  });

  it('is Progressing while rolling and Degraded past the progress deadline', () => {
    const s = computeStatus(oap, {
      metadata: { generation: 2 }, spec: { replicas: 2 },
      status: { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 1, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] },
    }, now);
    expect(s.conditions.map(c => [c.type, c.status])).toEqual([['Ready', 'False'], ['Progressing', 'True'], ['Degraded', 'True']]);
  });

  it('is Ready over several workloads only when each is, and not while one is missing', () => {
    const d = (name: string, replicas: number, available: number) => ({ metadata: { name, generation: 1 }, spec: { replicas }, status: { observedGeneration: 1, availableReplicas: available, updatedReplicas: replicas } });
    const both = computeStatus(oap, [d('demo-oap-receiver', 2, 2), d('demo-oap-aggregator', 1, 1)], now);
    expect(both.availableReplicas).toBe(3);
    expect(both.conditions[0]).toMatchObject({ status: 'True', message: '3/3 replicas available (demo-oap-receiver: 2/2, demo-oap-aggregator: 1/1)' });
    // one role short is not made up for by a surge of the other
    expect(computeStatus(oap, [d('r', 2, 3), d('a', 1, 0)], now).conditions[0]).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
    expect(computeStatus(oap, [d('r', 2, 2), undefined], now).conditions[0]).toMatchObject({ status: 'False', reason: 'Creating' });
  });

  describe('Degraded when replicas are lost with no rollout under way', () => {
    const deployment = (replicas: number, available: number, updated = replicas) => ({
      metadata: { name: 'demo-oap', generation: 4 },
      spec: { replicas },
      status: { observedGeneration: 4, availableReplicas: available, updatedReplicas: updated },
    });
    const wasReady = (available: number): CustomObject => ({ ...oap, status: computeStatus(oap, deployment(available, available), now) });
    const cond = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions.find(c => c.type === type);

    it('turns Degraded (ReplicasUnavailable) when pods of a Ready object stop being ready', () => {
      const s = computeStatus(wasReady(2), deployment(2, 0), now);
      expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'ReplicasUnavailable', message: '0/2 replicas available with no rollout under way: pods stopped being ready' });
      expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
      expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'NoRollout' });
    });

    it('stays Degraded while still short, and clears once all replicas are available', () => {
      const first = computeStatus(wasReady(2), deployment(2, 0), now);
      const still = computeStatus({ ...oap, status: first }, deployment(2, 1), now);
      expect(cond(still, 'Degraded')).toMatchObject({ status: 'True', reason: 'ReplicasUnavailable' });
      const healed = computeStatus({ ...oap, status: still }, deployment(2, 2), now);
      expect(healed.conditions.map(c => [c.type, c.status])).toEqual([['Ready', 'True'], ['Progressing', 'False'], ['Degraded', 'False']]);
    });

    it('is not Degraded on a scale-up, a rollout or a first start', () => {
      // 2 -> 3: the new replica is not available yet, none was lost
      expect(cond(computeStatus(wasReady(2), deployment(3, 2), now), 'Degraded')?.status).toBe('False');
      expect(cond(computeStatus(wasReady(2), deployment(3, 2), now), 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
      // a new revision rolling out: not every replica updated
      expect(cond(computeStatus(wasReady(2), deployment(2, 1, 1), now), 'Degraded')?.status).toBe('False');
      // never Ready before
      expect(cond(computeStatus(oap, deployment(2, 0), now), 'Degraded')?.status).toBe('False');
      // the Deployment controller has not seen the latest spec yet
      expect(cond(computeStatus(wasReady(2), { ...deployment(2, 0), status: { observedGeneration: 3, availableReplicas: 0, updatedReplicas: 2 } }, now), 'Degraded')?.status).toBe('False');
    });

    it('reads BanyanDB\'s available_pods as the last reported count', () => {
      const db: CustomObject = { ...oap, kind: 'BanyanDB', status: { available_pods: 1, conditions: computeStatus(oap, deployment(1, 1), now).conditions } };
      expect(cond(computeStatus(db, deployment(1, 0), now), 'Degraded')).toMatchObject({ status: 'True', reason: 'ReplicasUnavailable' });
    });
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

describe('TLS recorded on the custom objects', () => {
  const tlsOn = (cr: CustomObject, sum?: string): CustomObject => {
    const a = annotated(cr, { [TLS_ANNOTATION]: { enabled: true } });
    return sum ? { ...a, metadata: { ...a.metadata, annotations: { ...a.metadata.annotations, [TLS_CHECKSUM_ANNOTATION]: sum } } } : a;
  };

  it('OAP: mounts the certificate Secret and gets the core gRPC SSL env and the BanyanDB trust CA, with the certificate checksum on the pods', () => {
    const [d] = byKind(renderOAPServer(tlsOn(oap, 'abc123')), 'Deployment');
    const pod = d.spec.template;
    const c = pod.spec.containers[0];
    expect(pod.spec.volumes).toContainEqual({ name: TLS_VOLUME_NAME, secret: { secretName: 'demo-oap-tls' } });
    expect(c.volumeMounts).toContainEqual({ name: TLS_VOLUME_NAME, mountPath: '/skywalking/tls', readOnly: true });
    expect(c.env).toEqual(expect.arrayContaining([
      { name: 'SW_CORE_GRPC_SSL_ENABLED', value: 'true' },
      { name: 'SW_CORE_GRPC_SSL_KEY_PATH', value: '/skywalking/tls/tls.key' },
      { name: 'SW_CORE_GRPC_SSL_CERT_CHAIN_PATH', value: '/skywalking/tls/tls.crt' },
      { name: 'SW_CORE_GRPC_SSL_TRUSTED_CA_PATH', value: '/skywalking/tls/ca.crt' },
      { name: 'SW_STORAGE_BANYANDB_SSL_TRUST_CA_PATH', value: '/skywalking/tls/ca.crt' },
    ]));
    expect(pod.metadata.annotations[TLS_CHECKSUM_ANNOTATION]).toBe('abc123');
    // a new certificate (checksum) changes the pod template: the pods roll
    const [rotated] = byKind(renderOAPServer(tlsOn(oap, 'def456')), 'Deployment');
    expect(rotated.spec.template.metadata.annotations[TLS_CHECKSUM_ANNOTATION]).toBe('def456');
  });

  it('OAP: no TLS, nothing of it; an external storage gets no BanyanDB trust CA; a value from the spec config wins', () => {
    const [plainD] = byKind(renderOAPServer(oap), 'Deployment');
    expect(plainD.spec.template.spec.volumes).toBeUndefined();
    expect(plainD.spec.template.spec.containers[0].env.some((e: any) => e.name.startsWith('SW_CORE_GRPC_SSL'))).toBe(false);
    expect(plainD.spec.template.metadata.annotations[TLS_CHECKSUM_ANNOTATION]).toBeUndefined();
    const off = annotated(oap, { [TLS_ANNOTATION]: { enabled: false } });
    expect(byKind(renderOAPServer(off), 'Deployment')[0].spec.template.spec.volumes).toBeUndefined();
    const es = tlsOn({ ...oap, spec: { ...oap.spec, config: [{ name: 'SW_STORAGE', value: 'elasticsearch' }, { name: 'SW_CORE_GRPC_SSL_TRUSTED_CA_PATH', value: '/x/ca.crt' }] } });
    const env = byKind(renderOAPServer(es), 'Deployment')[0].spec.template.spec.containers[0].env;
    expect(env.some((e: any) => e.name === 'SW_STORAGE_BANYANDB_SSL_TRUST_CA_PATH')).toBe(false);
    expect(env.filter((e: any) => e.name === 'SW_CORE_GRPC_SSL_TRUSTED_CA_PATH')).toEqual([{ name: 'SW_CORE_GRPC_SSL_TRUSTED_CA_PATH', value: '/x/ca.crt' }]);
  });

  it('OAP with role split: both Deployments serve TLS', () => {
    const split = annotated({ ...oap, spec: { ...oap.spec, instances: 2 } }, { [ROLE_SPLIT_ANNOTATION]: { enabled: true }, [TLS_ANNOTATION]: { enabled: true } });
    const ds = byKind(renderOAPServer(split), 'Deployment');
    expect(ds).toHaveLength(2);
    for (const d of ds) expect(d.spec.template.spec.containers[0].env).toContainEqual({ name: 'SW_CORE_GRPC_SSL_ENABLED', value: 'true' });
  });

  it('BanyanDB: serves gRPC with TLS (its certificate Secret mounted), the HTTP probe stays plain', () => {
    const db: CustomObject = {
      apiVersion: 'operator.skywalking.apache.org/v1alpha1',
      kind: 'BanyanDB',
      metadata: { name: 'demo', namespace: 'sw', uid: 'uid-3' },
      spec: { version: '0.8.0', counts: 1, config: ['standalone'], storages: [{ name: 'data', path: '/tmp', persistentVolumeClaimSpec: {} }] },
    };
    const [sts] = byKind(renderBanyanDB(tlsOn(db, 'ffff0000')), 'StatefulSet');
    const c = sts.spec.template.spec.containers[0];
    expect(c.args).toEqual([
      'standalone',
      '--tls=true',
      '--cert-file=/skywalking/tls/tls.crt',
      '--key-file=/skywalking/tls/tls.key',
      '--http-grpc-cert-file=/skywalking/tls/tls.crt',
    ]);
    expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: '/tmp' }, { name: TLS_VOLUME_NAME, mountPath: '/skywalking/tls', readOnly: true }]);
    expect(sts.spec.template.spec.volumes).toEqual([{ name: TLS_VOLUME_NAME, secret: { secretName: 'demo-banyandb-tls' } }]);
    expect(sts.spec.template.metadata.annotations[TLS_CHECKSUM_ANNOTATION]).toBe('ffff0000');
    expect(c.readinessProbe.httpGet.port).toBe(17913);
    expect(byKind(renderBanyanDB(db), 'StatefulSet')[0].spec.template.spec.containers[0].args).toEqual(['standalone']);
  });

  it('names and DNS names of the certificates', () => {
    expect(tlsNames('demo')).toEqual({ ca: 'demo-ca', oap: 'demo-oap-tls', banyandb: 'demo-banyandb-tls' });
    expect(oapDnsNames('demo', 'sw', false)).toEqual(['demo-oap', 'demo-oap.sw', 'demo-oap.sw.svc', 'demo-oap.sw.svc.cluster.local']);
    expect(oapDnsNames('demo', 'sw', true)).toContain('demo-oap-query.sw.svc.cluster.local');
    expect(banyandbDnsNames('demo', 'sw')).toEqual(['demo-banyandb-grpc', 'demo-banyandb-grpc.sw', 'demo-banyandb-grpc.sw.svc', 'demo-banyandb-grpc.sw.svc.cluster.local', 'localhost']);
    expect(agentCaConfigMapName({ namespace: 'sw', name: 'demo' })).toBe('skywalking-ca-sw-demo');
    expect(tlsOf({ metadata: { annotations: { [TLS_ANNOTATION]: 'not json' } } })).toBeUndefined();
  });
});

describe('scaling objects of OAP', () => {
  const names = (objs: any[], kind: string) => byKind(objs, kind).map(o => o.metadata.name);
  const split = (instances: number, extra: Record<string, unknown> = {}) =>
    annotated({ ...oap, spec: { ...oap.spec, instances } }, { [ROLE_SPLIT_ANNOTATION]: { enabled: true }, ...extra });
  const auto = { enabled: true, minReplicas: 2, maxReplicas: 6 };

  it('renders a PodDisruptionBudget per OAP Deployment with more than one pod, selecting its pods', () => {
    const [pdb] = byKind(renderOAPServer(oap), 'PodDisruptionBudget');
    expect(pdb).toMatchObject({
      apiVersion: 'policy/v1',
      metadata: { name: 'demo-oap', namespace: 'sw', ownerReferences: [{ kind: 'OAPServer', uid: 'uid-1', controller: true }] },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'oap', 'operator.skywalking.apache.org/oap-server-name': 'demo' } } },
    });
    expect(byKind(renderOAPServer({ ...oap, spec: { ...oap.spec, instances: 1 } }), 'PodDisruptionBudget')).toEqual([]);
    // split 5 = 3 Receivers + 2 Aggregators: one budget each, on its role's pods
    const objs = renderOAPServer(split(5));
    const pdbs = byKind(objs, 'PodDisruptionBudget');
    expect(pdbs.map(p => [p.metadata.name, p.spec.selector.matchLabels[OAP_ROLE_LABEL]])).toEqual([
      ['demo-oap-receiver', 'receiver'],
      ['demo-oap-aggregator', 'aggregator'],
    ]);
    for (const d of byKind(objs, 'Deployment')) {
      expect(pdbs.find(p => p.metadata.name === d.metadata.name).spec.selector).toEqual(d.spec.selector);
    }
    // 3 split = 2 Receivers + 1 Aggregator: the single Aggregator gets none
    expect(names(renderOAPServer(split(3)), 'PodDisruptionBudget')).toEqual(['demo-oap-receiver']);
    const custom = annotated(oap, { [DISRUPTION_BUDGET_ANNOTATION]: { maxUnavailable: '50%' } });
    expect(byKind(renderOAPServer(custom), 'PodDisruptionBudget')[0].spec.maxUnavailable).toBe('50%');
  });

  it('spreads the pods of each role over nodes, and over zones when a zone key is recorded', () => {
    const objs = renderOAPServer(split(4, { [TOPOLOGY_SPREAD_ANNOTATION]: { zoneKey: 'topology.kubernetes.io/zone' } }));
    for (const d of byKind(objs, 'Deployment')) {
      const tsc = d.spec.template.spec.topologySpreadConstraints;
      expect(tsc.map((c: any) => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable])).toEqual([
        ['kubernetes.io/hostname', 1, 'ScheduleAnyway'],
        ['topology.kubernetes.io/zone', 1, 'ScheduleAnyway'],
      ]);
      for (const c of tsc) expect(c.labelSelector.matchLabels).toEqual(d.spec.selector.matchLabels);
    }
  });

  it('renders an HPA for the Mixed Deployment and leaves its replicas to it', () => {
    const objs = renderOAPServer(annotated({ ...oap, spec: { ...oap.spec, instances: 3 } }, { [AUTOSCALING_ANNOTATION]: { ...auto, targetCPUUtilizationPercentage: 60 } }));
    const [hpa] = byKind(objs, 'HorizontalPodAutoscaler');
    expect(hpa).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: expect.objectContaining({ name: 'demo-oap', namespace: 'sw' }),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo-oap' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
      },
    });
    const [d] = byKind(objs, 'Deployment');
    expect('replicas' in d.spec).toBe(false);
    expect(names(objs, 'PodDisruptionBudget')).toEqual(['demo-oap']);
    // default target 70%; a disabled or unreadable record is no HPA
    const dflt = byKind(renderOAPServer(annotated(oap, { [AUTOSCALING_ANNOTATION]: auto })), 'HorizontalPodAutoscaler')[0];
    expect(dflt.spec.metrics[0].resource.target.averageUtilization).toBe(70);
    for (const a of [{ ...auto, enabled: false }, '{']) {
      const o = renderOAPServer(annotated(oap, { [AUTOSCALING_ANNOTATION]: a }));
      expect(byKind(o, 'HorizontalPodAutoscaler')).toEqual([]);
      expect(byKind(o, 'Deployment')[0].spec.replicas).toBe(2);
    }
  });

  it('autoscales only the Receivers when split, and nothing while scaled to zero', () => {
    const objs = renderOAPServer(split(4, { [AUTOSCALING_ANNOTATION]: auto }));
    expect(byKind(objs, 'HorizontalPodAutoscaler').map(h => h.spec.scaleTargetRef.name)).toEqual(['demo-oap-receiver']);
    const [receiver, aggregator] = byKind(objs, 'Deployment');
    expect('replicas' in receiver.spec).toBe(false);
    expect(aggregator.spec.replicas).toBe(2);
    // a single Receiver autoscaled up to 6 may run several pods: it gets a budget
    expect(names(renderOAPServer(split(2, { [AUTOSCALING_ANNOTATION]: auto })), 'PodDisruptionBudget')).toEqual(['demo-oap-receiver']);
    const paused = renderOAPServer(annotated({ ...oap, spec: { ...oap.spec, instances: 0 } }, { [AUTOSCALING_ANNOTATION]: auto }));
    expect(byKind(paused, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(byKind(paused, 'PodDisruptionBudget')).toEqual([]);
    expect(byKind(paused, 'Deployment')[0].spec.replicas).toBe(0);
  });
});
