// Own file: usePermission caches decisions (swr) per module, so a DENY test
// must not share a module registry with ALLOW tests.
import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
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

describe('BackendsPage permissions', () => {
  it('hides lifecycle actions when the permission framework denies them', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[[skyWalkingApiRef, apiWith()], [permissionApiRef, mockApis.permission({ authorize: AuthorizeResult.DENY })]]}
      >
        <BackendsPage />
      </TestApiProvider>,
    );
    expect(await screen.findByText('demo')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Scale' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });
});
