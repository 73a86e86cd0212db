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

  it('waits for the upgrade when asked, and fails when it was rolled back', async () => {
    let polls = 0;
    const api = recordingApi(req => {
      if (req.method === 'POST') return ok();
      polls++;
      const conditions =
        polls < 2
          ? [{ type: 'Upgrading', status: 'True', reason: 'UpgradingOAP', message: 'upgrading to 10.4.0: OAP (step 2 of 3)' }]
          : [{ type: 'Upgraded', status: 'False', reason: 'RolledBack', message: 'rolled back: OAP not Ready within 30s' }];
      return { status: 200, body: { phase: 'Progressing', conditions, oap: { desired: 1, ready: 1 } } };
    });
    const c = ctx({ ...backend, version: '10.4.0', deadlineSeconds: 30, waitForCompletion: true, timeoutSeconds: 60 });
    await expect(createBackendUpgradeAction(await api.start()).handler(c)).rejects.toThrow('Upgrade of local/sw/a to 10.4.0 was rolled back: rolled back: OAP not Ready within 30s');
    await api.stop();
    expect(polls).toBe(2);
    expect(c.output).toHaveBeenCalledWith('result', 'RolledBack');
  }, 20_000);

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
