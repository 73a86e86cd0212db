import { SkyWalkingBackendSpec } from '../backendSpec';
import { renderRover, roverNames } from './rover';

const spec: SkyWalkingBackendSpec = {
  name: 'sky',
  namespace: 'obs',
  cluster: 'c',
  version: '10.2.0',
  rover: { enabled: true },
};
const owner = {
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind: 'OAPServer',
  name: 'sky',
  uid: 'uid-oap',
};

const byKind = (objs: any[], kind: string) => objs.find(o => o.kind === kind);
const envOf = (ds: any) =>
  Object.fromEntries(
    ds.spec.template.spec.containers[0].env.map((e: any) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

describe('renderRover', () => {
  const objs = renderRover(spec, { owner });
  const ds = byKind(objs, 'DaemonSet');

  it('renders nothing when rover is disabled or absent', () => {
    expect(renderRover({ ...spec, rover: { enabled: false } })).toEqual([]);
    expect(renderRover({ ...spec, rover: undefined })).toEqual([]);
    expect(renderRover({ ...spec, rover: {} })).toEqual([]);
  });

  it('renders a ServiceAccount, cluster-wide RBAC named with the namespace, and a DaemonSet', () => {
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/sky-rover',
      'ClusterRole/skywalking-rover-obs-sky',
      'ClusterRoleBinding/skywalking-rover-obs-sky',
      'DaemonSet/sky-rover',
    ]);
    expect(
      roverNames({ name: 'sky', namespace: 'other' }).clusterRole,
    ).not.toBe(roverNames(spec).clusterRole);
    const binding = byKind(objs, 'ClusterRoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'skywalking-rover-obs-sky',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'sky-rover', namespace: 'obs' },
    ]);
    const rules = byKind(objs, 'ClusterRole').rules;
    const resources = rules.flatMap((r: any) => r.resources);
    expect(resources).toEqual(
      expect.arrayContaining([
        'pods',
        'nodes',
        'services',
        'endpoints',
        'endpointslices',
        'namespaces',
        'replicasets',
        'deployments',
        'statefulsets',
        'daemonsets',
      ]),
    );
    for (const r of rules) expect(r.verbs).toEqual(['get', 'list', 'watch']);
  });

  it('owns the namespaced objects by the OAPServer (not as controller) and labels the cluster-scoped ones with the backend', () => {
    for (const kind of ['ServiceAccount', 'DaemonSet']) {
      const o = byKind(objs, kind);
      expect(o.metadata.namespace).toBe('obs');
      expect(o.metadata.ownerReferences).toEqual([
        { ...owner, controller: false },
      ]);
    }
    for (const kind of ['ClusterRole', 'ClusterRoleBinding']) {
      const o = byKind(objs, kind);
      expect(o.metadata.namespace).toBeUndefined();
      expect(o.metadata.ownerReferences).toBeUndefined();
      expect(o.metadata.labels).toMatchObject({
        'skywalking-backstage.io/backend-namespace': 'obs',
        'skywalking-backstage.io/backend-name': 'sky',
      });
    }
    expect(
      byKind(renderRover(spec), 'DaemonSet').metadata.ownerReferences,
    ).toBeUndefined();
  });

  it('runs privileged in the host PID and network namespaces on every node', () => {
    const pod = ds.spec.template.spec;
    expect(pod).toMatchObject({
      hostPID: true,
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
      serviceAccountName: 'sky-rover',
      tolerations: [{ operator: 'Exists' }],
    });
    expect(pod.containers[0].securityContext.privileged).toBe(true);
    expect(pod.containers[0].image).toBe('apache/skywalking-rover:0.7.0');
    for (const [k, v] of Object.entries(ds.spec.selector.matchLabels))
      expect(ds.spec.template.metadata.labels[k]).toBe(v);
  });

  it("reports access logs to the backend's OAP gRPC port and discovers Kubernetes processes of its node", () => {
    const node = { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } };
    expect(envOf(ds)).toEqual({
      ROVER_BACKEND_ADDR: 'sky-oap.obs:11800',
      ROVER_ACCESS_LOG_ACTIVE: 'true',
      ROVER_PROCESS_DISCOVERY_KUBERNETES_ACTIVE: 'true',
      ROVER_PROCESS_DISCOVERY_KUBERNETES_NODE_NAME: node,
      NODE_NAME: node,
      ROVER_HOST_PROC_MAPPING: '/host/proc',
      ROVER_HOST_ETC_MAPPING: '/host/etc',
      ROVER_HOST_MAPPING: '/host',
    });
  });

  it('mounts the host /proc, /etc and /sys read-only', () => {
    const pod = ds.spec.template.spec;
    const mounts = pod.containers[0].volumeMounts;
    expect(mounts.every((m: any) => m.readOnly === true)).toBe(true);
    const hostPathOf = Object.fromEntries(
      pod.volumes.map((v: any) => [v.name, v.hostPath.path]),
    );
    expect(
      Object.fromEntries(
        mounts.map((m: any) => [m.mountPath, hostPathOf[m.name]]),
      ),
    ).toEqual({ '/host/proc': '/proc', '/host/etc': '/etc', '/sys': '/sys' });
  });

  it('takes the Rover version from the spec', () => {
    const custom = byKind(
      renderRover({ ...spec, rover: { enabled: true, version: '0.8.0' } }),
      'DaemonSet',
    );
    expect(custom.spec.template.spec.containers[0].image).toBe(
      'apache/skywalking-rover:0.8.0',
    );
  });
});
