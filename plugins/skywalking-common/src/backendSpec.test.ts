import { oapReplicasOf, parseQuantity, splitOAPReplicas, validateBackendSpec } from './backendSpec';

const ok = { name: 'shop-tracing', namespace: 'skywalking', cluster: 'local', version: '10.2.0', oap: { replicas: 2 }, storage: { type: 'banyandb' } };

describe('validateBackendSpec', () => {
  it('accepts a complete BanyanDB backend and an external TiDB one', () => {
    expect(validateBackendSpec(ok)).toEqual([]);
    expect(validateBackendSpec({ ...ok, rover: { enabled: true, version: '0.8.0' } })).toEqual([]);
    expect(validateBackendSpec({ ...ok, satellite: { enabled: true, replicas: 2, version: '1.3.0' } })).toEqual([]);
    expect(validateBackendSpec({ ...ok, storage: { type: 'tidb', external: { address: 'tidb.db:4000', secretName: 'tidb-creds' } } })).toEqual([]);
  });

  it.each([
    [{ name: 'Bad_Name' }, 'name', /DNS-1123/],
    [{ name: 'a'.repeat(41) }, 'name', /at most 40/],
    [{ namespace: '-ns' }, 'namespace', /DNS-1123/],
    [{ version: 'latest' }, 'version', /not a SkyWalking version/],
    [{ version: '10.2.0; rm -rf /' }, 'version', /not a SkyWalking version/],
    [{ oap: { replicas: -1 } }, 'oap.replicas', /0 to 100/],
    [{ oap: { replicas: 1.5 } }, 'oap.replicas', /integer/],
    [{ storage: { type: 'cassandra' } }, 'storage.type', /not a known storage/],
    [{ storage: { type: 'elasticsearch', external: { secretName: 'x' } } }, 'storage.external.address', /required/],
    [{ storage: { type: 'mysql', external: { address: 'db:3306', secretName: 'x', password: 'hunter2' } } }, 'storage.external', /Secret/],
    [{ storage: { type: 'banyandb', banyandb: { storageSize: 'lots' } } }, 'storage.banyandb.storageSize', /quantity/],
    [{ oap: { config: [{ name: 'SW_ES_PASSWORD', value: 'x' }] } }, 'oap.config[0].value', /Secret/],
    [{ rover: { enabled: 'yes' } }, 'rover.enabled', /true or false/],
    [{ rover: { enabled: true, version: 'latest' } }, 'rover.version', /not a Rover version/],
    [{ rover: true }, 'rover', /object/],
    [{ satellite: { enabled: 'yes' } }, 'satellite.enabled', /true or false/],
    [{ satellite: { enabled: true, replicas: 0 } }, 'satellite.replicas', /integer from 1 to 20/],
    [{ satellite: { enabled: true, version: 'v1.3' } }, 'satellite.version', /not a Satellite version/],
    [{ satellite: [] }, 'satellite', /object/],
  ])('rejects %j at %s', (patch, path, message) => {
    const errors = validateBackendSpec({ ...ok, ...patch });
    expect(errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  const sched = {
    resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'In', values: ['kwok'] }] }] } } },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'observability', effect: 'NoSchedule' }, { operator: 'Exists' }],
    nodeSelector: { 'topology.kubernetes.io/zone': 'zone-1', disktype: 'ssd' },
  };

  it('accepts scheduling for OAP, UI and BanyanDB, role split by ratio or counts, and a UI Ingress', () => {
    expect(
      validateBackendSpec({
        ...ok,
        oap: { replicas: 3, ...sched, roleSplit: { enabled: true, receiverRatio: 0.67 } },
        ui: { ...sched, ingress: { host: 'skywalking.example.com', ingressClassName: 'nginx' } },
        storage: { type: 'banyandb', banyandb: sched },
      }),
    ).toEqual([]);
    expect(validateBackendSpec({ ...ok, oap: { replicas: 4, roleSplit: { enabled: true, receivers: 3, aggregators: 1 } } })).toEqual([]);
    expect(validateBackendSpec({ ...ok, oap: { roleSplit: { enabled: true, receivers: 2, aggregators: 1 } } })).toEqual([]);
    expect(validateBackendSpec({ ...ok, oap: { replicas: 5, roleSplit: { enabled: true, aggregators: 2 } } })).toEqual([]);
    // a switched-off split is not checked against the replicas
    expect(validateBackendSpec({ ...ok, oap: { replicas: 1, roleSplit: { enabled: false } } })).toEqual([]);
    expect(validateBackendSpec({ ...ok, ui: { ingress: { host: '*.sw.example.com' } } })).toEqual([]);
  });

  it.each([
    [{ oap: { resources: { requests: { cpu: 'lots' } } } }, 'oap.resources.requests.cpu', /quantity/],
    [{ oap: { resources: { requests: { memory: '8Gi' }, limits: { memory: '4Gi' } } } }, 'oap.resources.requests.memory', /more than the limit 4Gi/],
    [{ oap: { resources: { request: { cpu: '1' } } } }, 'oap.resources.request', /not a known field/],
    [{ oap: { resources: { requests: { 'bad key!': '1' } } } }, 'oap.resources.requests.bad key!', /label key/],
    [{ oap: { affinity: { nodeAfinity: {} } } }, 'oap.affinity.nodeAfinity', /not a known field/],
    [{ oap: { affinity: 'zone-1' } }, 'oap.affinity', /Affinity object/],
    [{ oap: { tolerations: { key: 'a' } } }, 'oap.tolerations', /list/],
    [{ ui: { tolerations: [{ key: 'a', operator: 'Maybe' }] } }, 'ui.tolerations[0].operator', /Exists or Equal/],
    [{ ui: { tolerations: [{ key: 'a', operator: 'Exists', value: 'b' }] } }, 'ui.tolerations[0].value', /empty when operator is Exists/],
    [{ ui: { tolerations: [{ value: 'b' }] } }, 'ui.tolerations[0].operator', /must be Exists when no key/],
    [{ ui: { tolerations: [{ key: 'a', effect: 'Never' }] } }, 'ui.tolerations[0].effect', /NoSchedule/],
    [{ ui: { tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 30 }] } }, 'ui.tolerations[0].tolerationSeconds', /only for effect NoExecute/],
    [{ ui: { nodeSelector: { disktype: 'ssd and fast' } } }, 'ui.nodeSelector.disktype', /label value/],
    [{ ui: { nodeSelector: ['disktype=ssd'] } }, 'ui.nodeSelector', /object/],
    [{ storage: { type: 'banyandb', banyandb: { nodeSelector: { zone: 5 } } } }, 'storage.banyandb.nodeSelector.zone', /label value/],
    [{ ui: { ingress: { host: 'https://sw.example.com' } } }, 'ui.ingress.host', /host name/],
    [{ ui: { ingress: { host: 'sw.example.com', className: 'nginx' } } }, 'ui.ingress.className', /not a known field/],
    [{ ui: { ingress: { host: 'sw.example.com', ingressClassName: 'Nginx' } } }, 'ui.ingress.ingressClassName', /IngressClass/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, receiverRatio: 1 } } }, 'oap.roleSplit.receiverRatio', /between 0 and 1/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, receiverRatio: 0 } } }, 'oap.roleSplit.receiverRatio', /between 0 and 1/],
    [{ oap: { replicas: 3, roleSplit: { enabled: 'yes' } } }, 'oap.roleSplit.enabled', /true or false/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, receivers: 2, aggregators: 2 } } }, 'oap.roleSplit', /add up to oap.replicas \(3\)/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, receivers: 3 } } }, 'oap.roleSplit.receivers', /less than oap.replicas/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, aggregators: 0 } } }, 'oap.roleSplit.aggregators', /1 to 100/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, receiverRatio: 0.5, receivers: 2 } } }, 'oap.roleSplit', /either receiverRatio or receivers/],
    [{ oap: { replicas: 1, roleSplit: { enabled: true } } }, 'oap.replicas', /at least 2 with role split/],
    [{ oap: { roleSplit: { enabled: true } } }, 'oap.replicas', /at least 2 with role split/],
    [{ oap: { replicas: 3, roleSplit: { enabled: true, ratio: 0.5 } } }, 'oap.roleSplit.ratio', /not a known field/],
    [{ oap: { roleSplit: true } }, 'oap.roleSplit', /object/],
  ])('rejects %j at %s', (patch, path, message) => {
    const errors = validateBackendSpec({ ...ok, ...patch });
    expect(errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('reports every problem at once', () => {
    const errors = validateBackendSpec({ name: 'X', namespace: '', version: 'v1' });
    expect(errors.map(e => e.path).sort()).toEqual(['cluster', 'name', 'namespace', 'version']);
  });

  it('rejects a spec that is not an object', () => {
    expect(validateBackendSpec('oap')).toEqual([{ path: '', message: 'spec must be an object' }]);
  });
});

describe('splitOAPReplicas', () => {
  it.each([
    [3, { receiverRatio: 0.67 }, 2, 1],
    [6, { receiverRatio: 0.67 }, 4, 2],
    [2, { receiverRatio: 0.9 }, 1, 1],
    [10, { receiverRatio: 0.05 }, 1, 9],
    [4, {}, 2, 2],
    [4, { receivers: 3, aggregators: 1 }, 3, 1],
    // scaled away from the counts: their ratio
    [8, { receivers: 3, aggregators: 1 }, 6, 2],
    [5, { aggregators: 2 }, 3, 2],
    [5, { receivers: 4 }, 4, 1],
    [3, { receivers: 4 }, 2, 1],
    [0, { receiverRatio: 0.67 }, 0, 0],
  ])('splits %i replicas by %j into %i Receivers and %i Aggregators', (total, split, receivers, aggregators) => {
    expect(splitOAPReplicas(total, { enabled: true, ...split })).toEqual({ receivers, aggregators });
  });

  it('takes the OAP replicas from the spec, or from both counts', () => {
    expect(oapReplicasOf({})).toBe(1);
    expect(oapReplicasOf({ oap: { replicas: 4 } })).toBe(4);
    expect(oapReplicasOf({ oap: { roleSplit: { enabled: true, receivers: 2, aggregators: 1 } } })).toBe(3);
    expect(oapReplicasOf({ oap: { roleSplit: { enabled: false, receivers: 2, aggregators: 1 } } })).toBe(1);
  });

  it('parses quantities to compare requests with limits', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('lots')).toBeNaN();
  });
});

