/**
 * Certificates of portal backends with `tls.enabled`: a CA per backend and
 * serving certificates for OAP's gRPC and BanyanDB, kept in Kubernetes
 * Secrets owned by the backend's custom objects (garbage collected with
 * them), issued and renewed here; or, with `tls.certManager`, cert-manager
 * Certificates that cert-manager issues into Secrets of the same names.
 *
 * Key material only ever goes from this process to the API server: it is
 * never logged, never stored in the portal database, never returned by the
 * API. What the pods need is rendered from the Secret names (operator/tls.ts);
 * a checksum of each certificate Secret (public part only) is recorded on its
 * custom object, so a new certificate rolls the pods.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BackendRef,
  banyandbDnsNames,
  BackendTls as BackendTlsSpec,
  oapDnsNames,
  roleSplitOf,
  TLS_CHECKSUM_ANNOTATION,
  tlsNames,
  tlsOf,
} from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { loadK8s } from '../clusters/k8s';
import { SWCK_API_VERSION, SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';
import { certificateInfo, generateCa, isSignedBy, issueCertificate, splitPemBundle } from '../webhook/certificates';
import {
  CA_VALIDITY_MS,
  caBundle,
  CERT_MANAGER_DURATION,
  CERT_MANAGER_RENEW_BEFORE,
  needsRotation,
  sameNames,
  SERVING_VALIDITY_MS,
  tlsChecksum,
} from './tlsPolicy';
import { sweepOapServers } from './sweepOapServers';

/** Field manager of the Secrets, Certificates and checksum annotations written here. */
export const TLS_FIELD_MANAGER = 'skywalking-backstage-tls';
/** Label on every certificate Secret and Certificate of a backend (value: the backend's name). */
export const TLS_OF_LABEL = 'skywalking-backstage.io/tls-of';
export const CERT_MANAGER_API_VERSION = 'cert-manager.io/v1';

type Obj = { apiVersion: string; kind: string; metadata: any; spec?: any; data?: Record<string, string>; type?: string };
type Kind = 'OAPServer' | 'BanyanDB';
const PLURAL: Record<Kind, string> = { OAPServer: 'oapservers', BanyanDB: 'banyandbs' };

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
const ignore404 = (e: any) => {
  if (e?.code !== 404) throw e;
};

export interface BackendTlsOptions {
  clusters: ClusterRegistry;
  logger: LoggerService;
  /** the clock (tests) */
  now?: () => Date;
  /** lifetime of new serving certificates (tests issue short-lived ones) */
  servingValidityMs?: number;
  caValidityMs?: number;
}

export class BackendTls {
  constructor(private readonly o: BackendTlsOptions) {}

  private now() {
    return this.o.now?.() ?? new Date();
  }

  private c(cluster: string) {
    return this.o.clusters.clients(cluster);
  }

  private async readCR(ref: BackendRef, kind: Kind): Promise<Obj | undefined> {
    try {
      const o: any = await this.c(ref.cluster).custom.getNamespacedCustomObject({
        group: SWCK_GROUP,
        version: SWCK_VERSION,
        namespace: ref.namespace,
        plural: PLURAL[kind],
        name: ref.name,
      });
      return { ...o, kind };
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw e;
    }
  }

