import { guestContext, recordingApi } from '../__testUtils__/recordingApi';
import { createBackendBackupAction } from './backup';

const ctx = guestContext;
const backend = { cluster: 'local', namespace: 'sw', name: 'a', waitForCompletion: false, timeoutSeconds: 60 };
const started = { name: 'a-backup-20261130120000', phase: 'Pending', backup: '2026-11-30', target: 'pvc://skywalking-backups/a', requestedBy: 'user:default/guest' };

describe('skywalking:backend:backup', () => {
  it('starts a backup through the REST API on behalf of the initiator, to the recorded target or the given one, and outputs the run', async () => {
    const api = recordingApi(req => ({ status: 201, body: req.body?.target ? { ...started, target: 'pvc://other/a' } : started }));
    const caller = await api.start();
    const recorded = ctx(backend);
    await createBackendBackupAction(caller).handler(recorded);
    const other = ctx({ ...backend, target: { pvc: { claimName: 'other' } } });
    await createBackendBackupAction(caller).handler(other);
    await api.stop();
    expect(api.calls.map(c => `${c.method} ${c.url}`)).toEqual(['POST /api/skywalking/backends/local/sw/a/backups', 'POST /api/skywalking/backends/local/sw/a/backups']);
    expect(api.calls.every(c => /^Bearer /.test(c.auth ?? ''))).toBe(true);
    // no target: the backend's recorded one (the API decides); a target is passed as given
    expect(api.calls[0].body).toEqual({});
    expect(api.calls[1].body).toEqual({ target: { pvc: { claimName: 'other' } } });
    expect(recorded.output).toHaveBeenCalledWith('name', 'a-backup-20261130120000');
    expect(recorded.output).toHaveBeenCalledWith('phase', 'Pending');
    expect(recorded.output).toHaveBeenCalledWith('target', 'pvc://skywalking-backups/a');
    expect(recorded.output).toHaveBeenCalledWith('backup', '2026-11-30');
    expect(other.output).toHaveBeenCalledWith('target', 'pvc://other/a');
  });

  it("passes any storage's target through (an Elasticsearch snapshot repository) and outputs the snapshot run", async () => {
    const api = recordingApi(() => ({ status: 201, body: { name: 'es-snap-20261130120000', phase: 'Pending', target: 'http://es:9200/_snapshot/skywalking' } }));
    const c = ctx({ ...backend, target: { repository: 'skywalking' } });
    await createBackendBackupAction(await api.start()).handler(c);
    await api.stop();
    expect(api.calls[0].body).toEqual({ target: { repository: 'skywalking' } });
    expect(c.output).toHaveBeenCalledWith('name', 'es-snap-20261130120000');
    expect(c.output).toHaveBeenCalledWith('target', 'http://es:9200/_snapshot/skywalking');
    expect(c.output).not.toHaveBeenCalledWith('backup', expect.anything());
  });

  it("fails with the API's message: a backend with no backup target, a target the storage does not take, no permission", async () => {
    // as the router answers a BackupInputError
    const noTarget = recordingApi(() => ({
      status: 400,
      body: { error: { name: 'InputError', message: 'Invalid request' }, fields: [{ path: 'target', message: 'is required: this backend records no backup target (storage.banyandb.backup.target)' }] },
    }));
    await expect(createBackendBackupAction(await noTarget.start()).handler(ctx(backend))).rejects.toThrow(
      'POST /backends/local/sw/a/backups failed (400): target: is required: this backend records no backup target (storage.banyandb.backup.target)',
    );
    await noTarget.stop();
    const badTarget = recordingApi(() => ({
      status: 400,
      body: { error: { name: 'InputError', message: 'Invalid request' }, fields: [{ path: 'target.repository', message: "is Elasticsearch's; postgresql dumps go to a PVC (target.pvc)" }] },
    }));
    await expect(createBackendBackupAction(await badTarget.start()).handler(ctx({ ...backend, target: { repository: 'x' } }))).rejects.toThrow(/target.repository: is Elasticsearch's/);
    await badTarget.stop();
    // skywalking.backend.backup denied for this backend
    const denied = recordingApi(() => ({ status: 403, body: { error: { name: 'NotAllowedError', message: 'Unauthorized' } } }));
    await expect(createBackendBackupAction(await denied.start()).handler(ctx(backend))).rejects.toThrow('POST /backends/local/sw/a/backups failed (403): Unauthorized');
    await denied.stop();
  });

  it('waits for the backup when asked: succeeds when the run succeeded, fails with its message when it failed', async () => {
    let polls = 0;
    const api = recordingApi(req => {
      if (req.method === 'POST') return { status: 201, body: started };
      polls++;
      const phase = polls < 2 ? 'Running' : 'Succeeded';
      return { status: 200, body: { kind: 'banyandb', items: [{ ...started, name: 'a-backup-older', phase: 'Failed' }, { ...started, phase }] } };
    });
    const c = ctx({ ...backend, waitForCompletion: true });
    await createBackendBackupAction(await api.start()).handler(c);
    await api.stop();
    expect(polls).toBe(2);
    expect(api.calls.slice(1).map(x => `${x.method} ${x.url}`)).toEqual(['GET /api/skywalking/backends/local/sw/a/backups', 'GET /api/skywalking/backends/local/sw/a/backups']);
    expect(c.output).toHaveBeenCalledWith('phase', 'Succeeded');

    const failing = recordingApi(req =>
      req.method === 'POST' ? { status: 201, body: started } : { status: 200, body: { items: [{ ...started, phase: 'Failed', message: 'BackoffLimitExceeded: the backup container exited 1' }] } },
    );
    const f = ctx({ ...backend, waitForCompletion: true });
    await expect(createBackendBackupAction(await failing.start()).handler(f)).rejects.toThrow(
      'Backup a-backup-20261130120000 of local/sw/a failed: BackoffLimitExceeded: the backup container exited 1',
    );
    await failing.stop();
    expect(f.output).toHaveBeenCalledWith('phase', 'Failed');
  }, 20_000);

  it('validates its input by schema: the backend by DNS labels, an optional target', () => {
    const input: any = createBackendBackupAction({} as any).schema!.input;
    expect(input.required).toEqual(['cluster', 'namespace', 'name']);
    expect(new RegExp(input.properties.namespace.pattern).test('Not_A_Label')).toBe(false);
    expect(input.properties.target).toMatchObject({ type: 'object' });
    expect(input.properties.target.properties.pvc.required).toEqual(['claimName']);
    expect(input.properties.timeoutSeconds).toMatchObject({ type: 'integer', minimum: 10 });
  });
});
