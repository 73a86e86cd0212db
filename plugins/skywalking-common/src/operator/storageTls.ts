/**
 * TLS from OAP to external storage, pure: what the OAP Deployments need to
 * verify the storage server against the CA the spec names
 * (`storage.external.tls`, recorded on the OAPServer as STORAGE_TLS_ANNOTATION).
 *
 * Settings used, each checked against its project:
 * - Elasticsearch (SkyWalking application.yml, storage.elasticsearch):
 *   `SW_STORAGE_ES_HTTP_PROTOCOL` (protocol), `SW_STORAGE_ES_SSL_JKS_PATH`
 *   (trustStorePath), `SW_STORAGE_ES_SSL_JKS_PASS` (trustStorePass). Java
 *   wants a keystore, not PEM: an init container of the OAP image itself
 *   (its JRE has keytool) imports the CA into a JKS truststore on an emptyDir.
 * - MySQL / TiDB (MySQL Connector/J, SW_JDBC_URL): `sslMode`,
 *   `trustCertificateKeyStoreUrl`, `trustCertificateKeyStoreType`,
 *   `trustCertificateKeyStorePassword`, the same truststore. The password is
 *   not written into the URL: the URL holds `$(SW_STORAGE_TRUSTSTORE_PASSWORD)`,
 *   a Kubernetes dependent environment variable the kubelet expands from the
 *   env var defined before it (valueFrom secretKeyRef), so the OAPServer,
 *   the Deployment and any ConfigMap hold only the reference. The alternative,
 *   Connector/J's fallback to `javax.net.ssl.trustStore*` system properties
 *   (JAVA_OPTS), was not taken: it only applies without
 *   trustCertificateKeyStoreUrl and replaces the JVM's default truststore for
 *   every TLS client in OAP (alarm webhooks to public HTTPS endpoints would
 *   stop verifying). `VERIFY_IDENTITY` (CA and host name) rather than
 *   `VERIFY_CA`: like verify-full for PostgreSQL, a certificate the CA issued
 *   to another server is refused.
 * - PostgreSQL (pgjdbc, SW_JDBC_URL): `sslmode=verify-full` and `sslrootcert`
 *   reading the PEM directly: the CA is mounted, no truststore.
 *
 * The truststore password lives in a Secret the plugin creates once per
 * backend (storageTruststoreSecretName, service/StorageTls.ts) and keeps.
 */
import type { ExternalStorageTls } from '../backendSpec';

/** The spec's `storage.external.tls` (JSON) recorded on the OAPServer. */
export const STORAGE_TLS_ANNOTATION = 'skywalking-backstage.io/storage-tls';
/**
 * A checksum of the storage CA (the Secret's key), set on the OAPServer by
 * the plugin and copied onto the pod templates: a new CA rolls OAP (the
 * truststore is built when a pod starts).
 */
export const STORAGE_CA_CHECKSUM_ANNOTATION = 'skywalking-backstage.io/storage-ca-checksum';

export const DEFAULT_STORAGE_CA_KEY = 'ca.crt';
/** Where the CA Secret is mounted (its key as ca.crt). */
export const STORAGE_CA_MOUNT_PATH = '/skywalking/storage-ca';
export const STORAGE_CA_FILE = `${STORAGE_CA_MOUNT_PATH}/ca.crt`;
/** The emptyDir the init container writes the truststore to. */
export const STORAGE_TRUSTSTORE_DIR = '/skywalking/storage-truststore';
export const STORAGE_TRUSTSTORE_FILE = `${STORAGE_TRUSTSTORE_DIR}/truststore.jks`;
/** The env var holding the truststore password (from the Secret), in the init and OAP containers. */
export const STORAGE_TRUSTSTORE_PASSWORD_ENV = 'SW_STORAGE_TRUSTSTORE_PASSWORD';
/** The key of the password in the truststore Secret. */
export const STORAGE_TRUSTSTORE_PASSWORD_KEY = 'password';
export const STORAGE_TRUSTSTORE_INIT_CONTAINER = 'storage-truststore';
const CA_VOLUME = 'storage-ca';
const TRUSTSTORE_VOLUME = 'storage-truststore';

/** The Secret with the truststore password of a backend (created by the plugin, owned by its OAPServer). */
export const storageTruststoreSecretName = (backend: string) => `${backend}-storage-truststore`;

/**
 * The init container's script: the CA PEM imported into a fresh JKS
 * truststore (a restarted pod finds the old one on the emptyDir: removed
 * first, keytool refuses an alias that exists). Paths and the password come
 * from env; `-storepass:env` keeps the password off the command line.
 * keytool imports the first certificate of the file.
 */
export const STORAGE_TRUSTSTORE_SCRIPT = [
  'set -e',
  'rm -f "$STORAGE_TRUSTSTORE"',
  `keytool -importcert -noprompt -alias storage-ca -file "$STORAGE_CA_FILE" -keystore "$STORAGE_TRUSTSTORE" -storetype JKS -storepass:env ${STORAGE_TRUSTSTORE_PASSWORD_ENV}`,
].join('\n');

type Annotated = { metadata: { name: string; annotations?: Record<string, string> } };

