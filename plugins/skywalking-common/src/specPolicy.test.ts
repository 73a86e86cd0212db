import { execFileSync } from 'child_process';
import fc from 'fast-check';
import { validateBackendSpec } from './backendSpec';
import { injectAgent } from './inject';
import { restoreInitContainer, restoreScript } from './operator/backup';
import { CustomObject } from './operator/render';
import { snapshotPodTemplate, STORAGE_TYPE_ANNOTATION } from './operator/snapshot';
import {
  defaultSpecPolicy,
  envNameProblem,
  redactSpec,
  REDACTED,
  validateSpecPolicy,
  wildcardMatch,
} from './specPolicy';

/*
 * Values that reach a shell, a URL, a JDBC URL or a conninfo string: every
 * invalid one is a field error, and whatever reaches a renderer (also when a
 * custom object was edited behind the portal's back) appears in no script
 * text, only as a "$VAR" reference to the env the renderer sets.
 */

/** Text a shell, a URL or libpq would read as something else, prefixed with a marker we can look for in scripts. */
const MARK = 'Zq7';
const hostile = fc
  .tuple(
    fc.constantFrom('$(id)', '`id`', '"; rm -rf / #', "'; touch /x; '", '${IFS}', ' host=evil.example.com', '?socketFactory=x', '\n/bin/sh', '&&', '|', ';'),
    fc.string({ maxLength: 20 }),
  )
  .map(([bad, tail]) => `${MARK}${bad}${tail}`);

const base = { name: 'demo', namespace: 'sw', cluster: 'local', version: '10.2.0' };
const pg = (external: Record<string, unknown>) => ({ ...base, storage: { type: 'postgresql', external: { address: 'pg.databases:5432', secretName: 'pg', ...external } } });
const paths = (spec: unknown) => validateBackendSpec(spec).map(e => e.path);

function banyandb(): CustomObject {
  return {
    apiVersion: 'operator.skywalking.apache.org/v1alpha1',
    kind: 'BanyanDB',
    metadata: { name: 'demo', namespace: 'sw', uid: 'u-1' },
    spec: { version: '0.9.0', counts: 1, storages: [{ name: 'data', path: '/tmp' }] },
  };
}

function oapWith(jdbcUrl: string): CustomObject {
  return {
    apiVersion: 'operator.skywalking.apache.org/v1alpha1',
    kind: 'OAPServer',
    metadata: { name: 'demo', namespace: 'sw', uid: 'u-2', annotations: { [STORAGE_TYPE_ANNOTATION]: 'postgresql' } },
    spec: { version: '10.2.0', config: [{ name: 'SW_STORAGE', value: 'postgresql' }, { name: 'SW_JDBC_URL', value: jdbcUrl }] },
  };
}

