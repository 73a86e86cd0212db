import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { TracingStatus } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { preferredBackend, TracingCard } from './TracingCard';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'shop-orders', annotations: { 'backstage.io/kubernetes-id': 'shop-orders' } },
  spec: { owner: 'group:default/guests' },
};

const status = (enabled: boolean): TracingStatus => ({
  entityRef: 'component:default/shop-orders',
  enabled,
  clusters: [{ name: 'local', reachable: true }],
  workloads: [
    { cluster: 'local', namespace: 'shop', kind: 'Deployment', name: 'shop-orders', injectedPods: enabled ? 2 : 0, totalPods: 2, mode: 'webhook' },
  ],
  history: [],
});

function api(enabled = false) {
  return {
    getTracing: jest.fn(async () => status(enabled)),
    listBackends: jest.fn(async () => [
      { cluster: 'local', namespace: 'sw', name: 'demo', version: '10.2.0', phase: 'Ready', conditions: [], oap: { desired: 1, ready: 1 }, storage: 'banyandb', paused: false },
    ]),
    setTracing: jest.fn(async () => status(true)),
  } as unknown as SkyWalkingApi;
}

const render = (a: SkyWalkingApi, e: Entity = entity, authorize: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW) =>
  renderInTestApp(
    <TestApiProvider apis={[[skyWalkingApiRef, a], [permissionApiRef, mockApis.permission({ authorize })]]}>
      <EntityProvider entity={e}>
        <TracingCard />
      </EntityProvider>
    </TestApiProvider>,
  );

// generous: CI runs these beside the control-plane tests on two cores
jest.setTimeout(30_000);

describe('TracingCard', () => {
  it('shows per-workload injection counts', async () => {
    await render(api());
    expect(await screen.findByText('Deployment shop/shop-orders')).toBeInTheDocument();
    expect(screen.getByText(/0\/2 pods injected/)).toBeInTheDocument();
  });

  it('turns tracing on against the selected backend', async () => {
    const a = api();
    await render(a);
    const toggle = await screen.findByRole('checkbox', { name: 'Tracing' });
    await waitFor(() => expect(toggle).not.toBeDisabled());
    fireEvent.click(toggle);
    await waitFor(() =>
      expect(a.setTracing).toHaveBeenCalledWith('component:default/shop-orders', true, { cluster: 'local', namespace: 'sw', name: 'demo' }),
    );
  });


  it('explains what is missing for an entity without Kubernetes annotations', async () => {
    await render(api(), { ...entity, metadata: { name: 'docs' } });
    expect(await screen.findByText('No Kubernetes annotations')).toBeInTheDocument();
  });
});

describe('preferredBackend', () => {
  const mine = { cluster: 'local', namespace: 'skywalking', name: 'ours', owner: 'group:default/guests' };
  const theirs = { cluster: 'local', namespace: 'team-b', name: 'theirs', owner: 'group:default/team-b' };
  const named = { cluster: 'local', namespace: 'skywalking', name: 'named' };
  it('offers the backend the entity names, else one its owner owns, else the first', () => {
    expect(preferredBackend([theirs, mine, named], 'local/skywalking/named', 'group:default/guests')).toBe(named);
    expect(preferredBackend([theirs, mine, named], undefined, 'group:default/guests')).toBe(mine);
    expect(preferredBackend([theirs, mine], 'local/x/unknown', 'group:default/nobody')).toBe(theirs);
    expect(preferredBackend([], undefined, undefined)).toBeUndefined();
  });
});
