/**
 * TLS of a portal backend, pure: names of its certificate Secrets, the DNS
 * names its certificates carry, and what the OAP and BanyanDB pods need to
 * serve (and trust) TLS. The plugin issues the certificates (BackendTls);
 * the renderers only mount them.
 *
 * Settings used, each checked against its project:
 * - OAP core gRPC server: `SW_CORE_GRPC_SSL_ENABLED`, `SW_CORE_GRPC_SSL_KEY_PATH`,
 *   `SW_CORE_GRPC_SSL_CERT_CHAIN_PATH`, `SW_CORE_GRPC_SSL_TRUSTED_CA_PATH`
 *   (apache/skywalking oap-server/server-starter/src/main/resources/application.yml,
 *   core.default.gRPCSsl*; docs/en/setup/backend/grpc-security.md: the key is
 *   PKCS#8 PEM, the trusted CA is what the OAP's own gRPC client uses to
 *   verify its peers in cluster mode; this is TLS, not mTLS: agents need
 *   only the CA).
 * - OAP to BanyanDB: `SW_STORAGE_BANYANDB_SSL_TRUST_CA_PATH`
 *   (apache/skywalking oap-server/server-starter/src/main/resources/bydb.yml, sslTrustCAPath).
 * - BanyanDB gRPC server: `--tls`, `--cert-file`, `--key-file`, and
 *   `--http-grpc-cert-file` for its HTTP gateway's own gRPC client
 *   (skywalking.apache.org/docs/skywalking-banyandb/v0.8.0/operation/security).
 */
import type { BackendTls } from '../backendSpec';

/** The spec's `tls` (JSON) recorded on the OAPServer and BanyanDB objects. */
export const TLS_ANNOTATION = 'skywalking-backstage.io/tls';
/**
 * A checksum of the serving certificate Secret's content, set on the custom
 * objects by the certificate code and copied onto the pod templates: a new
 * certificate rolls the pods.
 */
export const TLS_CHECKSUM_ANNOTATION = 'skywalking-backstage.io/tls-checksum';
/** Pod annotation naming the ConfigMap with the backend's CA (ca.crt) for the agent's ca/ directory. */
export const AGENT_CA_CONFIGMAP_ANNOTATION = 'skywalking-backstage.io/agent-ca-configmap';

/** Where the OAP and BanyanDB containers see their certificate Secret. */
export const TLS_MOUNT_PATH = '/skywalking/tls';
export const TLS_VOLUME_NAME = 'skywalking-tls';

/** Names of a backend's CA and serving certificate Secrets (and cert-manager Certificates). */
export function tlsNames(name: string) {
  return {
    ca: `${name}-ca`,
    oap: `${name}-oap-tls`,
    banyandb: `${name}-banyandb-tls`,
  };
}

/**
 * The ConfigMap (ca.crt only) the agents of a workload namespace trust a
 * backend by. Named with the backend's namespace too: two backends of the
 * same name in different namespaces have different CAs.
 */
export const agentCaConfigMapName = (backend: { namespace: string; name: string }) =>
  `skywalking-ca-${backend.namespace}-${backend.name}`.slice(0, 253).replace(/[-.]+$/, '');

function serviceNames(service: string, ns: string): string[] {
  return [service, `${service}.${ns}`, `${service}.${ns}.svc`, `${service}.${ns}.svc.cluster.local`];
}

/**
 * DNS names of the OAP certificate: the `<name>-oap` Service agents and
 * Rover reach (the Receivers when split), and with role split the
 * Aggregators' `<name>-oap-query` Service too (render.ts names them).
 */
export function oapDnsNames(name: string, ns: string, roleSplit: boolean): string[] {
  return [...serviceNames(`${name}-oap`, ns), ...(roleSplit ? serviceNames(`${name}-oap-query`, ns) : [])];
}

/**
 * DNS names of the BanyanDB certificate: its gRPC Service, which the OAP's
 * targets name, and localhost for the HTTP gateway's own gRPC client.
 */
export function banyandbDnsNames(name: string, ns: string): string[] {
  return [...serviceNames(`${name}-banyandb-grpc`, ns), 'localhost'];
}

type Annotated = { metadata: { annotations?: Record<string, string> } };

/** The TLS recorded on a custom object, when enabled. */
export function tlsOf(cr: Annotated): BackendTls | undefined {
  const raw = cr.metadata.annotations?.[TLS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) && v.enabled === true ? (v as BackendTls) : undefined;
  } catch {
    return undefined;
  }
}

const file = (key: string) => `${TLS_MOUNT_PATH}/${key}`;

/**
 * What an OAP Deployment's pod template gets with TLS on: the certificate
 * Secret mounted read-only, the core gRPC SSL env, the BanyanDB trust CA
 * when the storage is BanyanDB, and the certificate checksum. Mutates the
 * (freshly rendered) Deployment.
 */
export function addOapTls(cr: Annotated & { metadata: { name: string }; spec: any }, deployment: any): void {
  if (!tlsOf(cr)) return;
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const env: { name: string; value: string }[] = [
    { name: 'SW_CORE_GRPC_SSL_ENABLED', value: 'true' },
    { name: 'SW_CORE_GRPC_SSL_KEY_PATH', value: file('tls.key') },
    { name: 'SW_CORE_GRPC_SSL_CERT_CHAIN_PATH', value: file('tls.crt') },
    { name: 'SW_CORE_GRPC_SSL_TRUSTED_CA_PATH', value: file('ca.crt') },
  ];
  const storage = (cr.spec?.config ?? []).find((c: any) => c?.name === 'SW_STORAGE')?.value;
  // the BanyanDB certificate comes from the same CA (ca.crt of the OAP's Secret)
  if (storage === 'banyandb') env.push({ name: 'SW_STORAGE_BANYANDB_SSL_TRUST_CA_PATH', value: file('ca.crt') });
  const given = new Set((container.env ?? []).map((e: any) => e.name));
  // a value set in the spec's config wins
  container.env = [...(container.env ?? []), ...env.filter(e => !given.has(e.name))];
  mountSecret(pod, container, tlsNames(cr.metadata.name).oap);
  stampChecksum(cr, pod);
}

/** BanyanDB serves gRPC with its certificate (HTTP stays plain: the readiness probe uses it). Mutates the StatefulSet. */
export function addBanyanDBTls(cr: Annotated & { metadata: { name: string } }, statefulSet: any): void {
  if (!tlsOf(cr)) return;
  const pod = statefulSet.spec.template;
  const container = pod.spec.containers[0];
  container.args = [
    ...(container.args ?? []),
    '--tls=true',
    `--cert-file=${file('tls.crt')}`,
    `--key-file=${file('tls.key')}`,
    // the HTTP gateway's client to the local gRPC server trusts this ("should be the same as the cert-file")
    `--http-grpc-cert-file=${file('tls.crt')}`,
  ];
  mountSecret(pod, container, tlsNames(cr.metadata.name).banyandb);
  stampChecksum(cr, pod);
}

function mountSecret(pod: any, container: any, secretName: string) {
  pod.spec.volumes = [...(pod.spec.volumes ?? []), { name: TLS_VOLUME_NAME, secret: { secretName } }];
  container.volumeMounts = [...(container.volumeMounts ?? []), { name: TLS_VOLUME_NAME, mountPath: TLS_MOUNT_PATH, readOnly: true }];
}

function stampChecksum(cr: Annotated, pod: any) {
  const sum = cr.metadata.annotations?.[TLS_CHECKSUM_ANNOTATION];
  if (!sum) return;
  pod.metadata = pod.metadata ?? {};
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [TLS_CHECKSUM_ANNOTATION]: sum };
}
