import { guestContext, recordingApi } from '../__testUtils__/recordingApi';
import {
  createBackendCreateAction,
  createBackendDeleteAction,
  createBackendUpdateAction,
} from './backend';

const ctx = guestContext;

describe('skywalking:backend:create', () => {
  it('sends the spec on behalf of the initiator and outputs the catalog entity ref', async () => {
    const api = recordingApi(() => ({ status: 201, body: { applied: true, queued: false } }));
    const action = createBackendCreateAction(await api.start());
    const c = ctx({ name: 'shop-tracing', namespace: 'skywalking', cluster: 'local', version: '10.2.0', storage: 'banyandb', oapReplicas: 2, ui: true, rover: false, owner: 'group:default/guests', waitForReady: false, timeoutSeconds: 60 });
    await action.handler(c);
    await api.stop();
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]).toMatchObject({ method: 'POST', url: '/api/skywalking/backends' });
    expect(api.calls[0].auth).toMatch(/^Bearer /);
    expect(api.calls[0].body.spec).toMatchObject({ name: 'shop-tracing', namespace: 'skywalking', cluster: 'local', oap: { replicas: 2 }, ui: { enabled: true }, storage: { type: 'banyandb' } });
    expect(c.output).toHaveBeenCalledWith('entityRef', 'resource:default/skywalking.local.skywalking.shop-tracing');
    expect(c.output).toHaveBeenCalledWith('queued', false);
  });

  it('fails with the API field errors in the message', async () => {
    const api = recordingApi(() => ({ status: 400, body: { error: { message: 'Invalid' }, fields: [{ path: 'namespace', message: 'is reserved for the platform' }] } }));
    const action = createBackendCreateAction(await api.start());
    await expect(
      action.handler(ctx({ name: 'a', namespace: 'kube-system', cluster: 'local', version: '10.2.0', storage: 'banyandb', oapReplicas: 1, ui: true, rover: false, waitForReady: false, timeoutSeconds: 60 })),
    ).rejects.toThrow(/namespace: is reserved for the platform/);
    await api.stop();
  });

  const base = { name: 'shop-tracing', namespace: 'skywalking', cluster: 'local', version: '10.2.0', storage: 'banyandb', ui: true, rover: false, waitForReady: false, timeoutSeconds: 60 };

  it('asks for the role split with its ratio and puts the node selector on OAP, UI and BanyanDB', async () => {
    const api = recordingApi(() => ({ status: 201, body: { applied: true, queued: false } }));
    const action = createBackendCreateAction(await api.start());
    const nodeSelector = { 'topology.kubernetes.io/zone': 'zone-1' };
    await action.handler(ctx({ ...base, oapReplicas: 3, roleSplit: true, receiverRatio: 0.67, nodeSelector }));
    const off = ctx({ ...base, oapReplicas: 2, roleSplit: false, receiverRatio: 0.5, nodeSelector: {} });
    const warn = jest.spyOn(off.logger, 'warn');
    await action.handler(off);
    expect(warn).toHaveBeenCalledWith('receiverRatio 0.5 is not used: roleSplit is off');
    await api.stop();
    expect(api.calls[0].body.spec).toMatchObject({
      oap: { replicas: 3, nodeSelector, roleSplit: { enabled: true, receiverRatio: 0.67 } },
      ui: { enabled: true, nodeSelector },
      storage: { type: 'banyandb', banyandb: { nodeSelector } },
    });
    // nothing asked, nothing sent
    expect(api.calls[1].body.spec.oap).toEqual({ replicas: 2 });
    expect(api.calls[1].body.spec.storage).toEqual({ type: 'banyandb' });
  });

  it('asks for TLS to external storage with the CA Secret, and only when one is named', async () => {
    const api = recordingApi(() => ({ status: 201, body: { applied: true, queued: false } }));
    const action = createBackendCreateAction(await api.start());
    const es = { ...base, storage: 'elasticsearch', storageAddress: 'es:9200', storageSecretName: 'es-cred', oapReplicas: 1 };
    await action.handler(ctx({ ...es, storageCaSecretName: 'es-ca' }));
    await action.handler(ctx(es));
    await expect(action.handler(ctx({ ...es, storageCaSecretName: 'Not_A_Secret' }))).rejects.toThrow(/storage.external.tls.caSecretName: "Not_A_Secret" is not a Secret name/);
    await api.stop();
    expect(api.calls).toHaveLength(2);
    expect(api.calls[0].body.spec.storage).toEqual({ type: 'elasticsearch', external: { address: 'es:9200', secretName: 'es-cred', tls: { caSecretName: 'es-ca' } } });
    expect(api.calls[1].body.spec.storage).toEqual({ type: 'elasticsearch', external: { address: 'es:9200', secretName: 'es-cred' } });
  });

  it('asks for snapshots of external storage: dumps to a PVC for SQL, a registered repository for Elasticsearch, and only when a target is named', async () => {
    const api = recordingApi(() => ({ status: 201, body: { applied: true, queued: false } }));
    const action = createBackendCreateAction(await api.start());
    const pg = { ...base, storage: 'postgresql', storageAddress: 'pg:5432', storageSecretName: 'pg-cred', oapReplicas: 1 };
    const es = { ...base, storage: 'elasticsearch', storageAddress: 'es:9200', storageSecretName: 'es-cred', oapReplicas: 1 };
    await action.handler(ctx({ ...pg, snapshotSchedule: '0 3 * * *', snapshotClaimName: 'skywalking-backups', snapshotKeep: 5 }));
    await action.handler(ctx({ ...es, snapshotSchedule: '@daily', snapshotRepository: 'skywalking', storageCaSecretName: 'es-ca' }));
    // on demand only: a target without a schedule
    await action.handler(ctx({ ...pg, storage: 'mysql', storageAddress: 'mysql:3306', snapshotClaimName: 'skywalking-backups' }));
    // empty form fields ask for nothing
    await action.handler(ctx({ ...pg, snapshotSchedule: '', snapshotClaimName: '', snapshotRepository: '' }));
    await api.stop();
    expect(api.calls).toHaveLength(4);
    expect(api.calls[0].body.spec.storage).toEqual({
      type: 'postgresql',
      external: { address: 'pg:5432', secretName: 'pg-cred', snapshot: { schedule: '0 3 * * *', target: { pvc: { claimName: 'skywalking-backups' } }, keep: 5 } },
    });
    expect(api.calls[1].body.spec.storage).toEqual({
      type: 'elasticsearch',
      external: { address: 'es:9200', secretName: 'es-cred', tls: { caSecretName: 'es-ca' }, snapshot: { schedule: '@daily', target: { repository: 'skywalking' } } },
    });
    expect(api.calls[2].body.spec.storage.external.snapshot).toEqual({ target: { pvc: { claimName: 'skywalking-backups' } } });
    expect(api.calls[3].body.spec.storage).toEqual({ type: 'postgresql', external: { address: 'pg:5432', secretName: 'pg-cred' } });
  });

  it.each([
    [{ storage: 'postgresql', snapshotSchedule: '@daily' }, /storage.external.snapshot.target.pvc: is required/],
    [{ storage: 'postgresql', snapshotSchedule: 'every night', snapshotClaimName: 'skywalking-backups' }, /storage.external.snapshot.schedule: /],
    [{ storage: 'postgresql', snapshotRepository: 'skywalking' }, /storage.external.snapshot.target.repository: is Elasticsearch's/],
    [{ storage: 'elasticsearch', snapshotClaimName: 'skywalking-backups' }, /storage.external.snapshot.target.pvc: Elasticsearch writes snapshots to its own snapshot repository/],
    [{ storage: 'elasticsearch', snapshotRepository: 'Not A Repo' }, /storage.external.snapshot.target.repository: "Not A Repo" is not a snapshot repository name/],
    [{ storage: 'banyandb', snapshotClaimName: 'skywalking-backups' }, /are for external storage; BanyanDB backs up with its own backup tool/],
  ])('refuses snapshot input %j before calling the API', async (input, message) => {
    const api = recordingApi(() => ({ status: 201, body: { applied: true, queued: false } }));
    const action = createBackendCreateAction(await api.start());
    const external = input.storage === 'banyandb' ? {} : { storageAddress: 'db:5432', storageSecretName: 'db-cred' };
    await expect(action.handler(ctx({ ...base, oapReplicas: 1, ...external, ...input }))).rejects.toThrow(message);
    await api.stop();
    expect(api.calls).toHaveLength(0);
  });

  it.each([
    [{ oapReplicas: 1, roleSplit: true }, /oap.replicas: must be at least 2 with role split/],
    [{ oapReplicas: 3, nodeSelector: { zone: 'not a label value' } }, /oap.nodeSelector.zone: .*label value/],
    [{ name: 'Bad_Name', oapReplicas: 1 }, /name: .*DNS-1123 label/],
  ])('refuses %j before calling the API', async (input, message) => {
    const api = recordingApi(() => ({ status: 201, body: { applied: true, queued: false } }));
    const action = createBackendCreateAction(await api.start());
    await expect(action.handler(ctx({ ...base, ...input }))).rejects.toThrow(message);
    await api.stop();
    expect(api.calls).toHaveLength(0);
  });

  it('waits for Ready and logs progress when asked to', async () => {
    let polls = 0;
    const api = recordingApi(req => {
      if (req.method === 'POST') return { status: 201, body: { applied: true, queued: false } };
      polls++;
      return { status: 200, body: { phase: polls < 2 ? 'Progressing' : 'Ready', conditions: [], oap: { desired: 1, ready: polls < 2 ? 0 : 1 } } };
    });
    const action = createBackendCreateAction(await api.start());
    const c = ctx({ name: 'a', namespace: 'sw', cluster: 'local', version: '10.2.0', storage: 'banyandb', oapReplicas: 1, ui: false, rover: false, waitForReady: true, timeoutSeconds: 60 });
    await action.handler(c);
    await api.stop();
    expect(polls).toBe(2);
    expect(c.output).toHaveBeenCalledWith('phase', 'Ready');
  }, 20_000);
});

