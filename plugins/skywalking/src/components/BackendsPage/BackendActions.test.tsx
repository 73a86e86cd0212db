import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BackendSummary, StatusCondition } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { BackendActions } from './BackendActions';

const backend = (conditions: StatusCondition[] = []): BackendSummary => ({
  cluster: 'local',
  namespace: 'sw',
  name: 'demo',
  version: '10.2.0',
  phase: 'Ready',
  conditions: [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady' }, ...conditions],
  oap: { desired: 1, ready: 1 },
  ui: { desired: 1, ready: 1 },
  storage: 'banyandb',
  paused: false,
});

jest.setTimeout(30_000);

async function openUpgrade(b: BackendSummary, api: Partial<SkyWalkingApi> = {}) {
  await renderInTestApp(
    <TestApiProvider apis={[[skyWalkingApiRef, api as SkyWalkingApi], [permissionApiRef, mockApis.permission()]]}>
      <BackendActions backend={b} onChanged={() => {}} />
    </TestApiProvider>,
  );
  fireEvent.click(await screen.findByRole('button', { name: 'Upgrade' }));
  return screen.findByRole('dialog');
}

describe('Upgrade dialog', () => {
  it('shows the step of an upgrade under way', async () => {
    const dialog = await openUpgrade(
      backend([
        { type: 'Upgrading', status: 'True', reason: 'UpgradingOAP', message: 'upgrading to 10.3.0: OAP (step 2 of 3), deadline 2026-01-01T00:10:00.000Z' },
        { type: 'Upgraded', status: 'False', reason: 'InProgress', message: '' },
      ]),
    );
    expect(within(dialog).getByRole('status')).toHaveTextContent('Upgrade in progress: upgrading to 10.3.0: OAP (step 2 of 3)');
  });

  it('shows a rolled-back upgrade and why', async () => {
    const dialog = await openUpgrade(
      backend([
        { type: 'Upgrading', status: 'False', reason: 'RolledBack', message: '' },
        { type: 'Upgraded', status: 'False', reason: 'RolledBack', message: 'rolled back: OAP not Ready within 30s: Deployment demo-oap: 0/1 new pods Ready; restored OAP 10.2.0' },
      ]),
    );
    expect(within(dialog).getByRole('status')).toHaveTextContent('Last upgrade rolled back (RolledBack): rolled back: OAP not Ready within 30s');
  });

  it('shows a successful upgrade, and sends version, storage version and deadline', async () => {
    const upgradeBackend = jest.fn(async () => ({ applied: true, queued: false }));
    const dialog = await openUpgrade(backend([{ type: 'Upgraded', status: 'True', reason: 'Succeeded', message: 'upgraded to 10.2.0' }]), { upgradeBackend });
    expect(within(dialog).getByRole('status')).toHaveTextContent('Last upgrade succeeded: upgraded to 10.2.0');
    fireEvent.change(within(dialog).getByLabelText('SkyWalking version'), { target: { value: '10.3.0' } });
    fireEvent.change(within(dialog).getByLabelText('BanyanDB version'), { target: { value: '0.9.0' } });
    fireEvent.change(within(dialog).getByLabelText('Deadline per step (seconds)'), { target: { value: '120' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() =>
      expect(upgradeBackend).toHaveBeenCalledWith(expect.objectContaining({ name: 'demo' }), '10.3.0', { storageVersion: '0.9.0', deadlineSeconds: 120 }),
    );
  });

  it('shows no upgrade status for a backend never upgraded', async () => {
    const dialog = await openUpgrade(backend());
    expect(within(dialog).queryByRole('status')).toBeNull();
  });
});
