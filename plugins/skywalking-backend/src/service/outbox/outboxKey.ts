/*
 * The outbox key (sealing.ts), kept in one Kubernetes Secret that every
 * portal replica shares: read, or created with create-only semantics so that
 * replicas racing at first start all end up with the one key stored (as the
 * webhook CA, webhook/caSecret.ts). Read once per process and kept in memory:
 * a change queued because a cluster is down must not need that cluster, so
 * the Secret belongs in a cluster the portal reaches (its own, by config).
 */
import crypto from 'node:crypto';
import { Config } from '@backstage/config';
import type * as K8s from '@kubernetes/client-node';
import { loadK8s } from '../../clusters/k8s';
import { OutboxKey, outboxKeyOf, OutboxKeySource } from './sealing';

export interface OutboxKeySecretRef {
  cluster: string;
  namespace: string;
  name: string;
}

const DATA_KEY = 'key';
const code = (e: unknown) => (e as { code?: number })?.code;

/** `skywalking.outbox.keySecret` (cluster, namespace, name); the cluster defaults to the first configured one. */
export function outboxKeySecretFromConfig(config: Config, clusterNames: string[]): OutboxKeySecretRef | undefined {
  const c = config.getOptionalConfig('skywalking.outbox.keySecret');
  const cluster = c?.getOptionalString('cluster') ?? clusterNames[0];
  if (!cluster) return undefined;
  if (!clusterNames.includes(cluster)) throw new Error(`skywalking.outbox.keySecret.cluster: no cluster named ${cluster} (clusters: ${clusterNames.join(', ')})`);
  return {
    cluster,
    namespace: c?.getOptionalString('namespace') ?? 'skywalking-system',
    name: c?.getOptionalString('name') ?? 'skywalking-backstage-outbox-key',
  };
}

function keyFrom(s: K8s.V1Secret, ref: OutboxKeySecretRef): OutboxKey {
  const raw = s.data?.[DATA_KEY];
  if (!raw) throw new Error(`Secret ${ref.namespace}/${ref.name} in cluster ${ref.cluster} has no data.${DATA_KEY}: it is not an outbox key`);
  return outboxKeyOf(Buffer.from(raw, 'base64'));
}

/** The key of a Secret, created when absent; a failed read is tried again on the next call. */
export class KubernetesOutboxKey implements OutboxKeySource {
  private loaded?: Promise<OutboxKey>;

  constructor(
    private readonly ref: OutboxKeySecretRef,
    private readonly kubeConfig: (cluster: string) => K8s.KubeConfig,
    private readonly timeoutMs = 10_000,
  ) {}

  describe(): string {
    return `Secret ${this.ref.namespace}/${this.ref.name} in cluster ${this.ref.cluster}`;
  }

  key(): Promise<OutboxKey> {
    if (!this.loaded) {
      this.loaded = this.withTimeout(this.loadOrCreate());
      this.loaded.catch(() => {
        this.loaded = undefined;
      });
    }
    return this.loaded;
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private async loadOrCreate(): Promise<OutboxKey> {
    const k8s = await loadK8s();
    const core = this.kubeConfig(this.ref.cluster).makeApiClient(k8s.CoreV1Api);
    const { namespace, name } = this.ref;
    const read = async () => {
      try {
        return keyFrom(await core.readNamespacedSecret({ namespace, name }), this.ref);
      } catch (e) {
        if (code(e) === 404) return undefined;
        throw e;
      }
    };
    const existing = await read();
    if (existing) return existing;
    await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(e => {
      if (code(e) !== 409 && code(e) !== 403) throw e;
    });
    const body: K8s.V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/component': 'outbox-key' } },
      type: 'Opaque',
      data: { [DATA_KEY]: crypto.randomBytes(32).toString('base64') },
    };
    try {
      return keyFrom(await core.createNamespacedSecret({ namespace, body }), this.ref);
    } catch (e) {
      // another replica created it first: its key is the one
      if (code(e) !== 409) throw e;
      const winner = await read();
      if (!winner) throw new Error(`${this.describe()} was created and deleted while this replica created it`);
      return winner;
    }
  }
}
