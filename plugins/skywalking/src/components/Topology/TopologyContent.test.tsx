import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { TopologyResponse } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { TopologyContent } from './TopologyContent';

// jsdom has no canvas, so cytoscape cannot draw here: a stand-in for the
// graph lists the nodes and calls as buttons that select like a tap on the canvas.
// The real canvas graph is exercised in Chromium by the e2e tests.
jest.mock('./TopologyGraph', () => ({
  TopologyGraph: ({ topology, onSelect }: { topology: TopologyResponse; onSelect: (id?: string) => void }) => (
    <div data-testid="sw-topology-graph">
      {topology.nodes.map(n => (
        <button key={n.id} onClick={() => onSelect(n.id)}>
          {`node ${n.name}`}
        </button>
      ))}
      {topology.edges
        .filter(e => e.kind === 'call')
        .map(e => (
          <button key={e.id} onClick={() => onSelect(e.id)}>
            {`call ${e.id}`}
          </button>
        ))}
    </div>
  ),
}));

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'shop-frontend', annotations: { 'backstage.io/kubernetes-id': 'shop-frontend' } },
  spec: { owner: 'group:default/guests' },
};

const topology: TopologyResponse = {
  entityRef: 'component:default/shop-frontend',
  nodes: [
    { id: 'service:shop/shop-frontend', kind: 'service', name: 'shop-frontend', namespace: 'shop', metrics: { cpm: 120 } },
    { id: 'service:shop/shop-orders', kind: 'service', name: 'shop-orders', namespace: 'shop', metrics: { cpm: 80 } },
    { id: 'pod:shop/shop-frontend-1', kind: 'pod', name: 'shop-frontend-1', namespace: 'shop', metrics: {} },
  ],
  edges: [
    {
      id: 'call:a->b',
      source: 'service:shop/shop-frontend',
      target: 'service:shop/shop-orders',
      kind: 'call',
      metrics: { cpm: 118 },
      // seen by both layers: the Kubernetes layer (its metrics are `metrics`) and the agents
      seenBy: ['K8S_SERVICE', 'GENERAL'],
      layers: { GENERAL: { cpm: 97, latencyMs: 12.5, successRate: 0.995 } },
    },
    { id: 'selects:a->p', source: 'service:shop/shop-frontend', target: 'pod:shop/shop-frontend-1', kind: 'selects', metrics: {} },
  ],
  unresolved: { count: 2, samples: [{ source: 'shop-frontend.shop', target: '203.0.113.9:443', reason: 'target: service-not-in-cluster' }] },
  skipped: { sidecarInternal: 0 },
  generatedAt: '2026-11-30T10:00:00Z',
  window: { from: '', to: '' },
  warnings: ['MQE kubernetes_service_relation_server_cpm: not found'],
};

// the first part is what the e2e reads; the calls per layer follow it
const SUMMARY = '3 nodes, 1 calls, 2 unresolved relations · calls seen by K8S_SERVICE only: 0, GENERAL only: 0, both: 1';

const render = (getTopology: jest.Mock) =>
  renderInTestApp(
    <TestApiProvider apis={[[skyWalkingApiRef, { getTopology } as unknown as SkyWalkingApi]]}>
      <EntityProvider entity={entity}>
        <TopologyContent />
      </EntityProvider>
    </TestApiProvider>,
  );

