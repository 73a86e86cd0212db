// Own file: usePermission caches decisions (swr) per module, so a DENY test
// must not share a module registry with ALLOW tests.
import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { BackupsSection } from './BackupsSection';

jest.setTimeout(30_000);

describe('BackupsSection permissions', () => {
  it('shows the history but neither "Back up now" nor "Restore…" when the permissions are denied', async () => {
    const api = {
      listBackups: jest.fn(async () => ({
        items: [{ name: 'demo-backup-1', phase: 'Succeeded', backup: '2026-11-29', target: 'file:///backups/demo' }],
        target: 'file:///backups/demo',
      })),
    } as unknown as SkyWalkingApi;
    const permission = mockApis.permission({ authorize: AuthorizeResult.DENY });
    const authorize = jest.spyOn(permission, 'authorize');
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, permission]]}>
        <BackupsSection backendRef={{ cluster: 'local', namespace: 'sw', name: 'demo' }} />
      </TestApiProvider>,
    );
    expect(await screen.findByText('2026-11-29')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Back up now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Restore…' })).not.toBeInTheDocument();
    // the backup permission is asked for this backend
    expect(authorize).toHaveBeenCalledWith(expect.objectContaining({ permission: expect.objectContaining({ name: 'skywalking.backend.backup' }), resourceRef: 'local/sw/demo' }));
  });

  it('shows the snapshots and restores of external storage but neither "Take snapshot now" nor "Restore…" when the permissions are denied', async () => {
    const api = {
      listBackups: jest.fn(async () => ({
        kind: 'snapshot',
        items: [{ name: 'shop-snap-20261130030000', phase: 'Succeeded', backup: 'shop-snap-20261130030000', target: 'file:///backups/shop' }],
        restores: [{ name: 'shop-restore-20261130100000', phase: 'Succeeded', backup: 'shop-snap-20261129030000', target: 'file:///backups/shop' }],
        target: 'file:///backups/shop',
      })),
    } as unknown as SkyWalkingApi;
    const permission = mockApis.permission({ authorize: AuthorizeResult.DENY });
    await renderInTestApp(
      <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, permission]]}>
        <BackupsSection backendRef={{ cluster: 'local', namespace: 'sw', name: 'shop' }} storage="postgresql" paused />
      </TestApiProvider>,
    );
    expect(await screen.findByText('Restores (1)')).toBeInTheDocument();
    expect(screen.getByText('shop-snap-20261129030000')).toBeInTheDocument();
    expect(screen.getByText('History (1)')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Take snapshot now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Restore…' })).not.toBeInTheDocument();
    // nothing to pause for without the permission to restore
    expect(screen.queryByText(/to restore a snapshot/)).not.toBeInTheDocument();
  });
});
