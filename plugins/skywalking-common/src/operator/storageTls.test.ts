import { validateBackendSpec } from '../backendSpec';
import { CustomObject, renderOAPServer, ROLE_SPLIT_ANNOTATION } from './render';
import {
  jdbcUrlWithTls,
  STORAGE_CA_CHECKSUM_ANNOTATION,
  STORAGE_CA_FILE,
  STORAGE_TLS_ANNOTATION,
  STORAGE_TRUSTSTORE_FILE,
  STORAGE_TRUSTSTORE_SCRIPT,
  storageTlsOf,
} from './storageTls';

const secretRef = { valueFrom: { secretKeyRef: { name: 'demo-storage-truststore', key: 'password' } } };

function oap(config: { name: string; value?: string; valueFrom?: any }[], annotations: Record<string, string> = {}): CustomObject {
  return {
    apiVersion: 'operator.skywalking.apache.org/v1alpha1',
    kind: 'OAPServer',
    metadata: { name: 'demo', namespace: 'sw', uid: 'uid-1', annotations: { [STORAGE_TLS_ANNOTATION]: JSON.stringify({ caSecretName: 'es-ca' }), ...annotations } },
    spec: { version: '10.2.0', image: 'apache/skywalking-oap-server:10.2.0', instances: 2, config },
  };
}
const es = [
  { name: 'SW_STORAGE', value: 'elasticsearch' },
  { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: 'es:9200' },
  { name: 'SW_ES_PASSWORD', valueFrom: { secretKeyRef: { name: 'es-cred', key: 'password' } } },
];
const deployments = (cr: CustomObject) => renderOAPServer(cr).filter(o => o.kind === 'Deployment');
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('storage TLS rendered into the OAP Deployments', () => {
  it('Elasticsearch: the CA mounted into a keytool init container of the OAP image, the truststore on an emptyDir, https and the truststore env with the password from the Secret', () => {
    const [d] = deployments(oap(es));
    const pod = d.spec.template.spec;
    expect(pod.initContainers).toEqual([
      {
        name: 'storage-truststore',
        image: 'apache/skywalking-oap-server:10.2.0',
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', STORAGE_TRUSTSTORE_SCRIPT],
        env: [
          { name: 'STORAGE_CA_FILE', value: STORAGE_CA_FILE },
          { name: 'STORAGE_TRUSTSTORE', value: STORAGE_TRUSTSTORE_FILE },
          { name: 'SW_STORAGE_TRUSTSTORE_PASSWORD', ...secretRef },
        ],
        volumeMounts: [
          { name: 'storage-ca', mountPath: '/skywalking/storage-ca', readOnly: true },
          { name: 'storage-truststore', mountPath: '/skywalking/storage-truststore' },
        ],
      },
    ]);
    expect(STORAGE_TRUSTSTORE_SCRIPT).toContain('keytool -importcert -noprompt -alias storage-ca -file "$STORAGE_CA_FILE" -keystore "$STORAGE_TRUSTSTORE" -storetype JKS');
    // the password is only ever a reference
    expect(STORAGE_TRUSTSTORE_SCRIPT).toContain('-storepass:env SW_STORAGE_TRUSTSTORE_PASSWORD');
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'storage-ca', secret: { secretName: 'es-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { name: 'storage-truststore', emptyDir: { sizeLimit: '1Mi' } },
      ]),
    );
    const c = pod.containers[0];
    expect(c.volumeMounts).toEqual([{ name: 'storage-truststore', mountPath: '/skywalking/storage-truststore', readOnly: true }]);
    const env = envOf(c);
    expect(env.SW_STORAGE_ES_HTTP_PROTOCOL).toBe('https');
    expect(env.SW_STORAGE_ES_SSL_JKS_PATH).toBe('/skywalking/storage-truststore/truststore.jks');
    expect(env.SW_STORAGE_ES_SSL_JKS_PASS).toEqual(secretRef.valueFrom);
    expect(env.SW_STORAGE_TRUSTSTORE_PASSWORD).toEqual(secretRef.valueFrom);
    expect(env.SW_STORAGE_ES_CLUSTER_NODES).toBe('es:9200');
    // no password value anywhere in the rendered objects
    expect(JSON.stringify(renderOAPServer(oap(es)))).not.toMatch(/storepass [^:]|JKS_PASS","value"/);
  });

  it('a CA key other than ca.crt is mounted as ca.crt', () => {
    const [d] = deployments(oap(es, { [STORAGE_TLS_ANNOTATION]: JSON.stringify({ caSecretName: 'corp-ca', caKey: 'root.pem' }) }));
    expect(d.spec.template.spec.volumes).toContainEqual({ name: 'storage-ca', secret: { secretName: 'corp-ca', items: [{ key: 'root.pem', path: 'ca.crt' }] } });
  });

  it('MySQL/TiDB: the same truststore; the JDBC URL verifies CA and host and names the password by a dependent env var defined before it', () => {
    const cr = oap([
      { name: 'SW_STORAGE', value: 'mysql' },
      { name: 'SW_JDBC_URL', value: 'jdbc:mysql://tidb:4000/skywalking?rewriteBatchedStatements=true' },
    ]);
    const [d] = deployments(cr);
    const c = d.spec.template.spec.containers[0];
    expect(d.spec.template.spec.initContainers.map((i: any) => i.name)).toEqual(['storage-truststore']);
    expect(c.env[0]).toEqual({ name: 'SW_STORAGE_TRUSTSTORE_PASSWORD', ...secretRef });
    const url = c.env.find((e: any) => e.name === 'SW_JDBC_URL').value;
    expect(url).toBe(
      'jdbc:mysql://tidb:4000/skywalking?rewriteBatchedStatements=true&sslMode=VERIFY_IDENTITY' +
        '&trustCertificateKeyStoreUrl=file:/skywalking/storage-truststore/truststore.jks&trustCertificateKeyStoreType=JKS' +
        '&trustCertificateKeyStorePassword=$(SW_STORAGE_TRUSTSTORE_PASSWORD)',
    );
    expect(envOf(c).SW_STORAGE_ES_HTTP_PROTOCOL).toBeUndefined();
    // the custom object's own config is left as it was
    expect(cr.spec.config[1].value).toBe('jdbc:mysql://tidb:4000/skywalking?rewriteBatchedStatements=true');
  });

  it('PostgreSQL: no truststore; the CA mounted into OAP and verify-full with sslrootcert in the JDBC URL', () => {
    const [d] = deployments(oap([
      { name: 'SW_STORAGE', value: 'postgresql' },
      { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://pg:5432/skywalking' },
    ]));
    const pod = d.spec.template.spec;
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes).toEqual([{ name: 'storage-ca', secret: { secretName: 'es-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'storage-ca', mountPath: '/skywalking/storage-ca', readOnly: true }]);
    const env = envOf(pod.containers[0]);
    expect(env.SW_JDBC_URL).toBe('jdbc:postgresql://pg:5432/skywalking?sslmode=verify-full&sslrootcert=/skywalking/storage-ca/ca.crt');
    expect(env.SW_STORAGE_TRUSTSTORE_PASSWORD).toBeUndefined();
  });

  it('both roles get it when OAP is split', () => {
    const ds = deployments(oap(es, { [ROLE_SPLIT_ANNOTATION]: JSON.stringify({ enabled: true }) }));
    expect(ds.map(d => d.metadata.name)).toEqual(['demo-oap-receiver', 'demo-oap-aggregator']);
    for (const d of ds) {
      expect(d.spec.template.spec.initContainers.map((i: any) => i.name)).toEqual(['storage-truststore']);
      expect(envOf(d.spec.template.spec.containers[0]).SW_STORAGE_ES_HTTP_PROTOCOL).toBe('https');
    }
  });

  it('the CA checksum recorded on the OAPServer goes onto the pod template (a new CA rolls OAP)', () => {
    const [a] = deployments(oap(es, { [STORAGE_CA_CHECKSUM_ANNOTATION]: 'aaaa' }));
    const [b] = deployments(oap(es, { [STORAGE_CA_CHECKSUM_ANNOTATION]: 'bbbb' }));
    expect(a.spec.template.metadata.annotations[STORAGE_CA_CHECKSUM_ANNOTATION]).toBe('aaaa');
    expect(b.spec.template.metadata.annotations[STORAGE_CA_CHECKSUM_ANNOTATION]).toBe('bbbb');
  });

  it('a value set in the spec config wins; SSL parameters already in the JDBC URL are left alone', () => {
    const [d] = deployments(oap([...es, { name: 'SW_STORAGE_ES_SSL_JKS_PATH', value: '/custom.jks' }]));
    expect(envOf(d.spec.template.spec.containers[0]).SW_STORAGE_ES_SSL_JKS_PATH).toBe('/custom.jks');
    expect(jdbcUrlWithTls('jdbc:postgresql://pg/db?sslmode=require', 'postgresql')).toBe('jdbc:postgresql://pg/db?sslmode=require');
    expect(jdbcUrlWithTls('jdbc:mysql://m/db?sslMode=REQUIRED', 'mysql')).toBe('jdbc:mysql://m/db?sslMode=REQUIRED');
  });

  it('nothing without storage TLS, nor for BanyanDB', () => {
    const plain = oap(es);
    delete plain.metadata.annotations![STORAGE_TLS_ANNOTATION];
    const [d] = deployments(plain);
    expect(d.spec.template.spec.initContainers).toBeUndefined();
    expect(d.spec.template.spec.volumes).toBeUndefined();
    expect(envOf(d.spec.template.spec.containers[0]).SW_STORAGE_ES_HTTP_PROTOCOL).toBeUndefined();
    const [b] = deployments(oap([{ name: 'SW_STORAGE', value: 'banyandb' }]));
    expect(b.spec.template.spec.initContainers).toBeUndefined();
    expect(storageTlsOf({ metadata: { name: 'x', annotations: { [STORAGE_TLS_ANNOTATION]: 'not json' } } })).toBeUndefined();
  });
});

describe('validateBackendSpec: storage.external.tls', () => {
  const base = { name: 'sky', namespace: 'obs', cluster: 'c', version: '10.2.0' };
  const withTls = (tls: unknown, type = 'elasticsearch') => validateBackendSpec({ ...base, storage: { type, external: { address: 'es:9200', secretName: 'es-cred', tls } } });

  it('accepts a CA Secret, with or without its key', () => {
    expect(withTls({ caSecretName: 'es-ca' })).toEqual([]);
    expect(withTls({ caSecretName: 'corp.root-ca', caKey: 'root_ca.pem' }, 'tidb')).toEqual([]);
    expect(withTls({ caSecretName: 'pg-ca' }, 'postgresql')).toEqual([]);
  });

  it('names the field of each problem', () => {
    expect(withTls(true)).toEqual([{ path: 'storage.external.tls', message: expect.stringContaining('must be an object') }]);
    expect(withTls({})).toEqual([{ path: 'storage.external.tls.caSecretName', message: expect.stringContaining('is required') }]);
    expect(withTls({ caSecretName: 'Not_A_Name' })).toEqual([{ path: 'storage.external.tls.caSecretName', message: '"Not_A_Name" is not a Secret name' }]);
    expect(withTls({ caSecretName: 'es-ca', caKey: 'a/b' })).toEqual([{ path: 'storage.external.tls.caKey', message: expect.stringContaining('is not a Secret key') }]);
    expect(withTls({ caSecretName: 'es-ca', caKey: '' }).map(e => e.path)).toEqual(['storage.external.tls.caKey']);
    // no switch to skip host name verification, nor inline certificates
    expect(withTls({ caSecretName: 'es-ca', insecureSkipHostnameVerify: true, ca: '-----BEGIN' }).map(e => e.path)).toEqual([
      'storage.external.tls.insecureSkipHostnameVerify',
      'storage.external.tls.ca',
    ]);
  });
});