describe('TopologyContent', () => {
  it('asks for the last 15 minutes of the entity and shows counts, unresolved relations, warnings and the legend', async () => {
    const getTopology = jest.fn(async () => topology);
    await render(getTopology);
    expect(await screen.findByText(SUMMARY)).toBeInTheDocument();
    const [ref, from, to] = getTopology.mock.calls[0] as unknown as [string, Date, Date];
    expect(ref).toBe('component:default/shop-frontend');
    expect(to.getTime() - from.getTime()).toBe(15 * 60_000);
    expect(screen.getByText('Unresolved relations (2)')).toBeInTheDocument();
    expect(screen.getByText(/203\.0\.113\.9:443: target: service-not-in-cluster/)).toBeInTheDocument();
    expect(screen.getByText(/MQE kubernetes_service_relation_server_cpm/)).toBeInTheDocument();
    const legend = screen.getByTestId('sw-topology-legend');
    for (const kind of ['service', 'pod', 'workload', 'ingress', 'external']) expect(within(legend).getByText(kind)).toBeInTheDocument();
    expect(screen.getByTestId('sw-topology-graph')).toBeInTheDocument();
  });

  it('shows a node\'s kind, namespace and metrics when it is selected', async () => {
    await render(jest.fn(async () => topology));
    expect(await screen.findByText('Click a node to see its metrics.')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'node shop-orders' }));
    expect(await screen.findByText('80.0')).toBeInTheDocument(); // calls / min
    expect(screen.getByText(/calls \/ min/i)).toBeInTheDocument();
    expect(screen.getAllByText('shop-orders').length).toBeGreaterThan(0);
    expect(screen.queryByText('Click a node to see its metrics.')).not.toBeInTheDocument();
  });

  it('says in the legend which layer a call came from', async () => {
    await render(jest.fn(async () => topology));
    await screen.findByText(SUMMARY);
    const layers = screen.getByTestId('sw-topology-legend-layers');
    for (const text of ['K8S_SERVICE (Kubernetes layer, access logs)', "GENERAL (agents' traces)", 'both layers']) {
      expect(within(layers).getByText(text)).toBeInTheDocument();
    }
  });

  it('shows the metrics of each layer of a selected call', async () => {
    await render(jest.fn(async () => topology));
    fireEvent.click(await screen.findByRole('button', { name: 'call call:a->b' }));
    expect(await screen.findByText('shop-frontend → shop-orders')).toBeInTheDocument();
    expect(screen.getByText('K8S_SERVICE, GENERAL')).toBeInTheDocument(); // seen by
    const row = (title: string) => screen.getByText(title).closest('tr')!;
    expect(within(row('K8S_SERVICE · calls / min')).getByText('118.0')).toBeInTheDocument();
    expect(within(row('GENERAL · calls / min')).getByText('97.0')).toBeInTheDocument();
    expect(within(row('GENERAL · avg latency')).getByText('12.5 ms')).toBeInTheDocument();
    expect(within(row('GENERAL · success rate')).getByText('99.50 %')).toBeInTheDocument();
  });

  it('keeps the summary line as it was when no layer is known', async () => {
    const plain = { ...topology, edges: topology.edges.map(({ layers: _l, seenBy: _s, ...e }) => e) };
    await render(jest.fn(async () => plain));
    expect(await screen.findByText('3 nodes, 1 calls, 2 unresolved relations')).toBeInTheDocument();
  });

  it('asks again for the chosen time range', async () => {
    const getTopology = jest.fn(async () => topology);
    await render(getTopology);
    await screen.findByText(SUMMARY);
    fireEvent.mouseDown(screen.getByRole('button', { name: 'Time range' }));
    fireEvent.click(await screen.findByRole('option', { name: 'Last 6 hours' }));
    await waitFor(() => expect(getTopology).toHaveBeenCalledTimes(2));
    const [, from, to] = getTopology.mock.calls[1] as unknown as [string, Date, Date];
    expect(to.getTime() - from.getTime()).toBe(360 * 60_000);
  });

  it('shows the error the backend names, e.g. no backend bound', async () => {
    const getTopology = jest.fn(async () => {
      throw new Error('no SkyWalking backend is bound to component:default/shop-frontend');
    });
    await render(getTopology);
    expect((await screen.findAllByText(/no SkyWalking backend is bound to component:default\/shop-frontend/))[0]).toBeInTheDocument();
  });

  it('says when no Kubernetes object matches instead of drawing an empty graph', async () => {
    const getTopology = jest.fn(async () => ({ ...topology, nodes: [], edges: [], unresolved: { count: 0, samples: [] }, warnings: [] }));
    await render(getTopology);
    expect(await screen.findByText('No workloads found')).toBeInTheDocument();
    expect(screen.queryByTestId('sw-topology-graph')).not.toBeInTheDocument();
  });
});
