import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import { BackendSummary } from '@skywalking-backstage/plugin-skywalking-common';
import { backendToEntity } from './SkyWalkingBackendEntityProvider';

const summary = (cluster: string, namespace: string, name: string) =>
  ({ cluster, namespace, name, version: '10.2.0', storage: 'BanyanDB', owner: 'group:default/team-a' }) as BackendSummary;

describe('backendToEntity', () => {
  it('gives backends whose dash-joined names were equal distinct, valid entity names', () => {
    const backends = [
      summary('a-b', 'c', 'd'),
      summary('a', 'b-c', 'd'),
      summary('a', 'b', 'c-d'),
      summary('Prod_EU', 'sw', 'demo'),
      summary('prod-eu', 'sw', 'demo'),
      summary('local', 'n'.repeat(40), `${'m'.repeat(30)}-one`),
      summary('local', 'n'.repeat(40), `${'m'.repeat(30)}-two`),
    ];
    const names = backends.map(b => backendToEntity(b, 'skywalking-backends').metadata.name);
    expect(new Set(names).size).toBe(backends.length);
    for (const n of names) expect({ n, valid: KubernetesValidatorFunctions.isValidObjectName(n) }).toEqual({ n, valid: true });
  });

  it('keeps the exact backend in the annotation the portal reads back', () => {
    const e = backendToEntity(summary('a-b', 'c', 'd'), 'skywalking-backends');
    expect(e.metadata.name).toBe('skywalking.a-b.c.d');
    expect(e.metadata.annotations?.['skywalking.apache.org/backend']).toBe('a-b/c/d');
  });
});
