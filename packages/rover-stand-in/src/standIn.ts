/**
 * The stand-in for SkyWalking Rover: Rover's eBPF cannot load on this
 * machine's kernel, so the demo shop's own request lines (read from its
 * pods' logs through the Kubernetes API) become the access logs Rover
 * would send, over Rover's protocol, to the real OAP. One stream per node,
 * as one Rover per node; OAP resolves the callers' pod IPs itself.
 */
import * as os from 'os';
import * as grpc from '@grpc/grpc-js';
import { CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { checkAddress, parseServiceRef, resolveService } from './oapAddress';
import { accessLogClientConstructor } from './protocol';
import { NodeView, requestMessage } from './messages';
import { Target, targetsOf } from './pods';
import { LogFollower } from './logFollower';
import { AccessLogSender, SenderStats } from './sender';
import { parseShopLine } from './shopLog';

export interface RoverStandInOptions {
  /** kubeconfig file; or `kubeConfig`, a loaded one */
  kubeconfigPath?: string;
  kubeConfig?: KubeConfig;
  /** OAP's gRPC address, host:port (e.g. 10.244.0.12:11800); or `oapService` */
  oapAddress?: string;
  /** OAP's Service, `<namespace>/<name>` (e.g. sw/demo-oap): its ready endpoint's gRPC port, looked up again as pods change */
  oapService?: string;
  namespace: string;
  /** label selector of the pods to follow (Kubernetes syntax); empty: every pod of the namespace */
  selector?: string;
  /** cluster name: Rover's service names become `<cluster>::<service>.<namespace>` */
  cluster?: string;
  log?: (message: string) => void;
  /** how often pods and Services are listed again (default 3000 ms) */
  pollIntervalMs?: number;
  /** access logs kept per node while OAP does not take them (default 10000) */
  maxBuffered?: number;
  /** wait between two streams of one node (default 1000 ms) */
  batchIntervalMs?: number;
}

export interface RoverStandInStats {
  /** containers followed now */
  followed: number;
  /** request lines turned into access logs */
  requests: number;
  /** request lines that could not be read (malformed) */
  unreadable: number;
  /** per node: what its sender delivered, dropped, buffers */
  nodes: Record<string, SenderStats>;
}

export interface RoverStandIn {
  stats(): RoverStandInStats;
  stop(): Promise<void>;
}

/** The host's boot time (the real node shares the host's kernel), nanoseconds since the epoch. */
export function hostBootNs(): bigint {
  return BigInt(Math.floor(Date.now() - os.uptime() * 1000)) * 1_000_000n;
}

function validate(o: RoverStandInOptions) {
  if ((o.oapAddress === undefined) === (o.oapService === undefined)) throw new Error('exactly one of oapAddress (host:port) and oapService (<namespace>/<name>) is needed');
  if (o.oapAddress !== undefined) checkAddress(o.oapAddress);
  if (o.oapService !== undefined) parseServiceRef(o.oapService);
  if (!o.namespace || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.namespace)) throw new Error(`namespace ${JSON.stringify(o.namespace)} is not a Kubernetes namespace name`);
  if (o.cluster !== undefined && (o.cluster === '' || /\s|::/.test(o.cluster))) throw new Error(`cluster ${JSON.stringify(o.cluster)} must be a non-empty name without spaces or "::"`);
  if (!o.kubeconfigPath && !o.kubeConfig) throw new Error('a kubeconfigPath (or kubeConfig) is needed');
}

/**
 * Starts following the pods and streaming to OAP. Resolves once the first
 * listing of pods and Services succeeded (a bad selector or unreachable API
 * server rejects with the API's error); OAP being down does not block it.
 */
