/*
 * The webhook's CA, shared by every replica of the portal through one
 * Kubernetes Secret (security review H4: each replica made its own CA and
 * the last registration won). Created with create-only semantics, so that
 * replicas racing at first start all end up with the one CA that was stored;
 * rotated with an optimistic-concurrency replace, so that only one new CA is
 * made. The Secret also holds the caBundle: the current CA first, then older
 * CAs until they expire, so serving certificates of either keep working
 * while replicas switch.
 */
import type * as K8s from '@kubernetes/client-node';
import { loadK8s } from '../clusters/k8s';
import { certificateInfo, IssuedCertificate, splitPemBundle } from './certificates';

export interface CaSecretRef {
  namespace: string;
  name: string;
}

export interface WebhookCa {
  certPem: string;
  keyPem: string;
  /** PEM bundle for the webhook's caBundle: this CA first, then older ones still valid */
  bundlePem: string;
  notBefore: Date;
  notAfter: Date;
  /** of the Secret it was read from */
  resourceVersion?: string;
}

const CERT = 'ca.crt';
const KEY = 'ca.key';
const BUNDLE = 'ca-bundle.crt';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : '');
const code = (e: unknown) => (e as { code?: number })?.code;

/** The new CA first, then the certificates of the old bundle that are still valid and not the new one. */
export function bundleWith(ca: IssuedCertificate, previousBundle: string, now = new Date()): string {
  const newSerial = certificateInfo(ca.certPem).serial;
  const kept = splitPemBundle(previousBundle).filter(pem => {
    const info = certificateInfo(pem);
    return info.serial !== newSerial && info.notAfter.getTime() > now.getTime();
  });
  return [ca.certPem, ...kept].map(p => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}

function fromSecret(s: K8s.V1Secret, ref: CaSecretRef): WebhookCa {
  const certPem = unb64(s.data?.[CERT]);
  const keyPem = unb64(s.data?.[KEY]);
  if (!certPem || !keyPem) throw new Error(`Secret ${ref.namespace}/${ref.name} has no ${CERT} and ${KEY}: it is not a webhook CA`);
  const info = certificateInfo(certPem);
  const bundle = unb64(s.data?.[BUNDLE]);
  return {
    certPem,
    keyPem,
    bundlePem: bundle.includes(certPem.trim()) ? bundle : `${certPem}${bundle}`,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    resourceVersion: s.metadata?.resourceVersion,
  };
}

function secretBody(ref: CaSecretRef, ca: IssuedCertificate, bundlePem: string, resourceVersion?: string): K8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/component': 'webhook-ca' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: 'Opaque',
    data: { [CERT]: b64(ca.certPem), [KEY]: b64(ca.keyPem), [BUNDLE]: b64(bundlePem) },
  };
}

/** Reads the shared CA; undefined when the Secret does not exist. */
export async function readCa(kc: K8s.KubeConfig, ref: CaSecretRef): Promise<WebhookCa | undefined> {
  const k8s = await loadK8s();
  try {
    return fromSecret(await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret(ref), ref);
  } catch (e) {
    if (code(e) === 404) return undefined;
    throw e;
  }
}

/**
 * The shared CA: read, or created when absent. Creation never overwrites:
 * a replica that loses the race reads the winner's CA.
 */
export async function loadOrCreateCa(kc: K8s.KubeConfig, ref: CaSecretRef, generate: () => IssuedCertificate): Promise<WebhookCa> {
  const existing = await readCa(kc, ref);
  if (existing) return existing;
  const k8s = await loadK8s();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ref.namespace } } }).catch(e => {
    if (code(e) !== 409 && code(e) !== 403) throw e;
  });
  const ca = generate();
  try {
    return fromSecret(await core.createNamespacedSecret({ namespace: ref.namespace, body: secretBody(ref, ca, ca.certPem) }), ref);
  } catch (e) {
    if (code(e) !== 409) throw e;
    const winner = await readCa(kc, ref);
    if (!winner) throw new Error(`Secret ${ref.namespace}/${ref.name} was created and deleted while this replica created it`);
    return winner;
  }
}

/**
 * Replaces the CA with a new one, keeping the old one (and any other still
 * valid) in the bundle. Conditional on the resourceVersion `current` was
 * read at: when another replica rotated first, its CA is returned instead.
 */
export async function rotateCa(
  kc: K8s.KubeConfig,
  ref: CaSecretRef,
  current: WebhookCa,
  generate: () => IssuedCertificate,
  now = new Date(),
): Promise<WebhookCa> {
  const k8s = await loadK8s();
  const ca = generate();
  const body = secretBody(ref, ca, bundleWith(ca, current.bundlePem, now), current.resourceVersion);
  try {
    return fromSecret(await kc.makeApiClient(k8s.CoreV1Api).replaceNamespacedSecret({ ...ref, body }), ref);
  } catch (e) {
    if (code(e) !== 409) throw e;
    const winner = await readCa(kc, ref);
    if (!winner) throw new Error(`Secret ${ref.namespace}/${ref.name} disappeared during rotation`);
    return winner;
  }
}