describe('values that reach shells and connection strings', () => {
  it('refuses every hostile storage.external.database with a field error naming it', () => {
    fc.assert(
      fc.property(hostile, db => {
        expect(paths(pg({ database: db }))).toContain('storage.external.database');
      }),
    );
    expect(paths(pg({ database: 'skywalking_prod' }))).toEqual([]);
    // the review's example: a conninfo string for pg_dump --dbname
    expect(paths(pg({ database: 'sw host=evil.example.com' }))).toEqual(['storage.external.database']);
  });

  it('refuses every hostile backup and restore value (object store URL, restore backup name) with a field error', () => {
    fc.assert(
      fc.property(hostile, bad => {
        const url = `s3://bucket/${bad}`;
        const spec = { ...base, storage: { type: 'banyandb', banyandb: { version: '0.9.0', backup: { target: { url } }, restore: { backup: bad, target: { url } } } } };
        const p = paths(spec);
        expect(p).toContain('storage.banyandb.backup.target.url');
        expect(p).toContain('storage.banyandb.restore.target.url');
        expect(p).toContain('storage.banyandb.restore.backup');
      }),
    );
  });

  it('renders a restore init container whose script is fixed text: values only as "$VAR" from env', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (backup, bucket, from, id) => {
        const r = { backup, target: { url: `s3://${bucket}` }, from: { cluster: 'local', namespace: 'sw', name: from }, id };
        const { container } = restoreInitContainer(banyandb(), r);
        const script: string = container.command[2];
        expect(script).not.toContain(MARK);
        expect(script).toBe(restoreScript('0.9.0'));
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
        expect(env.RESTORE_BACKUP).toBe(backup);
        expect(env.RESTORE_SOURCE).toBe(`s3://${bucket}`);
        expect(env.RESTORE_MARKER).toContain(id);
        for (const v of ['RESTORE_BACKUP', 'RESTORE_SOURCE', 'RESTORE_MARKER']) expect(script).toContain(`"$${v}"`);
      }),
    );
  });

  it('restore script is valid sh that runs the tools with the env values as single words', () => {
    const script = restoreScript('0.9.0');
    execFileSync('/bin/sh', ['-n', '-c', script]);
    // run it with /restore replaced by a recorder: the hostile values arrive as whole arguments, never run
    const dir = execFileSync('mktemp', ['-d']).toString().trim();
    const recorder = `${dir}/restore`;
    execFileSync('/bin/sh', ['-c', `printf '#!/bin/sh\\nfor a in "$@"; do printf "[%%s]\\\\n" "$a"; done >> ${dir}/args\\n' > ${recorder}; chmod +x ${recorder}`]);
    const backup = '$(touch /tmp/pwned-swb); `id`';
    execFileSync('/bin/sh', ['-c', script.replace(/\/restore /g, `${recorder} `)], {
      env: { PATH: process.env.PATH, RESTORE_BACKUP: backup, RESTORE_SOURCE: 's3://b/x";id;"', RESTORE_ROOT: dir, RESTORE_MARKER: `${dir}/marker` },
    });
    const args = execFileSync('cat', [`${dir}/args`]).toString();
    expect(args).toContain(`[${backup}]`);
    expect(args).toContain('[--source=s3://b/x";id;"]');
    expect(args).toContain(`[--stream-root=${dir}]`);
  });

  it('renders no snapshot Job for a hostile database read back from the OAPServer, and never puts one in the script', () => {
    fc.assert(
      fc.property(hostile, db => {
        const oap = oapWith(`jdbc:postgresql://pg.databases:5432/${encodeURIComponent(db)}`);
        // either refused with the reason, or rendered without the value in the script
        let outcome: string;
        try {
          const script: string = snapshotPodTemplate(oap, { target: { pvc: { claimName: 'snaps' } } }, { labels: {} }).spec.containers[0].command[2];
          outcome = script.includes(MARK) ? 'value in script' : 'clean';
        } catch (e: any) {
          outcome = /is not a database name|is not a host name/.test(e.message) ? 'refused' : `other error: ${e.message}`;
        }
        expect(['refused', 'clean']).toContain(outcome);
      }),
    );
    // an Elasticsearch repository and a restore name read back from annotations: refused, never in a script
    const es: CustomObject = {
      ...oapWith(''),
      spec: { version: '10.2.0', config: [{ name: 'SW_STORAGE', value: 'elasticsearch' }, { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: 'es.databases:9200' }] },
    };
    fc.assert(
      fc.property(hostile, repo => {
        expect(() => snapshotPodTemplate(es, { target: { repository: repo } }, { labels: {} })).toThrow(/is not a repository name/);
        expect(() => snapshotPodTemplate(oapWith('jdbc:postgresql://pg.databases:5432/sw'), { target: { pvc: { claimName: 's' } } }, { restore: repo, labels: {} })).toThrow(/is not a snapshot name/);
      }),
    );
    const ok = snapshotPodTemplate(oapWith('jdbc:postgresql://pg.databases:5432/skywalking'), { target: { pvc: { claimName: 'snaps' } } }, { labels: {} });
    expect(ok.spec.containers[0].env).toContainEqual({ name: 'DB_NAME', value: 'skywalking' });
    expect(ok.spec.containers[0].command[2]).toContain('--dbname="$DB_NAME"');
  });
});