export async function startRoverStandIn(o: RoverStandInOptions): Promise<RoverStandIn> {
  validate(o);
  const log = o.log ?? ((m: string) => process.stderr.write(`[rover-stand-in] ${m}\n`));
  const kc = o.kubeConfig ?? new KubeConfig();
  if (!o.kubeConfig) kc.loadFromFile(o.kubeconfigPath!);
  const core = kc.makeApiClient(CoreV1Api);
  const Client = accessLogClientConstructor();
  const senders = new Map<string, AccessLogSender>();
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const serviceRef = o.oapService ? parseServiceRef(o.oapService) : undefined;
  let address = o.oapAddress ?? (await resolveService(discovery, serviceRef!).catch(() => undefined));
  // no ready OAP pod yet: the senders buffer until one is found
  let client: grpc.Client | undefined = address ? new Client(address, grpc.credentials.createInsecure()) : undefined;
  const where = () => (serviceRef ? `OAP's Service ${o.oapService} (${address ?? 'no ready endpoint yet'})` : `OAP at ${address}`);
  /** A new ready endpoint of OAP's Service: the next batches go there. */
  let followFailing = false;
  const follow = async () => {
    if (!serviceRef) return;
    let now;
    try {
      now = await resolveService(discovery, serviceRef);
      followFailing = false;
    } catch (e) {
      if (!followFailing) log(`looking up OAP's Service ${o.oapService} failed (${(e as Error).message}); retrying`);
      followFailing = true;
      return;
    }
    if (!now || now === address) return;
    log(`OAP's Service ${o.oapService} now at ${now} (was ${address ?? 'unresolved'})`);
    address = now;
    const old = client;
    client = new Client(now, grpc.credentials.createInsecure());
    for (const s of senders.values()) s.setClient(client);
    old?.close();
  };
  const bootNs = hostBootNs();
  const since = new Date();
  const followers = new Map<string, { follower: LogFollower; target: Target }>();
  const toldWithoutService = new Set<string>();
  let requests = 0;
  let unreadable = 0;
  let stopped = false;

  const senderFor = (nodeName: string) => {
    let s = senders.get(nodeName);
    if (!s) {
      const node: NodeView = { name: nodeName, bootNs, clusterName: o.cluster ?? '' };
      s = new AccessLogSender({ client, node, log, maxBuffered: o.maxBuffered, batchIntervalMs: o.batchIntervalMs });
      senders.set(nodeName, s);
    }
    return s;
  };

  const onLine = (key: string, text: string) => {
    const f = followers.get(key);
    if (!f) return;
    let req;
    try {
      req = parseShopLine(text);
      if (!req) return;
      const message = requestMessage({ name: f.target.nodeName, bootNs, clusterName: o.cluster ?? '' }, f.target.process, req);
      requests++;
      senderFor(f.target.nodeName).send(message);
    } catch (e) {
      // said for the first few only: a malformed stream would flood the log
      if (++unreadable <= 5) log(`${f.target.namespace}/${f.target.pod}: ${(e as Error).message}: ${text.slice(0, 200)}`);
    }
  };

  const sync = async () => {
    await follow();
    const [pods, services] = await Promise.all([
      core.listNamespacedPod({ namespace: o.namespace, labelSelector: o.selector || undefined }),
      core.listNamespacedService({ namespace: o.namespace }),
    ]);
    if (stopped) return;
    const { targets, withoutService } = targetsOf(pods.items, services.items, o.cluster);
    for (const p of withoutService) {
      if (!toldWithoutService.has(p)) log(`${p}: no Service selects it, not followed (Rover's K8S_SERVICE analyzer takes pods with a Service)`);
      toldWithoutService.add(p);
    }
    const want = new Map(targets.map(t => [t.key, t]));
    for (const [key, f] of followers) {
      if (want.has(key)) continue;
      f.follower.stop();
      followers.delete(key);
      log(`${f.target.namespace}/${f.target.pod} ${f.target.container}: gone, no longer followed`);
    }
    for (const t of targets) {
      const f = followers.get(t.key);
      if (f) {
        // the Service naming it may have changed
        f.target = t;
        continue;
      }
      const follower = new LogFollower({ kc, namespace: t.namespace, pod: t.pod, container: t.container, since, log, onLine: text => onLine(t.key, text) });
      followers.set(t.key, { follower, target: t });
      log(`${t.namespace}/${t.pod} ${t.container} on ${t.nodeName}: following, as ${t.process.serviceName}`);
    }
  };

  try {
    await sync();
  } catch (e) {
    client?.close();
    throw new Error(`listing pods of namespace ${o.namespace}${o.selector ? ` with selector ${JSON.stringify(o.selector)}` : ''}: ${(e as Error).message}`);
  }
  log(`streaming the access logs of namespace ${o.namespace} to ${where()} (EBPFAccessLogService/collect), a stand-in for SkyWalking Rover`);

  let pollFailing = false;
  const poll = setInterval(() => {
    sync().then(
      () => {
        if (pollFailing) log('listing pods works again');
        pollFailing = false;
      },
      e => {
        if (!pollFailing) log(`listing pods of namespace ${o.namespace} failed (${(e as Error).message}); following the pods known, retrying`);
        pollFailing = true;
      },
    );
  }, o.pollIntervalMs ?? 3000);

  return {
    stats: () => ({
      followed: followers.size,
      requests,
      unreadable,
      nodes: Object.fromEntries([...senders].map(([n, s]) => [n, s.stats()])),
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      for (const f of followers.values()) f.follower.stop();
      followers.clear();
      await Promise.all([...senders.values()].map(s => s.stop()));
      client?.close();
    },
  };
}
