import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BackendSummary } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { BackendsPage } from './BackendsPage';

const backend: BackendSummary = {
  cluster: 'local',
  namespace: 'sw',
  name: 'demo',
  version: '10.2.0',
  phase: 'Ready',
  conditions: [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady' }],
  oap: { desired: 2, ready: 2 },
  ui: { desired: 1, ready: 1 },
  storage: 'banyandb',
  paused: false,
  owner: 'group:default/guests',
};

function apiWith(overrides: Partial<SkyWalkingApi> = {}) {
  return {
    listBackends: jest.fn(async () => [backend]),
    listClusters: jest.fn(async () => [{ name: 'local', reachable: true, injectionMode: 'webhook' as const, serverVersion: 'v1.36.0' }]),
    scaleBackend: jest.fn(async () => ({ applied: true, queued: false })),
    ...overrides,
  } as unknown as SkyWalkingApi;
}

// generous: CI runs these beside the control-plane tests on two cores
jest.setTimeout(30_000);

describe('BackendsPage', () => {
  it('lists backends with status, replicas, storage and owner', async () => {
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, apiWith()], [permissionApiRef, mockApis.permission()]]}>
        <BackendsPage />
      </TestApiProvider>,
    );
    expect(await screen.findByText('demo')).toBeInTheDocument();
    expect(screen.getByText('Ready')).toBeInTheDocument();
    expect(screen.getByText('banyandb')).toBeInTheDocument();
    expect(screen.getByText('group:default/guests')).toBeInTheDocument();
    expect(screen.getByText(/local: reachable \(v1.36.0\)/)).toBeInTheDocument();
  });


  it('scales after confirmation with the replicas typed in the dialog', async () => {
    const api = apiWith();
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()]]}>
        <BackendsPage />
      </TestApiProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Scale' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('OAP replicas'), { target: { value: '4' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() =>
      expect(api.scaleBackend).toHaveBeenCalledWith(expect.objectContaining({ name: 'demo', namespace: 'sw', cluster: 'local' }), 4),
    );
  });

  it('scales one role of a backend with role split, offering its current count', async () => {
    const split: BackendSummary = { ...backend, oap: { desired: 5, ready: 5, roles: { receivers: 3, aggregators: 2 } } };
    const api = apiWith({ listBackends: jest.fn(async () => [split]) });
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()]]}>
        <BackendsPage />
      </TestApiProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Scale' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('3 Receivers, 2 Aggregators')).toBeInTheDocument();
    fireEvent.change(within(dialog).getByLabelText('OAP role'), { target: { value: 'aggregator' } });
    expect(within(dialog).getByLabelText('OAP replicas')).toHaveValue(2);
    fireEvent.change(within(dialog).getByLabelText('OAP replicas'), { target: { value: '4' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(api.scaleBackend).toHaveBeenCalledWith(expect.objectContaining({ name: 'demo' }), 4, 'aggregator'));
  });

  it('offers no role without role split, and says when an HPA owns the replicas', async () => {
    const auto: BackendSummary = { ...backend, oap: { desired: 2, ready: 2, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6, role: 'mixed' } } };
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, apiWith({ listBackends: jest.fn(async () => [auto]) })], [permissionApiRef, mockApis.permission()]]}>
        <BackendsPage />
      </TestApiProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Scale' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryByLabelText('OAP role')).not.toBeInTheDocument();
    expect(within(dialog).getByText(/OAP is autoscaled \(2 to 6\): change oap.autoscaling instead/)).toBeInTheDocument();
  });

  it('refreshes the open panel when the table shows the backend paused', async () => {
    let paused = false;
    const summary = () => (paused ? { ...backend, phase: 'Paused', paused: true, oap: { desired: 0, ready: 0 } } : backend);
    const api = apiWith({
      listBackends: jest.fn(async () => [summary()]),
      getBackend: jest.fn(async () => ({ ...summary(), pods: [], events: [], spec: {} })),
      listBackups: jest.fn(async () => ({ items: [] })),
      pauseBackend: jest.fn(async () => {
        paused = true;
        return { applied: true, queued: false };
      }),
    } as Partial<SkyWalkingApi>);
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()]]}>
        <BackendsPage />
      </TestApiProvider>,
    );
    fireEvent.click(await screen.findByTestId('backend-demo'));
    expect(await screen.findByText('2/2 ready')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Confirm' }));
    // the panel (Ready: no polling of its own) follows the list: after the pause, the list reloads,
    // then the panel (two renders and a fetch; seconds on a loaded CI machine, hence the timeout)
    expect(await screen.findByText('0/0 ready', undefined, { timeout: 10_000 })).toBeInTheDocument();
    expect(api.getBackend).toHaveBeenCalledTimes(2);
  });

  it('shows the API error instead of an empty table', async () => {
    const api = apiWith({ listBackends: jest.fn(async () => { throw new Error('cluster local unreachable: connect ECONNREFUSED'); }) });
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()]]}>
        <BackendsPage />
      </TestApiProvider>,
    );
    expect((await screen.findAllByText(/ECONNREFUSED/)).length).toBeGreaterThan(0);
    expect(screen.queryByText('demo')).not.toBeInTheDocument();
  });
});
