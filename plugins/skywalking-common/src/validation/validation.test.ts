import {
  checkDns1123Label,
  checkDns1123Subdomain,
  checkEnvVarName,
  checkHostPortList,
  checkImageReference,
  checkQualifiedName,
  checkQuantity,
  checkVersion,
  parseQuantity,
  validateSkyWalkingBackend,
  specValidators,
} from '.';
import { SkyWalkingBackend } from '../crds';

const ok: SkyWalkingBackend = { name: 'team-a', namespace: 'observability', cluster: 'local', version: '10.2.0' };
const paths = (input: unknown) => validateSkyWalkingBackend(input).map(e => e.path);

describe('DNS-1123 names', () => {
  it.each(['a', 'abc', 'a-b', 'a1', '0a', 'x'.repeat(63)])('accepts label %s', v => expect(checkDns1123Label(v)).toBeUndefined());
  it.each(['', 'A', 'a_b', '-a', 'a-', 'a.b', 'x'.repeat(64), 'a b', 'ä', 'a\nb', 'a;rm -rf /', '../x', '$(id)'])('rejects label %j', v =>
    expect(checkDns1123Label(v)).toBeDefined(),
  );
  it.each(['a', 'a.b', 'a-b.c-d', 'my-secret.v1', `${'a'.repeat(63)}.${'b'.repeat(63)}`])('accepts subdomain %s', v =>
    expect(checkDns1123Subdomain(v)).toBeUndefined(),
  );
  it.each(['', 'a..b', '.a', 'a.', 'A.b', 'a_b', 'x'.repeat(254), `${'a'.repeat(64)}.b`.replace(/^/, '-')])('rejects subdomain %j', v =>
    expect(checkDns1123Subdomain(v)).toBeDefined(),
  );
  it('uses exact limits', () => {
    const max = `${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61);
    expect(max).toHaveLength(253);
    expect(checkDns1123Subdomain(max)).toBeUndefined();
    expect(checkDns1123Subdomain(`${max}a`)).toMatch(/no more than 253/);
    expect(checkDns1123Label('a'.repeat(64))).toMatch(/no more than 63/);
    expect(checkDns1123Label(42)).toBe('is required');
  });
  it('qualified names', () => {
    expect(checkQualifiedName('app.kubernetes.io/name')).toBeUndefined();
    expect(checkQualifiedName('pool')).toBeUndefined();
    expect(checkQualifiedName('a/b/c')).toBeDefined();
    expect(checkQualifiedName('Bad_Prefix/x')).toBeDefined();
    expect(checkQualifiedName('__proto__')).toBeDefined();
  });
});

describe('versions', () => {
  it.each(['10.2.0', '9.7.0', '0.8.0', '10.3.0-rc1', '10.2.0-SNAPSHOT', '1.0.0-alpha.1'])('accepts %s', v => expect(checkVersion(v)).toBeUndefined());
  it.each(['latest', 'LATEST', '', ' 10.2.0', '10.2.0 ', '10.2', '10', 'v10.2.0', '10.2.0;rm -rf /', '10.2.0\n', '10.2.0$(id)', '10.2.0/../x', '01.2.0', '10.2.0-', '10.2.0+build', '1'.repeat(100), 'x.y.z'])(
    'rejects %j',
    v => expect(checkVersion(v)).toBeDefined(),
  );
  it('explains why latest is refused', () => expect(checkVersion('latest')).toMatch(/pin a version/));
  it('rejects non-strings', () => {
    expect(checkVersion(10.2)).toBeDefined();
    expect(checkVersion({ toString: () => '10.2.0' })).toBeDefined();
  });
});

describe('images', () => {
  it.each([
    'apache/skywalking-oap-server:10.2.0',
    'docker.io/apache/skywalking-ui:10.2.0',
    'registry.local:5000/mirror/apache/skywalking-oap-server:10.2.0',
    'localhost:5000/oap:dev-1',
    `apache/skywalking-oap-server@sha256:${'a'.repeat(64)}`,
    `ghcr.io/x/y:1.0@sha256:${'b'.repeat(64)}`,
  ])('accepts %s', v => expect(checkImageReference(v)).toBeUndefined());
  it.each([
    'apache/skywalking-oap-server',
    'apache/skywalking-oap-server:latest',
    'Apache/OAP:1.0',
    'apache/oap:1.0 ; curl evil',
    'apache/oap:$(id)',
    'apache//oap:1.0',
    'apache/oap:',
    'apache/oap:1.0\n',
    '',
    ':1.0',
    `apache/oap:${'x'.repeat(200)}`,
    'https://registry/x:1',
  ])('rejects %j', v => expect(checkImageReference(v)).toBeDefined());
  it('allows unpinned images when asked', () => expect(checkImageReference('apache/oap', { requirePinned: false })).toBeUndefined());
});

describe('quantities', () => {
  it.each(['1', '500m', '0.5', '2Gi', '10Gi', '1.5G', '1e3', '100Ki', '.5', '+1'])('accepts %s', v => expect(checkQuantity(v)).toBeUndefined());
  it.each(['', '-1', '2GB', '2 Gi', 'Gi', '1.2.3', 'ten', '1e', '10gi', '1Gi;', '1\n'])('rejects %j', v => expect(checkQuantity(v)).toBeDefined());
  it('parses', () => {
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('500m')).toBeCloseTo(0.5);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('1k')).toBe(1000);
  });
  it('rejects negative and non-finite numbers', () => {
    expect(checkQuantity(-1)).toBeDefined();
    expect(checkQuantity(Infinity)).toBeDefined();
    expect(checkQuantity(NaN)).toBeDefined();
  });
});

describe('addresses and env names', () => {
  it.each(['es:9200', 'es-0.es.db.svc:9200,es-1.es.db.svc:9200', '10.0.0.1:5432', '[::1]:3306', 'tidb.db'])('accepts %s', v =>
    expect(checkHostPortList(v)).toBeUndefined(),
  );
  it.each(['', 'http://es:9200', 'user:pw@es:9200', 'es:99999', 'es:0', 'es 9200', 'es:9200,', 'es:9200;drop', 'es:9200/path', ' es:9200'])('rejects %j', v =>
    expect(checkHostPortList(v)).toBeDefined(),
  );
  it('env names', () => {
    expect(checkEnvVarName('SW_CORE_ROLE')).toBeUndefined();
    expect(checkEnvVarName('1X')).toBeDefined();
    expect(checkEnvVarName('A=B')).toBeDefined();
    expect(checkEnvVarName('A B')).toBeDefined();
  });
});

describe('validateSkyWalkingBackend', () => {
  it('accepts a minimal and a full backend', () => {
    expect(validateSkyWalkingBackend(ok)).toEqual([]);
    expect(
      validateSkyWalkingBackend({
        ...ok,
        owner: 'group:default/team-a',
        description: 'team A backend',
        labels: { team: 'a' },
        paused: false,
        oap: {
          replicas: 4,
          image: 'registry.local/apache/skywalking-oap-server:10.2.0',
          roleSplit: { enabled: true, receiverRatio: 0.75 },
          resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
          affinity: { nodeAffinity: {} },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'obs', effect: 'NoSchedule' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          config: [
            { name: 'SW_OTEL_RECEIVER', value: 'default' },
            { name: 'SW_ES_PASSWORD', secretKeyRef: { name: 'es-creds', key: 'password' } },
          ],
          dynamicConfig: { 'agent-analyzer.default.slowDBAccessThreshold': 'default:200' },
        },
        ui: { enabled: true, replicas: 2, kind: 'booster', ingress: { host: 'sw.example.com', className: 'nginx', tlsSecretName: 'sw-tls' } },
        storage: { type: 'banyandb', banyandb: { version: '0.8.0', storageSize: '50Gi', storageClass: 'fast-ssd' } },
        satellite: { enabled: true, replicas: 2, version: '1.3.0' },
        rover: { enabled: true },
      } as SkyWalkingBackend),
    ).toEqual([]);
  });

  it('accepts what the older SkyWalkingBackendSpec accepted', () => {
    expect(validateSkyWalkingBackend({ ...ok, storage: { type: 'tidb', external: { address: 'tidb.db:4000', secretName: 'tidb-creds', database: 'skywalking' } } })).toEqual([]);
    expect(validateSkyWalkingBackend({ ...ok, oap: { replicas: 0 }, ui: { enabled: false }, owner: 'group:default/team-a', paused: true })).toEqual([]);
  });

  it('reports paths with the spec. prefix, or another one', () => {
    expect(validateSkyWalkingBackend({ ...ok, oap: { replicas: -1 } })).toEqual([{ path: 'spec.oap.replicas', message: 'must be from 0 to 100 (got -1)' }]);
    expect(validateSkyWalkingBackend({ ...ok, oap: { replicas: -1 } }, { pathPrefix: '' })[0].path).toBe('oap.replicas');
  });

  it('checks names', () => {
    expect(paths({ ...ok, name: 'Team_A' })).toEqual(['spec.name']);
    expect(paths({ ...ok, name: '1team' })).toEqual(['spec.name']);
    expect(paths({ ...ok, name: 'a'.repeat(41) })).toEqual(['spec.name']);
    expect(paths({ ...ok, namespace: 'x'.repeat(64) })).toEqual(['spec.namespace']);
    expect(paths({ ...ok, cluster: '' })).toEqual(['spec.cluster']);
    expect(paths({ ...ok, cluster: 'a/b' })).toEqual(['spec.cluster']);
    expect(paths({ name: 'X', namespace: '', version: 'v1' })).toEqual(['spec.name', 'spec.namespace', 'spec.cluster', 'spec.version']);
  });

  it('checks replica ranges and types', () => {
    expect(paths({ ...ok, oap: { replicas: 101 } })).toEqual(['spec.oap.replicas']);
    expect(paths({ ...ok, oap: { replicas: 1.5 } })).toEqual(['spec.oap.replicas']);
    expect(paths({ ...ok, oap: { replicas: '3' } })).toEqual(['spec.oap.replicas']);
    expect(paths({ ...ok, oap: { replicas: NaN } })).toEqual(['spec.oap.replicas']);
    expect(paths({ ...ok, oap: { replicas: Infinity } })).toEqual(['spec.oap.replicas']);
    expect(paths({ ...ok, ui: { replicas: 21 } })).toEqual(['spec.ui.replicas']);
    expect(paths({ ...ok, satellite: { replicas: -2 } })).toEqual(['spec.satellite.replicas']);
  });

  it('checks role split', () => {
    expect(paths({ ...ok, oap: { replicas: 1, roleSplit: { enabled: true } } })).toEqual(['spec.oap.replicas']);
    expect(paths({ ...ok, oap: { replicas: 4, roleSplit: { enabled: true, receiverRatio: 1 } } })).toEqual(['spec.oap.roleSplit.receiverRatio']);
    expect(paths({ ...ok, oap: { replicas: 4, roleSplit: { enabled: true, receiverRatio: 0.5, receivers: 2 } } })).toEqual(['spec.oap.roleSplit']);
    expect(paths({ ...ok, oap: { roleSplit: { enabled: true, receivers: 0 } } })).toEqual(['spec.oap.roleSplit.receivers']);
    expect(paths({ ...ok, oap: { roleSplit: { enabled: 'yes' } } })).toEqual(['spec.oap.roleSplit.enabled']);
  });

  it('checks resources, tolerations and node selectors', () => {
    expect(paths({ ...ok, oap: { resources: { requests: { cpu: 'lots' } } } })).toEqual(['spec.oap.resources.requests.cpu']);
    expect(paths({ ...ok, oap: { resources: { limits: { memory: '-1Gi' } } } })).toEqual(['spec.oap.resources.limits.memory']);
    expect(paths({ ...ok, oap: { resources: { requests: { cpu: '1' }, max: {} } } })).toEqual(['spec.oap.resources.max']);
    expect(paths({ ...ok, oap: { tolerations: [{ operator: 'Maybe' }] } })).toEqual(['spec.oap.tolerations[0].operator']);
    expect(paths({ ...ok, oap: { tolerations: 'all' } })).toEqual(['spec.oap.tolerations']);
    expect(paths({ ...ok, oap: { nodeSelector: { 'bad key!': 'x' } } })).toEqual(['spec.oap.nodeSelector.bad key!']);
    expect(paths({ ...ok, oap: { affinity: { nodeAffinty: {} } } })).toEqual(['spec.oap.affinity.nodeAffinty']);
  });

  it('checks storage', () => {
    expect(paths({ ...ok, storage: { type: 'h2' } })).toEqual(['spec.storage.type']);
    expect(paths({ ...ok, storage: { type: 'BanyanDB' } })).toEqual(['spec.storage.type']);
    expect(paths({ ...ok, storage: {} })).toEqual(['spec.storage.type']);
    expect(paths({ ...ok, storage: { type: 'elasticsearch' } })).toEqual(['spec.storage.external']);
    expect(paths({ ...ok, storage: { type: 'postgresql', external: {} } })).toEqual(['spec.storage.external.address', 'spec.storage.external.secretName']);
    expect(paths({ ...ok, storage: { type: 'banyandb', banyandb: { storageSize: '10 gigs', version: 'latest' } } })).toEqual([
      'spec.storage.banyandb.version',
      'spec.storage.banyandb.storageSize',
    ]);
    expect(paths({ ...ok, storage: { type: 'banyandb', external: { address: 'x:1', secretName: 's' } } })).toEqual(['spec.storage.external']);
    expect(paths({ ...ok, storage: { type: 'elasticsearch', external: { address: 'es:9200', secretName: 'es', database: 'x' } } })).toEqual(['spec.storage.external.database']);
  });

  it('never accepts inline credentials', () => {
    const ext = { address: 'pg:5432', secretName: 'pg-creds' };
    expect(paths({ ...ok, storage: { type: 'postgresql', external: { ...ext, password: 'hunter2' } } })).toEqual(['spec.storage.external.password']);
    expect(paths({ ...ok, storage: { type: 'mysql', external: { ...ext, username: 'root' } } })).toEqual(['spec.storage.external.username']);
    expect(paths({ ...ok, storage: { type: 'mysql', external: { ...ext, credentials: { user: 'a' } } } })).toEqual(['spec.storage.external.credentials']);
    expect(paths({ ...ok, storage: { type: 'mysql', external: { ...ext, address: 'root:pw@pg:5432' } } })).toEqual(['spec.storage.external.address']);
    expect(paths({ ...ok, oap: { config: [{ name: 'SW_ES_PASSWORD', value: 'hunter2' }] } })).toEqual(['spec.oap.config[0].value']);
    expect(paths({ ...ok, oap: { config: [{ name: 'SW_DATA_SOURCE_PASSWORD', value: '' }] } })).toEqual(['spec.oap.config[0].value']);
    expect(paths({ ...ok, oap: { config: [{ name: 'SW_AUTH_TOKEN', value: 'x' }] } })).toEqual(['spec.oap.config[0].value']);
    const msg = validateSkyWalkingBackend({ ...ok, storage: { type: 'postgresql', external: { ...ext, password: 'hunter2' } } })[0].message;
    expect(msg).not.toContain('hunter2');
  });

  it('checks env overrides', () => {
    expect(paths({ ...ok, oap: { config: [{ name: 'A B', value: 'x' }] } })).toEqual(['spec.oap.config[0].name']);
    expect(paths({ ...ok, oap: { config: [{ name: 'A', value: 1 }] } })).toEqual(['spec.oap.config[0].value']);
    expect(paths({ ...ok, oap: { config: [{ name: 'A', value: 'x' }, { name: 'A', value: 'y' }] } })).toEqual(['spec.oap.config[1].name']);
    expect(paths({ ...ok, oap: { config: [{ name: 'A', value: 'x', secretKeyRef: { name: 's', key: 'k' } }] } })).toEqual(['spec.oap.config[0]']);
    expect(paths({ ...ok, oap: { config: [{ name: 'A', secretKeyRef: { name: 'S!', key: 'k/../x' } }] } })).toEqual([
      'spec.oap.config[0].secretKeyRef.name',
      'spec.oap.config[0].secretKeyRef.key',
    ]);
    expect(paths({ ...ok, oap: { config: 'SW_X=1' } })).toEqual(['spec.oap.config']);
    expect(paths({ ...ok, oap: { dynamicConfig: { 'bad key': 'x', good: 1 } } })).toEqual(['spec.oap.dynamicConfig.bad key', 'spec.oap.dynamicConfig.good']);
  });

  it('checks ui and ingress', () => {
    expect(paths({ ...ok, ui: { kind: 'grafana' } })).toEqual(['spec.ui.kind']);
    expect(paths({ ...ok, ui: { ingress: { host: 'Bad Host' } } })).toEqual(['spec.ui.ingress.host']);
    expect(paths({ ...ok, ui: { ingress: {} } })).toEqual(['spec.ui.ingress.host']);
    expect(paths({ ...ok, ui: { image: 'apache/skywalking-ui:latest' } })).toEqual(['spec.ui.image']);
  });

  describe('hostile input', () => {
    it.each([null, undefined, 42, 'spec', [], [ok], true])('rejects non-object %j', v => {
      expect(validateSkyWalkingBackend(v)).toEqual([{ path: 'spec', message: 'must be an object' }]);
    });
    it('reports unknown fields instead of ignoring them', () => {
      expect(paths({ ...ok, replicas: 3 })).toEqual(['spec.replicas']);
      expect(paths({ ...ok, oap: { replica: 3 } })).toEqual(['spec.oap.replica']);
    });
    it('survives prototype pollution attempts', () => {
      const evil = JSON.parse('{"name":"a","namespace":"b","cluster":"c","version":"10.2.0","__proto__":{"polluted":true},"labels":{"__proto__":"x"}}');
      const errs = paths(evil);
      expect(errs).toEqual(expect.arrayContaining(['spec.__proto__', 'spec.labels.__proto__']));
      expect(({} as any).polluted).toBeUndefined();
    });
    it('handles shell, YAML and template injection in every string', () => {
      for (const evil of ['$(id)', '`id`', '{{ .Values }}', "a'; DROP TABLE x;--", 'a\nkind: Secret', '\u0000', '../../etc/passwd']) {
        expect(paths({ ...ok, name: evil })).toContain('spec.name');
        expect(paths({ ...ok, namespace: evil })).toContain('spec.namespace');
        expect(paths({ ...ok, version: evil })).toContain('spec.version');
        expect(paths({ ...ok, oap: { image: evil } })).toContain('spec.oap.image');
        expect(paths({ ...ok, storage: { type: 'mysql', external: { address: evil, secretName: 'ok' } } })).toContain('spec.storage.external.address');
        expect(paths({ ...ok, storage: { type: 'mysql', external: { address: 'a:1', secretName: evil } } })).toContain('spec.storage.external.secretName');
      }
    });
    it('handles huge input without hanging', () => {
      const start = Date.now();
      const big = 'a'.repeat(1_000_000);
      expect(paths({ ...ok, name: big, version: `1.0.0-${big}`, oap: { image: `${big}:1` } })).toEqual(['spec.name', 'spec.version', 'spec.oap.image']);
      expect(paths({ ...ok, storage: { type: 'mysql', external: { address: `${'a.'.repeat(5000)}:1`, secretName: 's' } } })).toEqual(['spec.storage.external.address']);
      expect(Date.now() - start).toBeLessThan(2000);
    });
    it('handles wrong types in nested places', () => {
      expect(paths({ ...ok, oap: 'big', ui: [], storage: 'banyandb', satellite: 1, rover: true })).toEqual([
        'spec.oap',
        'spec.ui',
        'spec.storage',
        'spec.satellite',
        'spec.rover',
      ]);
      expect(paths({ ...ok, paused: 'false' })).toEqual(['spec.paused']);
      expect(paths({ ...ok, owner: 'group:default/team a' })).toEqual(['spec.owner']);
      expect(paths({ ...ok, labels: { 'app.kubernetes.io/managed-by': 'me' } })).toEqual(['spec.labels.app.kubernetes.io/managed-by']);
    });
  });
});

describe('per-kind spec validators', () => {
  /* eslint-disable new-cap */
  it('validates each kind against its CRD schema', () => {
    expect(specValidators.OAPServer({ version: '10.2.0', instances: 1 })).toEqual([]);
    expect(specValidators.BanyanDB({ version: '0.8.0', counts: 1 })).toEqual([{ path: 'spec.image', message: 'is required' }]);
    expect(specValidators.Storage({ type: 'elasticsearch', connectType: 'external', version: '7', address: 'es:9200', security: { user: { secretName: 'x' } } })).toEqual([]);
    expect(specValidators.JavaAgent({ serviceName: 'a' })).toEqual([{ path: 'spec.backendService', message: 'is required' }]);
    expect(specValidators.Fetcher({ type: 'prometheus', OAPServerAddress: 'x' })).toEqual([{ path: 'spec.type', message: 'must be array' }]);
    expect(specValidators.OAPServerDynamicConfig({ version: '10.2.0', data: [{ name: 'a', value: 1 }] })).toEqual([{ path: 'spec.data[0].value', message: 'must be string' }]);
    expect(specValidators.SwAgent({ javaSidecar: { env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } })).toEqual([]);
    expect(specValidators.Satellite({ version: '1.3.0', instances: 1, OAPServerName: 'default', extra: 1 })).toEqual([{ path: 'spec.extra', message: 'is not a known field' }]);
    expect(specValidators.UI({ version: '10.2.0', instances: 1, service: { ingress: { tls: [{ hosts: ['a'], secretName: 's' }] } } })).toEqual([]);
    expect(specValidators.OAPServerConfig({ version: '10.2.0', file: [{ name: 'a.yml', path: '/skywalking/config', data: 'x' }] })).toEqual([]);
  });
});