describe('validateBackendSpec: tls', () => {
  const base = { name: 'demo', namespace: 'sw', cluster: 'local', version: '10.2.0' };
  const paths = (tls: unknown) => validateBackendSpec({ ...base, tls }).map(e => e.path);

  it('accepts plugin-issued and cert-manager TLS', () => {
    expect(validateBackendSpec({ ...base, tls: { enabled: true } })).toEqual([]);
    expect(validateBackendSpec({ ...base, tls: { enabled: false } })).toEqual([]);
    expect(validateBackendSpec({ ...base, tls: { enabled: true, certManager: { issuerRef: { name: 'ca-issuer', kind: 'ClusterIssuer' } } } })).toEqual([]);
    expect(validateBackendSpec({ ...base, tls: { enabled: true, certManager: { issuerRef: { name: 'ca', kind: 'Issuer', group: 'cert-manager.io' } } } })).toEqual([]);
  });

  it('names the field of each problem', () => {
    expect(paths(true)).toEqual(['tls']);
    expect(paths({ enabled: 'yes' })).toEqual(['tls.enabled']);
    expect(paths({ enabled: true, ca: 'x' })).toEqual(['tls.ca']);
    expect(paths({ enabled: true, certManager: {} })).toEqual(['tls.certManager.issuerRef']);
    expect(paths({ enabled: true, certManager: { issuerRef: { name: 'Bad_Name', kind: 'Vault' } } })).toEqual([
      'tls.certManager.issuerRef.name',
      'tls.certManager.issuerRef.kind',
    ]);
  });
});

