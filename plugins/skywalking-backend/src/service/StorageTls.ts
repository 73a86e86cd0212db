/**
 * TLS from OAP to external storage (`storage.external.tls`): what the
 * plugin keeps in the cluster beside the rendering (operator/storageTls.ts).
 *
 * - The truststore password: Elasticsearch and MySQL/TiDB read the CA from a
 *   JKS truststore the OAP pods build at start; its password is random,
 *   created once per backend into the Secret `<name>-storage-truststore`
 *   (owned by the OAPServer: garbage collected with it) and kept as long as
 *   storage TLS is on. It reaches the pods by secretKeyRef only: never in
 *   the spec, a ConfigMap, the portal database, a log or an API answer.
 * - The CA checksum: the CA Secret is the user's; a checksum of its CA is
 *   recorded on the OAPServer, so a changed CA rolls the OAP pods (checked
 *   on every create/update of the backend and by the scheduled reconcileAll).
 */
import { createHash, randomBytes } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BackendRef,
  DEFAULT_STORAGE_CA_KEY,
  STORAGE_CA_CHECKSUM_ANNOTATION,
  STORAGE_TRUSTSTORE_PASSWORD_KEY,
  storageNeedsTruststore,
  storageTlsOf,
  storageTruststoreSecretName,
} from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { loadK8s } from '../clusters/k8s';
import { SWCK_API_VERSION, SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';
import { sweepOapServers } from './sweepOapServers';

/** Field manager of the checksum annotation written here. */
export const STORAGE_TLS_FIELD_MANAGER = 'skywalking-backstage-storage-tls';
/** Label on the truststore Secret of a backend (value: the backend's name). */
export const STORAGE_TRUSTSTORE_OF_LABEL = 'skywalking-backstage.io/storage-truststore-of';

const ignore404 = (e: any) => {
  if (e?.code !== 404) throw e;
};

/** A checksum of the CA (the public certificate only). */
export function storageCaChecksum(caPem: string): string {
  return createHash('sha256').update(caPem).digest('hex').slice(0, 16);
}

export class StorageTls {
  constructor(private readonly o: { clusters: ClusterRegistry; logger: LoggerService }) {}

  private c(cluster: string) {
    return this.o.clusters.clients(cluster);
  }

  private async readOap(ref: BackendRef): Promise<any | undefined> {
    try {
      return await this.c(ref.cluster).custom.getNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural: 'oapservers', name: ref.name });
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw e;
    }
  }

  /**
   * Brings a backend's storage TLS objects in line with its OAPServer: the
   * truststore Secret created when missing (an existing one is kept as it
   * is) or deleted when no truststore is needed; the CA checksum recorded,
   * or released. Returns what changed (names, no content).
   */
  async reconcile(ref: BackendRef): Promise<string[]> {
    const oap = await this.readOap(ref);
    if (!oap) return [];
    const tls = storageTlsOf(oap);
    const storage = (oap.spec?.config ?? []).find((c: any) => c?.name === 'SW_STORAGE')?.value;
    const changed: string[] = [];
    const core = this.c(ref.cluster).core;
    const secret = storageTruststoreSecretName(ref.name);
    if (tls && storageNeedsTruststore(storage)) {
      if (await this.ensureTruststoreSecret(ref, oap)) changed.push(`Secret ${secret} (truststore password created)`);
    } else {
      const list = await core.listNamespacedSecret({ namespace: ref.namespace, labelSelector: `${STORAGE_TRUSTSTORE_OF_LABEL}=${ref.name}` });
      for (const s of list.items) {
        await core.deleteNamespacedSecret({ namespace: ref.namespace, name: s.metadata!.name! }).catch(ignore404);
        changed.push(`Secret ${s.metadata!.name} deleted`);
      }
    }
    let sum: string | undefined;
    if (tls) {
      // the user's Secret; not there yet: no checksum (the pods wait for the Secret anyway)
      const ca = await core.readNamespacedSecret({ namespace: ref.namespace, name: tls.caSecretName }).catch((e: any) => {
        if (e?.code === 404) return undefined;
        throw e;
      });
      const pem = ca?.data?.[tls.caKey ?? DEFAULT_STORAGE_CA_KEY];
      if (pem) sum = storageCaChecksum(Buffer.from(pem, 'base64').toString('utf8'));
    }
    if ((oap.metadata?.annotations?.[STORAGE_CA_CHECKSUM_ANNOTATION] ?? undefined) !== sum) {
      const k8s = await loadK8s();
      await this.c(ref.cluster).objects.patch(
        {
          apiVersion: SWCK_API_VERSION,
          kind: 'OAPServer',
          // without the annotation: this manager lets go of it
          metadata: { name: ref.name, namespace: ref.namespace, ...(sum ? { annotations: { [STORAGE_CA_CHECKSUM_ANNOTATION]: sum } } : {}) },
        } as any,
        undefined,
        undefined,
        STORAGE_TLS_FIELD_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
      changed.push(`OAPServer ${ref.name} (storage CA checksum ${sum ? 'recorded' : 'released'})`);
    }
    if (changed.length) this.o.logger.info(`Storage TLS of backend ${ref.cluster}/${ref.namespace}/${ref.name}: ${changed.join('; ')}`);
    return changed;
  }

  /** Creates the truststore Secret unless it exists with a password; true when created. Never rewrites an existing password. */
  private async ensureTruststoreSecret(ref: BackendRef, oap: any): Promise<boolean> {
    const core = this.c(ref.cluster).core;
    const name = storageTruststoreSecretName(ref.name);
    const existing = await core.readNamespacedSecret({ namespace: ref.namespace, name }).catch((e: any) => {
      if (e?.code === 404) return undefined;
      throw e;
    });
    if (existing?.data?.[STORAGE_TRUSTSTORE_PASSWORD_KEY]) return false;
    // hex: safe inside the JDBC URL the kubelet expands it into
    const data = { [STORAGE_TRUSTSTORE_PASSWORD_KEY]: Buffer.from(randomBytes(24).toString('hex')).toString('base64') };
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name,
        namespace: ref.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/part-of': ref.name, [STORAGE_TRUSTSTORE_OF_LABEL]: ref.name },
        // no controller: the reconcile engine prunes only what it controls
        ownerReferences: [{ apiVersion: SWCK_API_VERSION, kind: 'OAPServer', name: ref.name, uid: oap.metadata.uid }],
      },
      data,
    };
    if (existing) {
      // there, but without a password (emptied by hand): given one, as a create would
      await core.replaceNamespacedSecret({ namespace: ref.namespace, name, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
      return true;
    }
    try {
      await core.createNamespacedSecret({ namespace: ref.namespace, body });
      return true;
    } catch (e: any) {
      // created meanwhile (another portal instance): that one is kept
      if (e?.code === 409) return false;
      throw e;
    }
  }

  /**
   * Every backend with storage TLS (or left-over storage TLS objects) in every
   * reachable cluster: a changed CA rolls its OAP pods. One failing backend
   * does not stop the others.
   */
  async reconcileAll(): Promise<{ backends: number; changed: string[]; errors: string[] }> {
    return sweepOapServers(this.o, 'Storage TLS', oap => Boolean(storageTlsOf(oap) || oap.metadata?.annotations?.[STORAGE_CA_CHECKSUM_ANNOTATION]), ref => this.reconcile(ref));
  }
}