describe('oap.config', () => {
  const withConfig = (config: unknown[]) => ({ ...base, oap: { config } });

  it('takes valueFrom only as a secretKeyRef (Kubernetes resolves it in the backend namespace)', () => {
    expect(paths(withConfig([{ name: 'SW_X', valueFrom: { secretKeyRef: { name: 'oap-secrets', key: 'token' } } }]))).toEqual([]);
    expect(paths(withConfig([{ name: 'SW_X', valueFrom: { configMapKeyRef: { name: 'kube-proxy', key: 'config' } } }]))).toEqual(['oap.config[0].valueFrom']);
    expect(paths(withConfig([{ name: 'SW_X', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } }]))).toEqual(['oap.config[0].valueFrom']);
    expect(paths(withConfig([{ name: 'SW_X', valueFrom: { secretKeyRef: { name: 'A_B', key: 'k' } } }]))).toEqual(['oap.config[0].valueFrom.secretKeyRef.name']);
    expect(paths(withConfig([{ name: 'SW_X', value: 'a', valueFrom: { secretKeyRef: { name: 'a', key: 'k' } } }]))).toEqual(['oap.config[0]']);
  });

  it('refuses JAVA_TOOL_OPTIONS and the portal\'s own names whatever the config allows, and names outside the allowlist', () => {
    const policy = { ...defaultSpecPolicy(), allowedEnvNames: ['SW_*', 'JAVA_*', '*'] };
    const spec = withConfig([{ name: 'JAVA_TOOL_OPTIONS', value: '-javaagent:/tmp/x.jar' }, { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://evil/x' }, { name: 'SW_CORE_RECORD_DATA_TTL', value: '3' }]);
    expect(validateSpecPolicy(spec, policy).map(e => e.path)).toEqual(['oap.config[0].name', 'oap.config[1].name']);
    expect(envNameProblem('HTTP_PROXY', defaultSpecPolicy())).toMatch(/not an allowed OAP setting/);
    expect(envNameProblem('SW_CORE_RECORD_DATA_TTL', defaultSpecPolicy())).toBeUndefined();
  });
});

describe('validateSpecPolicy', () => {
  const policy = { ...defaultSpecPolicy(), allowedStorageAddresses: ['*.databases', 'pg.example.com'] };

  it('takes snapshot images from the allowlist only (defaults: the images the portal renders)', () => {
    const snap = (image: string) => pg({ snapshot: { image, target: { pvc: { claimName: 's' } } } });
    expect(validateSpecPolicy(snap('postgres:17-alpine'), policy)).toEqual([]);
    expect(validateSpecPolicy(snap('evil.example.com/miner:latest'), policy)).toEqual([
      { path: 'storage.external.snapshot.image', message: expect.stringContaining('not an allowed image') },
    ]);
    expect(validateSpecPolicy(snap('registry.internal/tools/pg:1'), { ...policy, allowedImages: ['registry.internal/tools/*'] })).toEqual([]);
  });

  it('sends storage credentials only to allowed hosts, each node of a list checked', () => {
    expect(validateSpecPolicy(pg({ address: 'pg.databases:5432' }), policy)).toEqual([]);
    expect(validateSpecPolicy(pg({ address: 'PG.EXAMPLE.COM:5432' }), policy)).toEqual([]);
    const es = { ...base, storage: { type: 'elasticsearch', external: { address: 'es-0.databases:9200,collector.evil.example.com:9200', secretName: 'es' } } };
    expect(validateSpecPolicy(es, policy)).toEqual([{ path: 'storage.external.address', message: expect.stringContaining('collector.evil.example.com is not an allowed storage host') }]);
    // a suffix pattern does not match a look-alike
    expect(validateSpecPolicy(pg({ address: 'evil-databases:5432' }), policy).map(e => e.path)).toEqual(['storage.external.address']);
    expect(validateSpecPolicy(pg({ address: 'pg.databases:5432' }), defaultSpecPolicy()).map(e => e.path)).toEqual(['storage.external.address']);
  });

  it('matches wildcard patterns in linear time (no backtracking on hostile input)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 1000 }), (pattern, value) => {
        const t = Date.now();
        wildcardMatch(pattern, value);
        expect(Date.now() - t).toBeLessThan(50);
      }),
    );
    const t = Date.now();
    expect(wildcardMatch('*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(1000))).toBe(false);
    expect(Date.now() - t).toBeLessThan(50);
    expect(wildcardMatch('*.databases', 'pg.databases')).toBe(true);
    expect(wildcardMatch('a*b*c', 'abc')).toBe(true);
    expect(wildcardMatch('a*b*c', 'acb')).toBe(false);
  });
});