/** The storage TLS recorded on an OAPServer, when asked for. */
export function storageTlsOf(cr: Annotated): ExternalStorageTls | undefined {
  const raw = cr.metadata.annotations?.[STORAGE_TLS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) && typeof v.caSecretName === 'string' && v.caSecretName ? (v as ExternalStorageTls) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether OAP's client for this storage (SW_STORAGE) needs a Java truststore: Elasticsearch and MySQL/TiDB do, PostgreSQL reads PEM. */
export function storageNeedsTruststore(storage: string | undefined): boolean {
  return storage === 'elasticsearch' || storage === 'mysql';
}

/** The TLS parameters of a JDBC URL for the storage, appended unless the URL already sets its SSL mode. */
export function jdbcUrlWithTls(url: string, storage: string): string {
  const sep = url.includes('?') ? '&' : '?';
  if (storage === 'postgresql') {
    if (/[?&]sslmode=/i.test(url)) return url;
    return `${url}${sep}sslmode=verify-full&sslrootcert=${STORAGE_CA_FILE}`;
  }
  if (/[?&](sslMode|useSSL)=/i.test(url)) return url;
  return (
    `${url}${sep}sslMode=VERIFY_IDENTITY&trustCertificateKeyStoreUrl=file:${STORAGE_TRUSTSTORE_FILE}` +
    `&trustCertificateKeyStoreType=JKS&trustCertificateKeyStorePassword=$(${STORAGE_TRUSTSTORE_PASSWORD_ENV})`
  );
}

/**
 * What an OAP Deployment's pod template gets with storage TLS recorded: the
 * CA Secret mounted, and for Elasticsearch and MySQL/TiDB the truststore
 * init container, its emptyDir and the password env from the truststore
 * Secret; the storage's TLS env or JDBC URL parameters; the CA checksum.
 * Reads the storage from the container's SW_STORAGE (BanyanDB and H2: nothing).
 * Mutates the (freshly rendered) Deployment.
 */
export function addStorageTls(cr: Annotated, deployment: any): void {
  const tls = storageTlsOf(cr);
  if (!tls) return;
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const env: any[] = container.env ?? [];
  const storage = env.find(e => e?.name === 'SW_STORAGE')?.value;
  if (storage !== 'elasticsearch' && storage !== 'mysql' && storage !== 'postgresql') return;
  const caVolume = { name: CA_VOLUME, secret: { secretName: tls.caSecretName, items: [{ key: tls.caKey ?? DEFAULT_STORAGE_CA_KEY, path: 'ca.crt' }] } };
  const caMount = { name: CA_VOLUME, mountPath: STORAGE_CA_MOUNT_PATH, readOnly: true };
  pod.spec.volumes = [...(pod.spec.volumes ?? []), caVolume];
  const given = new Set(env.map(e => e?.name));
  const trustPassword = () => ({
    valueFrom: { secretKeyRef: { name: storageTruststoreSecretName(cr.metadata.name), key: STORAGE_TRUSTSTORE_PASSWORD_KEY } },
  });
  // new objects, never the rendered ones: those are the custom object's own config, shared by both roles' Deployments
  let next: any[] = env.map(e => (e?.name === 'SW_JDBC_URL' && typeof e.value === 'string' ? { ...e, value: jdbcUrlWithTls(e.value, storage) } : e));
  if (storageNeedsTruststore(storage)) {
    const password = { name: STORAGE_TRUSTSTORE_PASSWORD_ENV, ...trustPassword() };
    pod.spec.volumes.push({ name: TRUSTSTORE_VOLUME, emptyDir: { sizeLimit: '1Mi' } });
    pod.spec.initContainers = [
      ...(pod.spec.initContainers ?? []),
      {
        name: STORAGE_TRUSTSTORE_INIT_CONTAINER,
        // the OAP image: its JRE has keytool
        image: container.image,
        imagePullPolicy: container.imagePullPolicy ?? 'IfNotPresent',
        command: ['sh', '-c', STORAGE_TRUSTSTORE_SCRIPT],
        env: [{ name: 'STORAGE_CA_FILE', value: STORAGE_CA_FILE }, { name: 'STORAGE_TRUSTSTORE', value: STORAGE_TRUSTSTORE_FILE }, { name: STORAGE_TRUSTSTORE_PASSWORD_ENV, ...trustPassword() }],
        volumeMounts: [caMount, { name: TRUSTSTORE_VOLUME, mountPath: STORAGE_TRUSTSTORE_DIR }],
      },
    ];
    container.volumeMounts = [...(container.volumeMounts ?? []), { name: TRUSTSTORE_VOLUME, mountPath: STORAGE_TRUSTSTORE_DIR, readOnly: true }];
    // first in the list: SW_JDBC_URL's $(SW_STORAGE_TRUSTSTORE_PASSWORD) expands only from env defined before it
    next = [password, ...next.filter(e => e?.name !== STORAGE_TRUSTSTORE_PASSWORD_ENV)];
  } else {
    container.volumeMounts = [...(container.volumeMounts ?? []), caMount];
  }
  if (storage === 'elasticsearch') {
    const es = [
      { name: 'SW_STORAGE_ES_HTTP_PROTOCOL', value: 'https' },
      { name: 'SW_STORAGE_ES_SSL_JKS_PATH', value: STORAGE_TRUSTSTORE_FILE },
      { name: 'SW_STORAGE_ES_SSL_JKS_PASS', ...trustPassword() },
    ];
    // a value set in the spec's config wins
    next.push(...es.filter(e => !given.has(e.name)));
  }
  container.env = next;
  const sum = cr.metadata.annotations?.[STORAGE_CA_CHECKSUM_ANNOTATION];
  if (sum) {
    pod.metadata = pod.metadata ?? {};
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [STORAGE_CA_CHECKSUM_ANNOTATION]: sum };
  }
}
