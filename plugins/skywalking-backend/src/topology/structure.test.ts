import { agentServiceNames, structuralGraph } from './structure';
import { serviceProxyUrl } from './kubeFetch';

const owner = (kind: string, name: string) => [{ kind, name, uid: `${kind}-${name}`, controller: true }];

describe('structuralGraph', () => {
  const graph = structuralGraph([
    {
      replicaSets: [{ metadata: { name: 'web-5d9', namespace: 'shop', ownerReferences: owner('Deployment', 'web') } }],
      pods: [
        {
          metadata: { name: 'web-5d9-a', namespace: 'shop', labels: { app: 'web' }, ownerReferences: owner('ReplicaSet', 'web-5d9') },
          spec: { nodeName: 'kwok-node-0' },
          status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] },
        },
        {
          metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db' }, ownerReferences: owner('StatefulSet', 'db') },
          status: { phase: 'Running', podIP: '10.0.0.2' },
        },
        { metadata: { name: 'job-x', namespace: 'shop', ownerReferences: owner('Job', 'x') }, status: { phase: 'Succeeded', podIP: '10.0.0.3' } },
        { metadata: { name: 'going', namespace: 'shop', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running', podIP: '10.0.0.4' } },
        { metadata: { name: 'agent', namespace: 'shop' }, spec: { hostNetwork: true }, status: { phase: 'Running', podIP: '192.168.0.5' } },
      ],
      services: [
        { metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], selector: { app: 'web' } } },
        { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', selector: { app: 'db' } } },
      ],
      endpointSlices: [
        {
          metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
          endpoints: [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-5d9-a', namespace: 'shop' } }],
        },
        { metadata: { name: 'orphan', namespace: 'shop' }, endpoints: [] },
      ],
      ingresses: [
        {
          metadata: { name: 'public', namespace: 'shop' },
          spec: {
            defaultBackend: { service: { name: 'web' } },
            rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/api', backend: { service: { name: 'api' } } }] } }],
          },
        },
      ],
    },
  ]);

  it('resolves a ReplicaSet owner to its Deployment and keeps StatefulSet owners', () => {
    expect(graph.pods?.find(p => p.name === 'web-5d9-a')?.workload).toEqual({ kind: 'Deployment', name: 'web' });
    expect(graph.pods?.find(p => p.name === 'db-0')?.workload).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(graph.workloads).toEqual([
      { kind: 'Deployment', name: 'web', namespace: 'shop' },
      { kind: 'StatefulSet', name: 'db', namespace: 'shop' },
    ]);
  });

  it('leaves out finished and terminating pods, keeps dual-stack IPs and marks host-network pods', () => {
    expect(graph.pods?.map(p => p.name)).toEqual(['web-5d9-a', 'db-0', 'agent']);
    expect(graph.pods?.[0]).toMatchObject({ ips: ['10.0.0.1', 'fd00::1'], nodeName: 'kwok-node-0', labels: { app: 'web' } });
    expect(graph.pods?.find(p => p.name === 'agent')?.hostNetwork).toBe(true);
  });

  it('drops headless cluster IPs and keeps selectors', () => {
    expect(graph.services).toEqual([
      { name: 'web', namespace: 'shop', clusterIPs: ['10.96.0.1'], selector: { app: 'web' } },
      { name: 'db', namespace: 'shop', clusterIPs: [], selector: { app: 'db' } },
    ]);
  });

  it('reads slices by their service-name label and every ingress backend with host and path', () => {
    expect(graph.endpointSlices).toEqual([
      {
        name: 'web-abc',
        namespace: 'shop',
        serviceName: 'web',
        endpoints: [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-5d9-a', namespace: 'shop' } }],
      },
    ]);
    expect(graph.ingresses?.[0].backends).toEqual([
      { serviceName: 'web' },
      { serviceName: 'api', host: 'shop.example.com', path: '/api' },
    ]);
  });
});

describe('serviceProxyUrl', () => {
  it('builds the API server proxy path of a service port', () => {
    expect(serviceProxyUrl('https://127.0.0.1:6443/', 'sky walking', 'demo-oap', 12800)).toBe(
      'https://127.0.0.1:6443/api/v1/namespaces/sky%20walking/services/demo-oap:12800/proxy',
    );
  });
});

describe('agentServiceNames: which GENERAL-layer service a pod reports as', () => {
  it('reads SW_AGENT_NAME, the injector\'s env, of each container', () => {
    const pod = { spec: { containers: [{ name: 'web', env: [{ name: 'SW_AGENT_NAME', value: 'shop-frontend' }] }, { name: 'istio-proxy' }] } };
    expect(agentServiceNames(pod)).toEqual(['shop-frontend']);
  });

  it('reads -Dskywalking.agent.service_name in JAVA_TOOL_OPTIONS', () => {
    const env = [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xss512k -Dskywalking.agent.service_name=team::orders -javaagent:/sky/agent/skywalking-agent.jar' }];
    expect(agentServiceNames({ spec: { containers: [{ env }] } })).toEqual(['team::orders']);
  });

  it('falls back to SWCK\'s agent.service_name annotation, and is empty for a pod without an agent', () => {
    expect(agentServiceNames({ metadata: { annotations: { 'agent.skywalking.apache.org/agent.service_name': 'payments' } } })).toEqual(['payments']);
    expect(agentServiceNames({ spec: { containers: [{ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xss512k' }] }] } })).toEqual([]);
  });

  it('puts the names on the structural pod', () => {
    const g = structuralGraph([
      {
        replicaSets: [],
        services: [],
        endpointSlices: [],
        ingresses: [],
        pods: [
          {
            metadata: { name: 'orders-1', namespace: 'shop' },
            spec: { containers: [{ env: [{ name: 'SW_AGENT_NAME', value: 'shop-orders' }] }] },
            status: { phase: 'Running', podIP: '10.0.0.9' },
          },
          { metadata: { name: 'plain', namespace: 'shop' }, status: { phase: 'Running', podIP: '10.0.0.8' } },
        ],
      },
    ]);
    expect(g.pods!.find(p => p.name === 'orders-1')?.agentServices).toEqual(['shop-orders']);
    expect(g.pods!.find(p => p.name === 'plain')).not.toHaveProperty('agentServices');
  });
});