describe('redactSpec', () => {
  it('redacts every literal oap.config value whose name is not known to be safe, keeping references and safe names', () => {
    const spec = {
      ...base,
      oap: {
        config: [
          { name: 'SW_CORE_RECORD_DATA_TTL', value: '3' },
          { name: 'SW_AUTHENTICATION', value: 'let-me-in' },
          { name: 'SW_STORAGE_ES_PASS', value: 'hunter2' },
          { name: 'SW_EXPORTER_URL', value: 'https://user:secret@collector' },
          { name: 'SW_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
      },
    };
    const red = redactSpec({ spec });
    expect(red.spec.oap.config.map((c: any) => c.value)).toEqual(['3', REDACTED, REDACTED, REDACTED, undefined]);
    expect(red.spec.oap.config[4].valueFrom).toEqual({ secretKeyRef: { name: 's', key: 'k' } });
    expect(JSON.stringify(red)).not.toMatch(/let-me-in|hunter2|user:secret/);
    // the input is left as it is (it still has to be applied)
    expect(spec.oap.config[1].value).toBe('let-me-in');
  });
});

describe('agent init container image', () => {
  const pod = (annotations: Record<string, string> = {}) => ({
    metadata: { name: 'shop', labels: { 'swck-java-agent-injected': 'true' }, annotations },
    spec: { containers: [{ name: 'app', image: 'shop:1' }] },
  });

  it('injects the default agent image under the default allowlist, and nothing with an image outside it', () => {
    const ok = injectAgent({ pod: pod(), allowedImages: defaultSpecPolicy().allowedImages });
    expect(ok.injected).toBe(true);
    const bad = injectAgent({ pod: pod({ 'sidecar.skywalking.apache.org/initcontainer.Image': 'evil.example.com/agent:1' }), allowedImages: defaultSpecPolicy().allowedImages });
    expect(bad.injected).toBe(false);
    expect(bad.errors).toEqual([{ path: 'initcontainer.Image', message: '"evil.example.com/agent:1" is not an allowed agent image (skywalking.allowedImages)' }]);
    const swAgent = injectAgent({ pod: pod(), defaults: { javaSidecar: { image: 'evil.example.com/agent:1' } }, allowedImages: defaultSpecPolicy().allowedImages });
    expect(swAgent.injected).toBe(false);
  });
});

describe('every hostile value in a spec field that reaches a name, a URL, a connection string or a script', () => {
  const policy = { ...defaultSpecPolicy(), allowedStorageAddresses: ['*.databases'] };
  const spec = () => ({
    ...base,
    oap: { config: [{ name: 'SW_X', valueFrom: { secretKeyRef: { name: 'oap-secrets', key: 'k' } } }] },
    ui: { ingress: { host: 'sw.example.com' } },
    storage: {
      type: 'postgresql',
      external: {
        address: 'pg.databases:5432',
        secretName: 'pg',
        database: 'skywalking',
        tls: { caSecretName: 'pg-ca' },
        snapshot: { image: 'postgres:17-alpine', target: { pvc: { claimName: 'snaps' } } },
      },
    },
  });
  const FIELDS = [
    'name',
    'namespace',
    'version',
    'ui.ingress.host',
    'oap.config.0.name',
    'oap.config.0.valueFrom.secretKeyRef.name',
    'storage.external.address',
    'storage.external.secretName',
    'storage.external.database',
    'storage.external.tls.caSecretName',
    'storage.external.snapshot.image',
    'storage.external.snapshot.target.pvc.claimName',
  ];
  const set = (o: any, path: string, v: unknown) => {
    const keys = path.split('.');
    const last = keys.pop()!;
    keys.reduce((x, k) => x[k], o)[last] = v;
    return o;
  };
  const errorPath = (path: string) => path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');

  it('the valid spec passes both checks', () => {
    expect(validateBackendSpec(spec())).toEqual([]);
    expect(validateSpecPolicy(spec(), policy)).toEqual([]);
  });

  it('gets a field error naming that field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), hostile, (field, value) => {
        const s = set(spec(), field, value);
        const found = [...validateBackendSpec(s), ...validateSpecPolicy(s, policy)].map(e => e.path);
        expect(found).toContain(errorPath(field));
      }),
      { numRuns: 300 },
    );
  });
});