describe('validateBackendSpec: OAP scaling', () => {
  const cpu = { requests: { cpu: '500m' } };
  const paths = (oap: Record<string, unknown>) => validateBackendSpec({ ...ok, oap }).map(e => e.path);
  const auto = { enabled: true, minReplicas: 2, maxReplicas: 6 };

  it('accepts autoscaling with a CPU request, a disruption budget and a zone key', () => {
    expect(validateBackendSpec({ ...ok, oap: { replicas: 2, resources: cpu, autoscaling: { ...auto, targetCPUUtilizationPercentage: 60 } } })).toEqual([]);
    expect(paths({ replicas: 3, disruptionBudget: { maxUnavailable: 2 } })).toEqual([]);
    expect(paths({ replicas: 3, disruptionBudget: { maxUnavailable: '25%' } })).toEqual([]);
    expect(paths({ replicas: 3, topologySpread: { zoneKey: 'topology.kubernetes.io/zone' } })).toEqual([]);
    // switched off, no CPU request is needed
    expect(paths({ replicas: 1, autoscaling: { ...auto, enabled: false } })).toEqual([]);
  });

  it('points at each bad field', () => {
    expect(paths({ replicas: 2, resources: cpu, autoscaling: { ...auto, minReplicas: 7 } })).toEqual(['oap.autoscaling.minReplicas']);
    expect(paths({ replicas: 2, resources: cpu, autoscaling: { ...auto, maxReplicas: 101 } })).toEqual(['oap.autoscaling.maxReplicas']);
    expect(paths({ replicas: 2, resources: cpu, autoscaling: { ...auto, minReplicas: 0 } })).toEqual(['oap.autoscaling.minReplicas']);
    expect(paths({ replicas: 2, resources: cpu, autoscaling: { enabled: true, maxReplicas: 3 } })).toEqual(['oap.autoscaling.minReplicas']);
    expect(paths({ replicas: 2, resources: cpu, autoscaling: { ...auto, targetCPUUtilizationPercentage: 0 } })).toEqual(['oap.autoscaling.targetCPUUtilizationPercentage']);
    expect(paths({ replicas: 2, resources: cpu, autoscaling: { ...auto, enabled: 'yes', cpu: 1 } })).toEqual(['oap.autoscaling.cpu', 'oap.autoscaling.enabled']);
    expect(paths({ replicas: 2, autoscaling: 'on' })).toEqual(['oap.autoscaling']);
    expect(paths({ replicas: 3, disruptionBudget: { maxUnavailable: 0 } })).toEqual(['oap.disruptionBudget.maxUnavailable']);
    expect(paths({ replicas: 3, disruptionBudget: { maxUnavailable: '0%' } })).toEqual(['oap.disruptionBudget.maxUnavailable']);
    expect(paths({ replicas: 3, disruptionBudget: { minAvailable: 1 } })).toEqual(['oap.disruptionBudget.minAvailable']);
    expect(paths({ replicas: 3, topologySpread: { zoneKey: 'not a key' } })).toEqual(['oap.topologySpread.zoneKey']);
  });

  it('requires a CPU request to autoscale, and says why', () => {
    const [e] = validateBackendSpec({ ...ok, oap: { replicas: 2, resources: { requests: { memory: '2Gi' } }, autoscaling: auto } });
    expect(e.path).toBe('oap.resources.requests.cpu');
    expect(e.message).toMatch(/required when oap.autoscaling is enabled.*share of the requested CPU/);
  });

  it('keeps the replicas inside the autoscaling bounds: OAP replicas, or the Receivers when split', () => {
    expect(paths({ replicas: 8, resources: cpu, autoscaling: auto })).toEqual(['oap.replicas']);
    expect(paths({ replicas: 1, resources: cpu, autoscaling: auto })).toEqual(['oap.replicas']);
    const split = (receivers: number, aggregators: number) => ({ resources: cpu, autoscaling: auto, roleSplit: { enabled: true, receivers, aggregators } });
    expect(paths(split(3, 2))).toEqual([]);
    expect(paths(split(1, 2))).toEqual(['oap.roleSplit.receivers']);
    // the Aggregators are not autoscaled: any count
    expect(paths(split(2, 9))).toEqual([]);
    // without replicas, an autoscaled OAP starts at the minimum
    expect(oapReplicasOf({ oap: { resources: cpu, autoscaling: auto } })).toBe(2);
    expect(oapReplicasOf({ oap: { autoscaling: { ...auto, enabled: false } } })).toBe(1);
  });
});
