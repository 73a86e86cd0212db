import { validateBackendSpec } from './backendSpec';

const ok = { name: 'shop-tracing', namespace: 'skywalking', cluster: 'local', version: '10.2.0', oap: { replicas: 2 }, storage: { type: 'banyandb' } };

describe('validateBackendSpec', () => {
  it('accepts a complete BanyanDB backend and an external TiDB one', () => {
    expect(validateBackendSpec(ok)).toEqual([]);
    expect(validateBackendSpec({ ...ok, rover: { enabled: true, version: '0.8.0' } })).toEqual([]);
    expect(validateBackendSpec({ ...ok, storage: { type: 'tidb', external: { address: 'tidb.db:4000', secretName: 'tidb-creds' } } })).toEqual([]);
  });

  it.each([
    [{ name: 'Bad_Name' }, 'name', /DNS-1123/],
    [{ name: 'a'.repeat(41) }, 'name', /at most 40/],
    [{ namespace: '-ns' }, 'namespace', /DNS-1123/],
    [{ version: 'latest' }, 'version', /not a SkyWalking version/],
    [{ version: '10.2.0; rm -rf /' }, 'version', /not a SkyWalking version/],
    [{ oap: { replicas: -1 } }, 'oap.replicas', /0 to 100/],
    [{ oap: { replicas: 1.5 } }, 'oap.replicas', /integer/],
    [{ storage: { type: 'cassandra' } }, 'storage.type', /not a known storage/],
    [{ storage: { type: 'elasticsearch', external: { secretName: 'x' } } }, 'storage.external.address', /required/],
    [{ storage: { type: 'mysql', external: { address: 'db:3306', secretName: 'x', password: 'hunter2' } } }, 'storage.external', /Secret/],
    [{ storage: { type: 'banyandb', banyandb: { storageSize: 'lots' } } }, 'storage.banyandb.storageSize', /quantity/],
    [{ oap: { config: [{ name: 'SW_ES_PASSWORD', value: 'x' }] } }, 'oap.config[0].value', /Secret/],
    [{ rover: { enabled: 'yes' } }, 'rover.enabled', /true or false/],
    [{ rover: { enabled: true, version: 'latest' } }, 'rover.version', /not a Rover version/],
    [{ rover: true }, 'rover', /object/],
  ])('rejects %j at %s', (patch, path, message) => {
    const errors = validateBackendSpec({ ...ok, ...patch });
    expect(errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('reports every problem at once', () => {
    const errors = validateBackendSpec({ name: 'X', namespace: '', version: 'v1' });
    expect(errors.map(e => e.path).sort()).toEqual(['cluster', 'name', 'namespace', 'version']);
  });

  it('rejects a spec that is not an object', () => {
    expect(validateBackendSpec('oap')).toEqual([{ path: '', message: 'spec must be an object' }]);
  });
});
