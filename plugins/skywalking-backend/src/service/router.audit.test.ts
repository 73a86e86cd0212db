import { TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { asUser, recordingPermissions, sqliteStore, startRouterBackend } from '../__testUtils__/routerBackend';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackendOperations } from './types';

/*
 * GET /audit over HTTP: `limit` is checked before it reaches the database
 * (a negative or non-numeric limit was a 500).
 */
describe('GET /audit (HTTP)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const { permissions } = recordingPermissions(() => AuthorizeResult.ALLOW);
  let store: SkyWalkingStore;
  let server: any;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    store = await sqliteStore(databases);
    // the audit route reads only the store
    ({ server, stop } = await startRouterBackend({ permissions, store, backends: {} as BackendOperations }));
    for (const action of ['create', 'scale', 'pause']) {
      await store.appendAudit({ actor: 'user:default/alice', action, target: 'backend:local/sw/demo', details: {} });
    }
  });
  afterAll(() => stop());

  const get = (query: string) =>
    request(server).get(`/api/skywalking/audit${query}`).set('Authorization', asUser('user:default/alice'));

  it.each([['-1'], ['0'], ['abc'], ['1.5'], ['501'], ['1e3'], [''], ['99999999999999999999']])(
    'answers limit=%p with 400 naming the field',
    async limit => {
      const res = await get(`?limit=${encodeURIComponent(limit)}`);
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        { path: 'limit', message: `${JSON.stringify(limit)} is not an integer from 1 to 500` },
      ]);
    },
  );

  it('answers a repeated limit (an array) with 400', async () => {
    const res = await get('?limit=1&limit=2');
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: { path: string }) => f.path)).toEqual(['limit']);
  });

  it('returns the newest entries up to the limit', async () => {
    const res = await get('?limit=2&target=backend:local/sw/demo');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { action: string }) => i.action)).toEqual(['pause', 'scale']);
  });

  it('returns every entry without a limit (default 50)', async () => {
    const res = await get('?target=backend:local/sw/demo');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(3);
  });
});