  private async readSecret(ref: BackendRef, name: string): Promise<Record<string, string> | undefined> {
    try {
      const s = await this.c(ref.cluster).core.readNamespacedSecret({ namespace: ref.namespace, name });
      return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, unb64(v)!]));
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw e;
    }
  }

  private async apply(cluster: string, o: Obj) {
    const k8s = await loadK8s();
    return this.c(cluster).objects.patch(o as any, undefined, undefined, TLS_FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
  }

  private labels(ref: BackendRef) {
    return { 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/part-of': ref.name, [TLS_OF_LABEL]: ref.name };
  }

  private owner(cr: Obj) {
    // no controller: the reconcile engine prunes only what it controls
    return [{ apiVersion: SWCK_API_VERSION, kind: cr.kind, name: cr.metadata.name, uid: cr.metadata.uid }];
  }

  private async writeSecret(ref: BackendRef, name: string, owner: Obj, type: string, data: Record<string, string>) {
    await this.apply(ref.cluster, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ref.namespace, labels: this.labels(ref), ownerReferences: this.owner(owner) },
      type,
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    });
  }

  /** Records the certificate checksum on the custom object (its pods roll when it changes). */
  private async stamp(ref: BackendRef, cr: Obj, sum: string | undefined): Promise<boolean> {
    if (cr.metadata.annotations?.[TLS_CHECKSUM_ANNOTATION] === sum) return false;
    await this.apply(ref.cluster, {
      apiVersion: SWCK_API_VERSION,
      kind: cr.kind,
      // without the annotation: this manager lets go of it
      metadata: { name: ref.name, namespace: ref.namespace, ...(sum ? { annotations: { [TLS_CHECKSUM_ANNOTATION]: sum } } : {}) },
    });
    return true;
  }

  /**
   * Brings a backend's certificates in line with the TLS recorded on its
   * OAPServer: issues what is missing, renews what is due, reissues a
   * certificate whose names changed (role split on or off); or removes
   * them all when TLS is off. Returns what changed (names, no content).
   */
  async reconcile(ref: BackendRef): Promise<string[]> {
    const [oap, db] = await Promise.all([this.readCR(ref, 'OAPServer'), this.readCR(ref, 'BanyanDB')]);
    if (!oap) return [];
    const tls = tlsOf(oap);
    if (!tls) return this.remove(ref, oap, db);
    return tls.certManager ? this.certManager(ref, oap, db, tls) : this.selfIssued(ref, oap, db);
  }

  private targets(ref: BackendRef, oap: Obj, db: Obj | undefined) {
    const names = tlsNames(ref.name);
    return [
      { cr: oap, secret: names.oap, commonName: `${ref.name}-oap`, dnsNames: oapDnsNames(ref.name, ref.namespace, !!roleSplitOf(oap as any)) },
      ...(db ? [{ cr: db, secret: names.banyandb, commonName: `${ref.name}-banyandb-grpc`, dnsNames: banyandbDnsNames(ref.name, ref.namespace) }] : []),
    ];
  }

  private async selfIssued(ref: BackendRef, oap: Obj, db: Obj | undefined): Promise<string[]> {
    const now = this.now();
    const names = tlsNames(ref.name);
    const changed: string[] = [];

    // the CA: kept until within a year of expiry, then a new one; the old stays in ca.crt while valid
    const stored = await this.readSecret(ref, names.ca);
    const storedCas = splitPemBundle(stored?.['ca.crt'] ?? '');
    let ca: { certPem: string; keyPem: string };
    let bundle: string;
    const currentInfo = storedCas.length ? certificateInfo(storedCas[0]) : undefined;
    if (!currentInfo || !stored?.['ca.key'] || needsRotation({ ...currentInfo, isCA: true }, now)) {
      ca = generateCa({ commonName: `${ref.name}.${ref.namespace} SkyWalking CA`, validityMs: this.o.caValidityMs ?? CA_VALIDITY_MS, now });
      bundle = caBundle(ca.certPem, storedCas.map(pem => ({ pem, notAfter: certificateInfo(pem).notAfter })), now);
      changed.push(`Secret ${names.ca} (${currentInfo ? 'CA renewed, the previous one kept in ca.crt' : 'CA created'})`);
    } else {
      ca = { certPem: storedCas[0], keyPem: stored['ca.key'] };
      bundle = caBundle(ca.certPem, storedCas.slice(1).map(pem => ({ pem, notAfter: certificateInfo(pem).notAfter })), now);
      if (bundle !== stored['ca.crt']) changed.push(`Secret ${names.ca} (expired CA dropped from ca.crt)`);
    }
    if (changed.length) await this.writeSecret(ref, names.ca, oap, 'Opaque', { 'ca.crt': bundle, 'ca.key': ca.keyPem });
    const trusted = splitPemBundle(bundle);

    for (const t of this.targets(ref, oap, db)) {
      const have = await this.readSecret(ref, t.secret);
      const info = have?.['tls.crt'] ? certificateInfo(have['tls.crt']) : undefined;
      // a certificate of the previous CA stays while that CA is trusted; it moves to the new CA at its own renewal
      const reissue =
        !info ||
        !have?.['tls.key'] ||
        needsRotation(info, now) ||
        !sameNames(info.dnsNames, t.dnsNames) ||
        !trusted.some(c => isSignedBy(have['tls.crt'], c));
      let data: Record<string, string> | undefined;
      if (reissue) {
        const cert = issueCertificate({ ca, commonName: t.commonName, dnsNames: t.dnsNames, validityMs: this.o.servingValidityMs ?? SERVING_VALIDITY_MS, now });
        data = { 'tls.crt': cert.certPem, 'tls.key': cert.keyPem, 'ca.crt': bundle };
        changed.push(`Secret ${t.secret} (${info ? 'renewed' : 'issued'}, valid until ${cert.notAfter.toISOString()})`);
      } else if (have!['ca.crt'] !== bundle) {
        data = { 'tls.crt': have!['tls.crt'], 'tls.key': have!['tls.key'], 'ca.crt': bundle };
        changed.push(`Secret ${t.secret} (ca.crt updated)`);
      }
      if (data) await this.writeSecret(ref, t.secret, t.cr, 'kubernetes.io/tls', data);
      if (await this.stamp(ref, t.cr, tlsChecksum(data ?? have!))) changed.push(`${t.cr.kind} ${ref.name} (certificate checksum)`);
    }
    // switched from cert-manager: its Certificates go (their Secrets were just rewritten)
    await this.deleteCertificates(ref);
    if (changed.length) this.o.logger.info(`TLS of backend ${ref.cluster}/${ref.namespace}/${ref.name}: ${changed.join('; ')}`);
    return changed;
  }

  private async certManager(ref: BackendRef, oap: Obj, db: Obj | undefined, tls: BackendTlsSpec): Promise<string[]> {
    const issuer = tls.certManager!.issuerRef;
    const changed: string[] = [];
    for (const t of this.targets(ref, oap, db)) {
      const certificate: Obj = {
        apiVersion: CERT_MANAGER_API_VERSION,
        kind: 'Certificate',
        metadata: { name: t.secret, namespace: ref.namespace, labels: this.labels(ref), ownerReferences: this.owner(t.cr) },
        spec: {
          secretName: t.secret,
          secretTemplate: { labels: this.labels(ref) },
          issuerRef: { name: issuer.name, kind: issuer.kind, group: issuer.group ?? 'cert-manager.io' },
          commonName: t.commonName,
          dnsNames: t.dnsNames,
          duration: CERT_MANAGER_DURATION,
          renewBefore: CERT_MANAGER_RENEW_BEFORE,
          // OAP reads a PKCS#8 key
          privateKey: { algorithm: 'RSA', size: 2048, encoding: 'PKCS8', rotationPolicy: 'Always' },
          usages: ['server auth', 'digital signature', 'key encipherment'],
        },
      };
      try {
        await this.apply(ref.cluster, certificate);
      } catch (e: any) {
        if (e?.code === 404) {
          throw new Error(`cert-manager is not installed in cluster ${ref.cluster} (no ${CERT_MANAGER_API_VERSION} Certificate); install it or turn tls.certManager off`);
        }
        throw e;
      }
      // cert-manager writes the Secret (tls.crt, tls.key, ca.crt); its checksum rolls the pods on renewal
      const have = await this.readSecret(ref, t.secret);
      if (have?.['tls.crt'] && (await this.stamp(ref, t.cr, tlsChecksum(have)))) changed.push(`${t.cr.kind} ${ref.name} (certificate checksum)`);
    }
    // switched from plugin-issued: the plugin's CA goes
    await this.c(ref.cluster).core.deleteNamespacedSecret({ namespace: ref.namespace, name: tlsNames(ref.name).ca }).catch(ignore404);
    return changed;
  }

  private async deleteCertificates(ref: BackendRef) {
    const custom = this.c(ref.cluster).custom;
    for (const name of [tlsNames(ref.name).oap, tlsNames(ref.name).banyandb]) {
      await custom
        .deleteNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: ref.namespace, plural: 'certificates', name })
        .catch(ignore404); // 404 also when cert-manager is not installed
    }
  }

  /** TLS off (or the backend deleted): the certificate Secrets and Certificates go, the checksum annotations are released. */
  async remove(ref: BackendRef, oap?: Obj, db?: Obj): Promise<string[]> {
    const changed: string[] = [];
    const core = this.c(ref.cluster).core;
    const secrets = await core.listNamespacedSecret({ namespace: ref.namespace, labelSelector: `${TLS_OF_LABEL}=${ref.name}` });
    for (const s of secrets.items) {
      await core.deleteNamespacedSecret({ namespace: ref.namespace, name: s.metadata!.name! }).catch(ignore404);
      changed.push(`Secret ${s.metadata!.name} deleted`);
    }
    if (changed.length) await this.deleteCertificates(ref);
    for (const cr of [oap, db]) {
      if (cr?.metadata?.annotations?.[TLS_CHECKSUM_ANNOTATION] && (await this.stamp(ref, cr, undefined))) changed.push(`${cr.kind} ${ref.name} (checksum released)`);
    }
    if (changed.length) this.o.logger.info(`TLS of backend ${ref.cluster}/${ref.namespace}/${ref.name} removed: ${changed.join('; ')}`);
    return changed;
  }

  /**
   * The scheduled renewal: every backend with TLS (or left-over TLS
   * objects) in every reachable cluster is reconciled. One failing backend
   * does not stop the others.
   */
  async rotateAll(): Promise<{ backends: number; changed: string[]; errors: string[] }> {
    return sweepOapServers(this.o, 'TLS rotation', oap => Boolean(tlsOf(oap) || oap.metadata?.annotations?.[TLS_CHECKSUM_ANNOTATION]), ref => this.reconcile(ref));
  }

  /**
   * The CA bundle (ca.crt, public) agents of a backend trust; undefined when
   * the backend has no TLS. Throws while TLS is on but no certificate is
   * issued yet (an agent without the CA could not connect).
   */
  async agentCa(ref: BackendRef): Promise<string | undefined> {
    const oap = await this.readCR(ref, 'OAPServer');
    if (!oap || !tlsOf(oap)) return undefined;
    const ca = (await this.readSecret(ref, tlsNames(ref.name).oap))?.['ca.crt'];
    if (!ca) throw Object.assign(new Error(`the TLS certificate of backend ${ref.namespace}/${ref.name} is not issued yet; try again shortly`), { code: 409 });
    return ca;
  }
}
