import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { allCrds, crdFor, SWCK_GROUP, SWCK_KINDS, SWCK_PLURALS, OpenApiSchema } from '.';
import { validateSwckObject, validateSwckSpec } from './validate';

const fixtures = path.join(__dirname, '__fixtures__');
const samples = fs.readdirSync(path.join(fixtures, 'swck-samples')).filter(f => f.endsWith('.yaml')).sort();
const docsOf = (file: string) =>
  parseAllDocuments(fs.readFileSync(path.join(fixtures, 'swck-samples', file), 'utf8'))
    .map(d => d.toJSON())
    .filter(Boolean);

/** Every property path of a schema, stopping at preserve-unknown-fields nodes. */
function paths(s: any, prefix = '', out = new Set<string>()): Set<string> {
  if (!s || typeof s !== 'object') return out;
  if (s.properties) {
    for (const [k, v] of Object.entries<any>(s.properties)) {
      out.add(`${prefix}.${k}`);
      paths(v, `${prefix}.${k}`, out);
    }
  }
  if (s.items) paths(s.items, `${prefix}[]`, out);
  return out;
}
function opaquePrefixes(s: any, prefix = '', out: string[] = []): string[] {
  if (!s || typeof s !== 'object') return out;
  if (s['x-kubernetes-preserve-unknown-fields']) out.push(prefix);
  for (const [k, v] of Object.entries<any>(s.properties ?? {})) opaquePrefixes(v, `${prefix}.${k}`, out);
  if (s.items) opaquePrefixes(s.items, `${prefix}[]`, out);
  return out;
}

