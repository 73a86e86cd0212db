import fc from 'fast-check';
import { backendEntityName } from './entity';

// Backstage's rule for metadata.name (catalog-model KubernetesValidatorFunctions.isValidObjectName)
const validEntityName = (v: string) => v.length >= 1 && v.length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(v);

describe('backendEntityName', () => {
  it('names a backend readably and exactly when the parts allow it', () => {
    expect(backendEntityName({ cluster: 'local', namespace: 'skywalking', name: 'shop-tracing' })).toBe(
      'skywalking.local.skywalking.shop-tracing',
    );
  });

  it('keeps apart the backends the dash-joined name merged', () => {
    const pairs: Array<[any, any]> = [
      // a dash in the cluster or in the namespace
      [{ cluster: 'a-b', namespace: 'c', name: 'd' }, { cluster: 'a', namespace: 'b-c', name: 'd' }],
      [{ cluster: 'a', namespace: 'b-c', name: 'd' }, { cluster: 'a', namespace: 'b', name: 'c-d' }],
      // a cluster name that is not a DNS label: characters that became "-"
      [{ cluster: 'prod_eu', namespace: 'sw', name: 'x' }, { cluster: 'prod-eu', namespace: 'sw', name: 'x' }],
      [{ cluster: 'Prod', namespace: 'sw', name: 'x' }, { cluster: 'prod', namespace: 'sw', name: 'x' }],
      [{ cluster: 'gke.prod', namespace: 'sw', name: 'x' }, { cluster: 'gke', namespace: 'prod', name: 'sw' }],
      // long names that agreed in their first 63 characters
      [
        { cluster: 'local', namespace: 'n'.repeat(40), name: `${'m'.repeat(30)}-one` },
        { cluster: 'local', namespace: 'n'.repeat(40), name: `${'m'.repeat(30)}-two` },
      ],
    ];
    for (const [a, b] of pairs) {
      expect({ a, b, same: backendEntityName(a) === backendEntityName(b) }).toEqual({ a, b, same: false });
    }
  });

  it('falls back to a readable prefix and a hash, never to a name of the exact form', () => {
    const long = backendEntityName({ cluster: 'local', namespace: 'n'.repeat(40), name: 'm'.repeat(40) });
    expect(long).toMatch(/^skywalking-local-n+-[0-9a-f]{16}$/);
    expect(long).toHaveLength(63);
    const odd = backendEntityName({ cluster: 'Prod_EU', namespace: 'sw', name: 'demo' });
    expect(odd).toMatch(/^skywalking-prod-eu-sw-demo-[0-9a-f]{16}$/);
    // the same parts always give the same name (the scaffolder and the catalog agree)
    expect(backendEntityName({ cluster: 'Prod_EU', namespace: 'sw', name: 'demo' })).toBe(odd);
  });

  it('gives every backend a valid entity name, and distinct backends distinct names (property)', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    const cluster = fc.oneof(label, fc.string({ minLength: 1, maxLength: 80 }));
    const backend = fc.record({ cluster, namespace: label, name: label });
    fc.assert(
      fc.property(backend, backend, (a, b) => {
        const na = backendEntityName(a);
        expect(validEntityName(na)).toBe(true);
        const same = a.cluster === b.cluster && a.namespace === b.namespace && a.name === b.name;
        expect(na === backendEntityName(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps distinct backends distinct among many that share long prefixes (property)', () => {
    const names = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const b = { cluster: i % 2 ? 'a-b' : 'a', namespace: i % 2 ? 'c' : 'b-c', name: `${'x'.repeat(50)}-${i}` };
      const n = backendEntityName(b);
      const key = JSON.stringify(b);
      expect(names.get(n) ?? key).toBe(key);
      names.set(n, key);
    }
    expect(names.size).toBe(5000);
  });
});
