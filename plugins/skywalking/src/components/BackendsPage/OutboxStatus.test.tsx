import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { screen } from '@testing-library/react';
import { BackendSummary } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { BackendsPage } from './BackendsPage';

const base: BackendSummary = {
  cluster: 'local',
  namespace: 'sw',
  name: 'demo',
  version: '10.2.0',
  phase: 'Ready',
  conditions: [],
  oap: { desired: 1, ready: 1 },
  storage: 'banyandb',
  paused: false,
};

jest.setTimeout(30_000);

async function renderWith(items: BackendSummary[]) {
  const api = { listBackends: jest.fn(async () => items), listClusters: jest.fn(async () => []) } as unknown as SkyWalkingApi;
  await renderInTestApp(
    <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()]]}>
      <BackendsPage />
    </TestApiProvider>,
  );
}

describe('BackendsPage queued changes', () => {
  it('shows the dead-lettered changes of a backend with who asked and why they were given up, and waiting ones', async () => {
    await renderWith([
      {
        ...base,
        outbox: {
          pending: 2,
          dead: [{ id: 7, operation: 'scale', actor: 'user:default/alice', attempts: 5, reason: '5 attempts refused by the API server; last: replicas must be positive' }],
        },
      },
      { ...base, name: 'quiet' },
    ]);
    expect(await screen.findByTestId('outbox-dead-demo', {}, { timeout: 15_000 })).toHaveTextContent('1 given up');
    expect(screen.getByTestId('outbox-pending-demo')).toHaveTextContent('2 waiting');
    expect(screen.getByText(/scale by user:default\/alice not applied: 5 attempts refused by the API server; last: replicas must be positive/)).toBeInTheDocument();
    expect(screen.queryByTestId('outbox-dead-quiet')).toBeNull();
  });
});
