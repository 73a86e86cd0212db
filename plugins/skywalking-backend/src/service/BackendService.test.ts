import { ClusterUnreachableError } from '../clusters/ClusterRegistry';
import { isNetworkError, phaseOf, renderBackendObjects } from './BackendService';

describe('renderBackendObjects', () => {
  it('renders BanyanDB, OAPServer and UI custom objects for a default backend', () => {
    const objs = renderBackendObjects({ name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0', oap: { replicas: 2 }, owner: 'group:default/a' });
    expect(objs.map(o => o.kind)).toEqual(['BanyanDB', 'OAPServer', 'UI']);
    const oap = objs[1];
    expect(oap).toMatchObject({ apiVersion: 'operator.skywalking.apache.org/v1alpha1', metadata: { name: 'sky', namespace: 'obs', annotations: { 'skywalking-backstage.io/owner': 'group:default/a' } } });
    expect(oap.spec).toMatchObject({ version: '10.2.0', instances: 2, image: 'apache/skywalking-oap-server:10.2.0' });
    expect(oap.spec.config).toEqual(expect.arrayContaining([{ name: 'SW_STORAGE', value: 'banyandb' }, { name: 'SW_STORAGE_BANYANDB_TARGETS', value: 'sky-banyandb-grpc:17912' }]));
    expect(objs[2].spec.OAPServerAddress).toBe('http://sky-oap.obs:12800');
  });

  it('takes external storage credentials from the named Secret and renders no BanyanDB', () => {
    const objs = renderBackendObjects({ name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0', ui: { enabled: false }, storage: { type: 'postgresql', external: { address: 'pg:5432', secretName: 'pg-cred' } } });
    expect(objs.map(o => o.kind)).toEqual(['OAPServer']);
    expect(objs[0].spec.config).toEqual(
      expect.arrayContaining([
        { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://pg:5432/skywalking' },
        { name: 'SW_DATA_SOURCE_PASSWORD', valueFrom: { secretKeyRef: { name: 'pg-cred', key: 'password' } } },
      ]),
    );
  });
});

describe('phaseOf', () => {
  const oap = (status: any, extra: any = {}) => ({ apiVersion: 'x', kind: 'OAPServer', metadata: { name: 'a', ...extra }, spec: { instances: 2 }, status });
  it('derives the phase from replicas and conditions', () => {
    expect(phaseOf(oap(undefined))).toBe('Progressing');
    expect(phaseOf(oap({ availableReplicas: 2, conditions: [{ type: 'Ready', status: 'True' }] }))).toBe('Ready');
    expect(phaseOf(oap({ availableReplicas: 1 }))).toBe('Progressing');
    expect(phaseOf(oap({ availableReplicas: 2, conditions: [{ type: 'Degraded', status: 'True' }] }))).toBe('Degraded');
    expect(phaseOf(oap({ availableReplicas: 0 }, { annotations: { 'skywalking-backstage.io/paused-replicas': '{}' } }))).toBe('Paused');
  });
});

describe('isNetworkError', () => {
  it('tells a request without an answer from an error the API server answered with', () => {
    expect(isNetworkError(Object.assign(new Error('connect ECONNREFUSED'), { type: 'system', code: 'ECONNREFUSED' }))).toBe(true);
    expect(isNetworkError(new ClusterUnreachableError('c', 'https://x', new Error('down')))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('HTTP-Code: 422'), { code: 422, body: '{}' }))).toBe(false);
    expect(isNetworkError(new Error('plain'))).toBe(false);
  });
});
