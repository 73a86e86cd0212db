import { guestContext, recordingApi } from '../__testUtils__/recordingApi';
import { createBackendPauseAction, createBackendResumeAction, createBackendScaleAction, createBackendUpgradeAction } from './lifecycle';

const ctx = guestContext;
const backend = { cluster: 'local', namespace: 'sw', name: 'a' };
const ok = () => ({ status: 200, body: { applied: true, queued: false } });

describe('skywalking:backend:pause, resume, scale and upgrade', () => {
  it('call the REST API on behalf of the initiator, one request each', async () => {
    const api = recordingApi(ok);
    const caller = await api.start();
    const pause = ctx(backend);
    await createBackendPauseAction(caller).handler(pause);
    await createBackendResumeAction(caller).handler(ctx(backend));
    await createBackendScaleAction(caller).handler(ctx({ ...backend, replicas: 3 }));
    await createBackendScaleAction(caller).handler(ctx({ ...backend, replicas: 4, role: 'receiver' }));
    const upgrade = ctx({ ...backend, version: '10.3.0', storageVersion: '0.9.0', deadlineSeconds: 120, waitForCompletion: false, timeoutSeconds: 60 });
    await createBackendUpgradeAction(caller).handler(upgrade);
    await api.stop();
    expect(api.calls.map(c => `${c.method} ${c.url}`)).toEqual([
      'POST /api/skywalking/backends/local/sw/a/pause',
      'POST /api/skywalking/backends/local/sw/a/resume',
      'POST /api/skywalking/backends/local/sw/a/scale',
      'POST /api/skywalking/backends/local/sw/a/scale',
      'POST /api/skywalking/backends/local/sw/a/upgrade',
    ]);
    expect(api.calls.every(c => /^Bearer /.test(c.auth ?? ''))).toBe(true);
    expect(api.calls[2].body).toEqual({ replicas: 3 });
    expect(api.calls[3].body).toEqual({ replicas: 4, role: 'receiver' });
    expect(api.calls[4].body).toEqual({ version: '10.3.0', storageVersion: '0.9.0', deadlineSeconds: 120 });
    expect(pause.output).toHaveBeenCalledWith('queued', false);
    expect(upgrade.output).toHaveBeenCalledWith('result', 'InProgress');
  });

  it('reports a change queued for an unreachable cluster', async () => {
    const api = recordingApi(() => ({ status: 202, body: { applied: false, queued: true, message: 'cluster local is unreachable' } }));
    const c = ctx(backend);
    const warn = jest.spyOn(c.logger, 'warn');
    await createBackendPauseAction(await api.start()).handler(c);
    await api.stop();
    expect(c.output).toHaveBeenCalledWith('queued', true);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('queued until the cluster is reachable'));
  });

  it('fail with the API field errors in the message (a downgrade)', async () => {
    const api = recordingApi(() => ({ status: 400, body: { error: { message: 'Invalid' }, fields: [{ path: 'version', message: '10.1.0 is older than the running 10.2.0; set allowDowngrade to downgrade' }] } }));
    await expect(createBackendUpgradeAction(await api.start()).handler(ctx({ ...backend, version: '10.1.0', waitForCompletion: false, timeoutSeconds: 60 }))).rejects.toThrow(
      /version: 10.1.0 is older than the running 10.2.0/,
    );
    await api.stop();
  });

  /** GET answers of a backend whose recorded upgrade (and the conditions derived from it) is `u` */
  const detail = (u: { version: string; phase: string; startedAt: string; message?: string } | undefined) => {
    const done = u?.phase === 'Succeeded' || u?.phase === 'RolledBack';
    let conditions: object[] = [];
    if (u && done) {
      conditions = [
        { type: 'Upgrading', status: 'False', reason: u.phase, message: '' },
        { type: 'Upgraded', status: u.phase === 'Succeeded' ? 'True' : 'False', reason: u.phase, message: u.message },
      ];
    } else if (u) conditions = [{ type: 'Upgrading', status: 'True', reason: 'UpgradingOAP', message: `upgrading to ${u.version}: OAP (step 2 of 3)` }];
    return { status: 200, body: { phase: done ? 'Ready' : 'Upgrading', conditions, oap: { desired: 1, ready: 1 }, ...(u ? { upgrade: u } : {}) } };
  };

  it('waits for the upgrade when asked, and fails when it was rolled back', async () => {
    const gets: Array<ReturnType<typeof detail>> = [
      detail(undefined), // before the request: never upgraded
      detail({ version: '10.4.0', phase: 'oap', startedAt: '2026-12-02T10:00:00.000Z' }),
      detail({ version: '10.4.0', phase: 'RolledBack', startedAt: '2026-12-02T10:00:00.000Z', message: 'rolled back: OAP not Ready within 30s' }),
    ];
    let polls = 0;
    const api = recordingApi(req => (req.method === 'POST' ? ok() : gets[Math.min(polls++, gets.length - 1)]));
    const c = ctx({ ...backend, version: '10.4.0', deadlineSeconds: 30, waitForCompletion: true, timeoutSeconds: 60 });
    await expect(createBackendUpgradeAction(await api.start()).handler(c)).rejects.toThrow('Upgrade of local/sw/a to 10.4.0 was rolled back: rolled back: OAP not Ready within 30s');
    await api.stop();
    expect(api.calls.map(x => x.method)).toEqual(['GET', 'POST', 'GET', 'GET']);
    expect(c.output).toHaveBeenCalledWith('result', 'RolledBack');
  }, 20_000);

  it('does not take the outcome of the previous upgrade for this one (M13)', async () => {
    // the earlier upgrade to the same version was rolled back; this one is retried and succeeds,
    // and the first poll still shows the earlier record (the portal answered before recording, or a stale read)
    const earlier = { version: '10.4.0', phase: 'RolledBack', startedAt: '2026-12-02T09:00:00.000Z', message: 'rolled back: OAP not Ready within 30s' };
    const gets = [
      detail(earlier),
      detail(earlier),
      detail({ version: '10.4.0', phase: 'ui', startedAt: '2026-12-02T10:00:00.000Z' }),
      detail({ version: '10.4.0', phase: 'Succeeded', startedAt: '2026-12-02T10:00:00.000Z', message: 'upgraded to 10.4.0' }),
    ];
    let polls = 0;
    const api = recordingApi(req => (req.method === 'POST' ? ok() : gets[Math.min(polls++, gets.length - 1)]));
    const c = ctx({ ...backend, version: '10.4.0', waitForCompletion: true, timeoutSeconds: 60 });
    await createBackendUpgradeAction(await api.start()).handler(c);
    await api.stop();
    expect(c.output).toHaveBeenCalledWith('result', 'Succeeded');
    expect(c.output).not.toHaveBeenCalledWith('result', 'RolledBack');
    expect(polls).toBe(4);
  }, 30_000);

  it('does not take a previous successful upgrade to another version for this one, and times out naming what it saw', async () => {
    const earlier = { version: '10.3.0', phase: 'Succeeded', startedAt: '2026-12-02T09:00:00.000Z', message: 'upgraded to 10.3.0' };
    const api = recordingApi(req => (req.method === 'POST' ? ok() : detail(earlier)));
    const c = ctx({ ...backend, version: '10.4.0', waitForCompletion: true, timeoutSeconds: 10 });
    const started = Date.now();
    await expect(createBackendUpgradeAction(await api.start()).handler(c)).rejects.toThrow(/10\.4\.0 not finished after 10s \(upgrade to 10\.4\.0 not recorded yet/);
    await api.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(c.output).not.toHaveBeenCalledWith('result', 'Succeeded');
  }, 30_000);

  it('validate their input by schema: DNS labels, semantic versions, deadline of at least 30 s, replicas and role', () => {
    const upgrade: any = createBackendUpgradeAction({} as any).schema!.input;
    expect(upgrade.required).toEqual(expect.arrayContaining(['cluster', 'namespace', 'name', 'version']));
    const version = new RegExp(upgrade.properties.version.pattern);
    expect(['10.3.0', 'v9.7.0', '10.3.0-rc.1'].every(v => version.test(v))).toBe(true);
    expect(['latest', '10.3', ''].some(v => version.test(v))).toBe(false);
    expect(upgrade.properties.deadlineSeconds).toMatchObject({ type: 'integer', minimum: 30 });
    expect(new RegExp(upgrade.properties.namespace.pattern).test('Not_A_Label')).toBe(false);
    const scale: any = createBackendScaleAction({} as any).schema!.input;
    expect(scale.properties.replicas).toMatchObject({ type: 'integer', minimum: 0, maximum: 100 });
    expect(scale.properties.role.enum).toEqual(['receiver', 'aggregator']);
    expect(scale.required).toEqual(expect.arrayContaining(['replicas']));
    for (const create of [createBackendPauseAction, createBackendResumeAction]) {
      expect((create({} as any).schema!.input as any).required).toEqual(['cluster', 'namespace', 'name']);
    }
  });
});
