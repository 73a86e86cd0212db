import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { alertApiRef } from '@backstage/core-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BackupRun } from '@skywalking-backstage/plugin-skywalking-common';
import { BackupHistory, SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { BackupsSection } from './BackupsSection';

const ref = { cluster: 'local', namespace: 'sw', name: 'shop' };
const snap: BackupRun = {
  name: 'shop-snap-20261130030000',
  phase: 'Succeeded',
  backup: 'shop-snap-20261130030000',
  target: 'file:///backups/shop',
  started: '2026-11-30T03:00:01.000Z',
  finished: '2026-11-30T03:01:00.000Z',
  requestedBy: 'user:default/alice',
};
const failedSnap: BackupRun = { ...snap, name: 'shop-snap-20261129030000', backup: 'shop-snap-20261129030000', phase: 'Failed', message: 'BackoffLimitExceeded' };
const restoreRun: BackupRun = {
  name: 'shop-restore-20261130100000',
  phase: 'Succeeded',
  backup: 'shop-snap-20261129120000',
  target: 'file:///backups/shop',
  started: '2026-11-30T10:00:01.000Z',
  finished: '2026-11-30T10:02:00.000Z',
  requestedBy: 'user:default/bob',
};

const list = (extra: Partial<BackupHistory> = {}): BackupHistory => ({ kind: 'snapshot', items: [snap, failedSnap], schedule: '0 3 * * *', target: 'file:///backups/shop', ...extra });

function apiWith(overrides: Partial<SkyWalkingApi> = {}) {
  return {
    listBackups: jest.fn(async () => list()),
    startBackup: jest.fn(async () => ({ ...snap, name: 'shop-snap-20261130100000', backup: 'shop-snap-20261130100000', phase: 'Pending', finished: undefined })),
    restoreBackend: jest.fn(async () => ({
      applied: true,
      queued: false,
      created: false,
      job: 'shop-restore-20261130110000',
      restore: { backup: snap.backup, target: { pvc: { claimName: 'skywalking-backups' } } },
    })),
    ...overrides,
  } as unknown as SkyWalkingApi;
}

jest.setTimeout(30_000);

const alertMock = () => ({ post: jest.fn(), alert$: jest.fn() });

const renderWith = (api: SkyWalkingApi, props: { paused?: boolean; storage?: string } = {}, alertApi = alertMock()) =>
  renderInTestApp(
    <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()], [alertApiRef, alertApi]]}>
      <BackupsSection backendRef={ref} storage="postgresql" {...props} />
    </TestApiProvider>,
  );

describe('BackupsSection with snapshots of external storage', () => {
  it('says snapshots, shows the schedule, the target and the history, and takes a snapshot now', async () => {
    const api = apiWith();
    await renderWith(api);
    expect(await screen.findByText('Snapshots')).toBeInTheDocument();
    expect(screen.queryByText('Backups')).not.toBeInTheDocument();
    expect(await screen.findByText('scheduled 0 3 * * *, to file:///backups/shop')).toBeInTheDocument();
    expect(screen.getByRole('columnheader', { name: 'Snapshot' })).toBeInTheDocument();
    expect(screen.getAllByText('shop-snap-20261130030000').length).toBeGreaterThan(0);
    expect(screen.queryByRole('button', { name: 'Back up now' })).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Take snapshot now' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/dumps the backend's database with pg_dump to file:\/\/\/backups\/shop/)).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Take snapshot' }));
    await waitFor(() => expect(api.startBackup).toHaveBeenCalledWith(ref));
    // no restores yet: no table of them
    expect(screen.queryByText(/^Restores/)).not.toBeInTheDocument();
  });

  it('does not offer a restore while the backend is not paused, and says why', async () => {
    const api = apiWith();
    await renderWith(api, { paused: false });
    const restore = await screen.findByRole('button', { name: 'Restore…' });
    // only the Succeeded snapshot can be restored
    expect(screen.getAllByRole('button', { name: 'Restore…' })).toHaveLength(1);
    expect(restore).toBeDisabled();
    expect(screen.getByText(/Pause shop to restore a snapshot/)).toBeInTheDocument();
    fireEvent.click(restore);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.restoreBackend).not.toHaveBeenCalled();
  });

  it('restores a snapshot into the paused backend\'s own database after confirmation', async () => {
    const api = apiWith();
    const alertApi = alertMock();
    await renderWith(api, { paused: true }, alertApi);
    const restore = await screen.findByRole('button', { name: 'Restore…' });
    expect(restore).toBeEnabled();
    expect(screen.queryByText(/Pause shop to restore a snapshot/)).not.toBeInTheDocument();
    fireEvent.click(restore);
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/replaces the data in shop's own database/)).toBeInTheDocument();
    expect(within(dialog).getByText(/must be paused first/)).toBeInTheDocument();
    expect(within(dialog).getByText('shop is paused.')).toBeInTheDocument();
    // no new backend to name
    expect(within(dialog).queryByLabelText('New backend name')).not.toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(api.restoreBackend).toHaveBeenCalledWith(ref, { backup: 'shop-snap-20261130030000' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(alertApi.post).toHaveBeenCalledWith(expect.objectContaining({ severity: 'success', message: expect.stringContaining('Job shop-restore-20261130110000') }));
  });

  it('shows the API\'s refusal of a restore as an error', async () => {
    const api = apiWith({
      restoreBackend: jest.fn(async () => {
        throw new Error('pause shop first: OAP would keep writing into the postgresql tables the restore replaces');
      }),
    });
    const alertApi = alertMock();
    await renderWith(api, { paused: true }, alertApi);
    fireEvent.click(await screen.findByRole('button', { name: 'Restore…' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Restore' }));
    await waitFor(() =>
      expect(alertApi.post).toHaveBeenCalledWith(expect.objectContaining({ severity: 'error', message: expect.stringMatching(/^restore failed: pause shop first/) })),
    );
    // the dialog stays open for another try or Cancel
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('offers no restore of Elasticsearch snapshots and names the _restore API instead', async () => {
    const api = apiWith({ listBackups: jest.fn(async () => list({ schedule: '@daily', target: 'http://es:9200/_snapshot/skywalking' })) });
    await renderWith(api, { paused: true, storage: 'elasticsearch' });
    expect(await screen.findByText('scheduled @daily, to http://es:9200/_snapshot/skywalking')).toBeInTheDocument();
    expect(screen.getByText('_restore')).toBeInTheDocument();
    expect(screen.getByText(/Elasticsearch snapshots are restored with Elasticsearch's own/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Restore…' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Take snapshot now' })).toBeEnabled();
  });

  it('lists the restores of snapshots', async () => {
    const running: BackupRun = { ...restoreRun, name: 'shop-restore-20261130110000', backup: snap.backup, phase: 'Running', finished: undefined };
    const api = apiWith({ listBackups: jest.fn(async () => list({ restores: [running, restoreRun] })) });
    await renderWith(api, { paused: true });
    expect(await screen.findByText('Restores (2)')).toBeInTheDocument();
    expect(screen.getByText('shop-restore-20261130100000')).toBeInTheDocument();
    expect(screen.getByText('shop-snap-20261129120000')).toBeInTheDocument();
    expect(screen.getByText('Running')).toBeInTheDocument();
    expect(screen.getByText('2026-11-30T10:02:00.000Z')).toBeInTheDocument();
    // a running restore shows its progress, and no second restore starts meanwhile
    expect(screen.getByRole('progressbar', { name: 'restore in progress' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Restore…' })).toBeDisabled();
  });
});