describe('skywalking:backend:update and delete', () => {
  it('applies pause, upgrade and scale as separate audited requests in a safe order', async () => {
    const api = recordingApi(() => ({ status: 200, body: { applied: true, queued: false } }));
    const caller = await api.start();
    const action = createBackendUpdateAction(caller);
    await action.handler(ctx({ cluster: 'local', namespace: 'sw', name: 'a', version: '10.3.0', oapReplicas: 3, paused: true }));
    const del = createBackendDeleteAction(caller);
    await del.handler(ctx({ cluster: 'local', namespace: 'sw', name: 'a' }));
    await api.stop();
    expect(api.calls.map(c => `${c.method} ${c.url}`)).toEqual([
      'POST /api/skywalking/backends/local/sw/a/pause',
      'POST /api/skywalking/backends/local/sw/a/upgrade',
      'POST /api/skywalking/backends/local/sw/a/scale',
      'DELETE /api/skywalking/backends/local/sw/a',
    ]);
    expect(api.calls[1].body).toEqual({ version: '10.3.0' });
    expect(api.calls[2].body).toEqual({ replicas: 3 });
  });

  it('refuses an update that changes nothing', async () => {
    const api = recordingApi(() => ({ status: 200, body: {} }));
    const action = createBackendUpdateAction(await api.start());
    await expect(action.handler(ctx({ cluster: 'local', namespace: 'sw', name: 'a' }))).rejects.toThrow(/Nothing to change/);
    await api.stop();
    expect(api.calls).toHaveLength(0);
  });
});