describe('CRDs', () => {
  it('has the ten SWCK kinds with SWCK names, group, version, scope and status subresource', () => {
    expect(allCrds).toHaveLength(10);
    for (const kind of SWCK_KINDS) {
      const crd = crdFor(kind);
      expect(crd.metadata.name).toBe(`${SWCK_PLURALS[kind]}.${SWCK_GROUP}`);
      expect(crd.spec.group).toBe('operator.skywalking.apache.org');
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names).toMatchObject({ kind, listKind: `${kind}List`, plural: SWCK_PLURALS[kind], singular: kind.toLowerCase() });
      expect(crd.spec.versions).toHaveLength(1);
      expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
      expect(crd.spec.versions[0].subresources.status).toEqual({});
    }
    expect(crdFor('OAPServer').spec.versions[0].subresources.scale).toEqual({ specReplicasPath: '.spec.instances', statusReplicasPath: '.status.availableReplicas' });
    expect(crdFor('Fetcher').spec.versions[0].subresources.scale).toBeUndefined();
  });

  it('is structural: every schema node has a type', () => {
    const check = (s: OpenApiSchema, where: string) => {
      expect({ where, type: s.type ?? (s['x-kubernetes-int-or-string'] ? 'int-or-string' : undefined) }).toEqual({ where, type: expect.any(String) });
      for (const [k, v] of Object.entries(s.properties ?? {})) check(v, `${where}.${k}`);
      if (s.items) check(s.items, `${where}[]`);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') check(s.additionalProperties, `${where}{}`);
    };
    for (const crd of allCrds) check(crd.spec.versions[0].schema.openAPIV3Schema, crd.spec.names.kind);
  });

  describe.each([...SWCK_KINDS])('matches SWCK\'s own CRD for %s', kind => {
    const file = path.join(fixtures, 'swck-crds', `${SWCK_PLURALS[kind]}.yaml`);
    const swck = parse(fs.readFileSync(file, 'utf8'));
    const swckVersion = swck.spec.versions[0];
    const ours = crdFor(kind).spec.versions[0];

    it('has every property SWCK has (or preserves unknown fields there)', () => {
      const opaque = opaquePrefixes(ours.schema.openAPIV3Schema);
      const ourPaths = paths(ours.schema.openAPIV3Schema);
      const swckPaths = paths(swckVersion.schema.openAPIV3Schema);
      expect(swckPaths.size).toBeGreaterThan(5);
      expect(swckPaths.has('.spec')).toBe(true);
      const missing = [...swckPaths].filter(
        p => !ourPaths.has(p) && !opaque.some(o => p.startsWith(`${o}.`) || p.startsWith(`${o}[]`)),
      );
      expect(missing).toEqual([]);
    });

    it('requires exactly what SWCK requires in spec', () => {
      expect([...(ours.schema.openAPIV3Schema.properties!.spec.required ?? [])].sort()).toEqual(
        [...(swckVersion.schema.openAPIV3Schema.properties.spec.required ?? [])].sort(),
      );
    });

    it('has SWCK\'s printer columns', () => {
      expect(ours.additionalPrinterColumns ?? []).toEqual(swckVersion.additionalPrinterColumns ?? []);
      expect(swck.spec.names.plural).toBe(SWCK_PLURALS[kind]);
    });
  });

  it.each(samples)('accepts SWCK sample %s unchanged', file => {
    const docs = docsOf(file).filter((d: any) => d.apiVersion === 'operator.skywalking.apache.org/v1alpha1');
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect({ kind: doc.kind, name: doc.metadata.name, errors: validateSwckObject(doc) }).toEqual({ kind: doc.kind, name: doc.metadata.name, errors: [] });
    }
  });

  it('covers every kind that SWCK has a sample for', () => {
    const kinds = new Set(samples.flatMap(f => docsOf(f).map((d: any) => d.kind)));
    expect([...kinds].sort()).toEqual(['BanyanDB', 'Fetcher', 'OAPServer', 'OAPServerConfig', 'OAPServerDynamicConfig', 'Satellite', 'SwAgent', 'UI']);
  });

  it('rejects broken manifests with field paths', () => {
    const [oap] = docsOf('minimal.yaml');
    expect(validateSwckObject({ ...oap, spec: { version: '9.1.0' } })).toEqual([{ path: 'spec.instances', message: 'is required' }]);
    expect(validateSwckObject({ ...oap, spec: { ...oap.spec, instances: 'three' } })).toEqual([{ path: 'spec.instances', message: 'must be integer' }]);
    expect(validateSwckObject({ ...oap, spec: { ...oap.spec, instancse: 3 } })).toEqual([{ path: 'spec.instancse', message: 'is not a known field' }]);
    expect(validateSwckObject({ ...oap, spec: { ...oap.spec, instancse: 3 } }, { unknownFields: 'prune' })).toEqual([]);
    expect(validateSwckObject({ ...oap, spec: { ...oap.spec, config: [{ value: 'x' }] } })).toEqual([{ path: 'spec.config[0].name', message: 'is required' }]);
    expect(validateSwckObject({ ...oap, spec: { ...oap.spec, instances: 2 ** 31 } })[0].path).toBe('spec.instances');
    expect(validateSwckObject({ ...oap, kind: 'Nope' })[0].path).toBe('kind');
    expect(validateSwckObject({ ...oap, apiVersion: 'v1' })[0].path).toBe('apiVersion');
    expect(validateSwckObject('OAPServer')).toEqual([{ path: '', message: 'must be an object' }]);
    expect(validateSwckSpec('UI', { version: '9.1.0', instances: 1, kind: 'grafana' })).toEqual([{ path: 'spec.kind', message: 'must be one of horizon, booster' }]);
    expect(validateSwckSpec('UI', null)).toEqual([{ path: 'spec', message: 'is required' }]);
  });

  it('accepts our optional extensions', () => {
    expect(
      validateSwckSpec('OAPServer', {
        version: '10.2.0',
        instances: 2,
        paused: true,
        roleSplit: { enabled: true, aggregators: 1 },
        resources: { requests: { cpu: '1' } },
        tolerations: [{ key: 'a', operator: 'Exists' }],
        nodeSelector: { pool: 'obs' },
        affinity: { podAntiAffinity: {} },
      }),
    ).toEqual([]);
  });
});
