import { mockApis, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BackupRun } from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApi, skyWalkingApiRef } from '../../api';
import { BackupsSection } from './BackupsSection';

const ref = { cluster: 'local', namespace: 'sw', name: 'demo' };
const done: BackupRun = {
  name: 'demo-backup-20261129100000',
  phase: 'Succeeded',
  backup: '2026-11-29',
  target: 'file:///backups/demo',
  started: '2026-11-29T10:00:01.000Z',
  finished: '2026-11-29T10:01:00.000Z',
  requestedBy: 'user:default/alice',
};
const failed: BackupRun = { ...done, name: 'demo-backup-20261128100000', phase: 'Failed', backup: '2026-11-28', message: 'BackoffLimitExceeded' };

function apiWith(overrides: Partial<SkyWalkingApi> = {}) {
  return {
    listBackups: jest.fn(async () => ({ items: [done, failed], schedule: '@daily', target: 'file:///backups/demo' })),
    startBackup: jest.fn(async () => ({ ...done, name: 'demo-backup-20261130100000', phase: 'Pending', backup: '2026-11-30', finished: undefined })),
    restoreBackend: jest.fn(async () => ({ applied: true, queued: false, created: true, restore: { backup: '2026-11-29', target: { pvc: { claimName: 'b' } } } })),
    ...overrides,
  } as unknown as SkyWalkingApi;
}

jest.setTimeout(30_000);

const renderWith = (api: SkyWalkingApi, onRestored?: jest.Mock) =>
  renderInTestApp(
    <TestApiProvider apis={[[skyWalkingApiRef, api], [permissionApiRef, mockApis.permission()]]}>
      <BackupsSection backendRef={ref} onRestored={onRestored} />
    </TestApiProvider>,
  );

describe('BackupsSection', () => {
  it('shows the schedule, the destination and the history', async () => {
    const api = apiWith();
    await renderWith(api);
    expect(await screen.findByText('scheduled @daily, to file:///backups/demo')).toBeInTheDocument();
    expect(screen.getByText('2026-11-29')).toBeInTheDocument();
    expect(screen.getByText('Succeeded')).toBeInTheDocument();
    expect(screen.getByText('Failed')).toBeInTheDocument();
    expect(api.listBackups).toHaveBeenCalledWith(ref);
    // only a finished backup can be restored
    expect(screen.getAllByRole('button', { name: 'Restore…' })).toHaveLength(1);
  });

  it('backs up after confirmation and shows the progress while the Job runs', async () => {
    const running: BackupRun = { ...done, name: 'demo-backup-20261130100000', phase: 'Running', backup: '2026-11-30', finished: undefined };
    const listBackups = jest
      .fn()
      .mockResolvedValueOnce({ items: [done], schedule: '@daily', target: 'file:///backups/demo' })
      .mockResolvedValue({ items: [running, done], schedule: '@daily', target: 'file:///backups/demo' });
    const api = apiWith({ listBackups });
    await renderWith(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Back up now' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/copies it to file:\/\/\/backups\/demo/)).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Back up' }));
    await waitFor(() => expect(api.startBackup).toHaveBeenCalledWith(ref));
    expect(await screen.findByText('Backing up…')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'backup in progress' })).toBeInTheDocument();
    // no second backup while one runs
    expect(screen.getByRole('button', { name: 'Back up now' })).toBeDisabled();
  });

  it('restores a backup into a new backend named in the dialog', async () => {
    const api = apiWith();
    const onRestored = jest.fn();
    await renderWith(api, onRestored);
    fireEvent.click(await screen.findByRole('button', { name: 'Restore…' }));
    const dialog = await screen.findByRole('dialog');
    const name = within(dialog).getByLabelText('New backend name');
    expect(name).toHaveValue('demo-restored');
    fireEvent.change(name, { target: { value: 'Not OK' } });
    expect(within(dialog).getByText(/lowercase letters, digits/)).toBeInTheDocument();
    fireEvent.change(name, { target: { value: 'demo-copy' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Restore' }));
    await waitFor(() =>
      expect(api.restoreBackend).toHaveBeenCalledWith({ cluster: 'local', namespace: 'sw', name: 'demo-copy' }, { backup: '2026-11-29', from: ref }),
    );
    await waitFor(() => expect(onRestored).toHaveBeenCalledWith({ cluster: 'local', namespace: 'sw', name: 'demo-copy' }));
  });

  it('shows the API error', async () => {
    const api = apiWith({ listBackups: jest.fn(async () => { throw new Error('backend sw/demo has external storage'); }) });
    await renderWith(api);
    expect((await screen.findAllByText(/external storage/)).length).toBeGreaterThan(0);
  });
});
