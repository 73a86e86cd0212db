/*
 * The Java agent image (tools/images/recipes/java-agent.sh) for real, without a
 * node: the injector's own init container command copies the agent out of the
 * image's root file system with the image's shell and coreutils (chroot, so it
 * needs root), then the demo shop's three services run on loopback with the
 * JAVA_TOOL_OPTIONS and SW_* env the injector gives their containers (the mount
 * path mapped onto that copy), reporting to a real OAP 10.1.0: the jars and
 * configuration of the oap-10.1.0 image, H2 in memory, on free loopback ports.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BOOTSTRAP_PLUGINS_ANNOTATION, DEFAULT_AGENT_IMAGE, injectAgent } from '@skywalking-backstage/plugin-skywalking-common';

const repo = path.resolve(__dirname, '../../..');
const MOUNT = '/sky/agent'; // the injector's default shared volume mount path
// the receivers this test does not use: OAP starts in ~30 s instead of minutes
const OAP_OFF = ['SW_OTEL_RECEIVER', 'SW_RECEIVER_CLR', 'SW_ENVOY_METRIC', 'SW_RECEIVER_BROWSER', 'SW_PROMQL', 'SW_LOGQL',
  'SW_RECEIVER_TELEGRAF', 'SW_RECEIVER_AWS_FIREHOSE', 'SW_RECEIVER_ZABBIX'];

let work: string;
let rootfs: string; // the agent image's root file system
let oapHome: string; // /skywalking of the OAP image
const children: ChildProcess[] = [];

const sh = (script: string) => execFileSync('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });

function buildImages(): Map<string, string> {
  const out = execFileSync('bash', [path.join(repo, 'tools/images/build.sh'), 'java-agent', 'oap-10.1.0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
  return new Map(out.trim().split('\n').map(l => l.split('\t') as [string, string]));
}

/** Unpacks the layers of a docker-archive tar (all, or only the last) into dir. */
function unpack(archive: string, dir: string, onlyLast = false) {
  const [manifest] = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json']).toString());
  const layers: string[] = onlyLast ? manifest.Layers.slice(-1) : manifest.Layers;
  fs.mkdirSync(dir, { recursive: true });
  for (const layer of layers) sh(`tar -xOf '${archive}' '${layer}' | tar -x -C '${dir}'`);
}

function shopPod(name: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { 'swck-java-agent-injected': 'true' }, annotations },
    spec: { containers: [{ name, image: 'skywalking-backstage/demo-shop:0.1.0' }] },
  };
}

/** Runs the init container the injector renders for pod inside the agent image's root file system. */
function runInitContainer(pod: ReturnType<typeof shopPod>) {
  const r = injectAgent({ pod });
  expect(r.errors).toEqual([]);
  const init = r.pod.spec.initContainers![0];
  expect(init.image).toBe(DEFAULT_AGENT_IMAGE);
  fs.rmSync(path.join(rootfs, MOUNT), { recursive: true, force: true });
  execFileSync('chroot', [rootfs, ...init.command!, ...init.args!], { stdio: 'inherit', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  return r.pod;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts a process; resolves with its output lines so far once a line matches ready. */
function start(cmd: string, args: string[], env: Record<string, string>, ready?: RegExp) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let buffered = '';
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
  const listening = new Promise<string[]>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 400) lines.shift();
        if (ready?.test(line)) resolve(lines);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then(code => reject(new Error(`${args.at(-1)} exited with ${code}:\n${lines.slice(-30).join('\n')}`)));
  });
  return { child, lines, listening, exited };
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000}s${last ? ` (last error: ${last})` : ''}`);
    await new Promise(r => setTimeout(r, 1000));
  }
}

let graphqlUrl: string;
async function graphql(query: string): Promise<any> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  const body: any = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

// OAP runs with -Duser.timezone=UTC, so minute buckets are UTC
const minute = (d: Date) => d.toISOString().replace('T', ' ').replace(/:\d\d\..*$/, '').replace(':', '');
const lastMinutes = () =>
  `{ start: "${minute(new Date(Date.now() - 15 * 60_000))}", end: "${minute(new Date(Date.now() + 60_000))}", step: MINUTE }`;

interface Span {
  segmentId: string;
  serviceCode: string;
  endpointName: string;
  type: string;
  isError: boolean;
  component: string;
  refs: { parentSegmentId: string }[];
  tags: { key: string; value: string }[];
}
const tag = (s: Span, key: string) => s.tags.find(t => t.key === key)?.value;

/** The spans of the newest trace that starts with GET:/checkout and passes the filter. */
async function checkoutTrace(state: 'ALL' | 'ERROR', complete: (spans: Span[]) => boolean): Promise<Span[] | undefined> {
  const data = await graphql(`{ queryBasicTraces(condition: { queryDuration: ${lastMinutes()}, traceState: ${state},
    queryOrder: BY_START_TIME, paging: { pageNum: 1, pageSize: 20 } }) { traces { endpointNames traceIds } } }`);
  for (const t of data.queryBasicTraces.traces.filter((x: any) => x.endpointNames.includes('GET:/checkout'))) {
    const { queryTrace } = await graphql(`{ queryTrace(traceId: "${t.traceIds[0]}") {
      spans { segmentId serviceCode endpointName type isError component refs { parentSegmentId } tags { key value } } } }`);
    if (complete(queryTrace.spans)) return queryTrace.spans;
  }
  return undefined;
}

const find = (spans: Span[], service: string, type: string) => spans.find(s => s.serviceCode === service && s.type === type);

let shop: Record<'frontend' | 'orders' | 'payments', { url: string; child: ChildProcess }>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-image-'));
  const images = buildImages();
  rootfs = path.join(work, 'agent-rootfs');
  unpack(images.get(DEFAULT_AGENT_IMAGE)!, rootfs);
  unpack(images.get('apache/skywalking-oap-server:10.1.0')!, path.join(work, 'oap'), true);
  oapHome = path.join(work, 'oap/skywalking');
}, 20 * 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the agent image with the injector', () => {
  it("copies the agent with the image's own shell: the init container command of the default and of a bootstrap-plugin selection", () => {
    const pod = runInitContainer(shopPod('orders'));
    const copied = path.join(rootfs, MOUNT);
    expect(fs.statSync(path.join(copied, 'skywalking-agent.jar')).size).toBe(
      fs.statSync(path.join(rootfs, 'skywalking/agent/skywalking-agent.jar')).size,
    );
    expect(fs.readdirSync(path.join(copied, 'plugins')).sort()).toEqual([
      'apm-jdk-http-plugin-9.3.0.jar',
      'apm-jdk-httpclient-plugin-9.6.0.jar',
      'jdk-httpserver-plugin-0.1.0.jar',
    ]);
    expect(fs.readFileSync(path.join(copied, 'config/agent.config'), 'utf8')).toMatch(
      /^collector\.backend_service=\$\{SW_AGENT_COLLECTOR_BACKEND_SERVICES:127\.0\.0\.1:11800\}$/m,
    );
    for (const dir of ['activations', 'optional-plugins', 'optional-reporter-plugins', 'bootstrap-plugins', 'logs']) {
      expect(fs.statSync(path.join(copied, dir)).isDirectory()).toBe(true);
    }
    const env = Object.fromEntries(pod.spec.containers[0].env!.map(e => [e.name, e.value]));
    expect(env.JAVA_TOOL_OPTIONS).toBe(`-javaagent:${MOUNT}/skywalking-agent.jar`);

    // the annotation's extra step (cd, ls | grep -E | xargs -i cp) runs in the image too
    runInitContainer(shopPod('orders', { [BOOTSTRAP_PLUGINS_ANNOTATION]: 'jdk-httpclient' }));
    expect(fs.existsSync(path.join(copied, 'plugins/apm-jdk-httpclient-plugin-9.6.0.jar'))).toBe(true);
  });
});

describe('the shop with the agent, reporting to a real OAP', () => {
  beforeAll(async () => {
    runInitContainer(shopPod('orders'));
    const [grpc, rest] = [await freePort(), await freePort()];
    graphqlUrl = `http://127.0.0.1:${rest}/graphql`;
    const oapEnv = Object.fromEntries([...OAP_OFF.map(k => [k, '-']), ['SW_CORE_GRPC_PORT', `${grpc}`], ['SW_CORE_REST_PORT', `${rest}`]]);
    const oap = start('java', ['-Xmx512m', '-Duser.timezone=UTC', '-cp', `${oapHome}/config:${oapHome}/oap-libs/*`,
      'org.apache.skywalking.oap.server.starter.OAPServerStartUp'], oapEnv);
    await eventually('OAP answers GraphQL', async () => {
      if (oap.child.exitCode !== null) throw new Error(`OAP exited:\n${oap.lines.slice(-30).join('\n')}`);
      return (await graphql('{ version }')).version;
    }, 300_000);

    const jars = path.join(work, 'shop');
    execFileSync('bash', [path.join(repo, 'examples/shop/build.sh'), jars], { stdio: 'inherit' });
    const service = async (name: 'frontend' | 'orders' | 'payments', env: Record<string, string>) => {
      // the env the injector gives the container; the mount path is the chroot's copy here
      const injected = injectAgent({ pod: shopPod(name), backend: { collectorAddress: `127.0.0.1:${grpc}`, agentServiceName: name } });
      const agentEnv = Object.fromEntries(injected.pod.spec.containers[0].env!.map(e => [e.name, e.value!.replaceAll(MOUNT, path.join(rootfs, MOUNT))]));
      const logs = path.join(work, `agent-logs-${name}`);
      const p = start('java', ['-Xmx64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', path.join(jars, `${name}.jar`)],
        { ...agentEnv, SW_LOGGING_DIR: logs, BIND_ADDRESS: '127.0.0.1', PORT: '0', TRAFFIC_INTERVAL_MS: '0', ...env }, /event=listening port=\d+/);
      const lines = await p.listening;
      return { url: `http://127.0.0.1:${/event=listening port=(\d+)/.exec(lines.find(l => /event=listening/.test(l))!)![1]}`, child: p.child };
    };
    const payments = await service('payments', {});
    const orders = await service('orders', { PAYMENTS_URL: payments.url });
    const frontend = await service('frontend', { ORDERS_URL: orders.url });
    shop = { frontend, orders, payments };
  }, 10 * 60_000);

  const checkout = () => fetch(`${shop.frontend.url}/checkout`, { signal: AbortSignal.timeout(5000) }).then(r => r.status);

  it('lists the three services in the GENERAL layer and holds one trace frontend -> orders -> payments', async () => {
    const spans = await eventually('a checkout trace through all three services', async () => {
      expect(await checkout()).toBe(200);
      return checkoutTrace('ALL', s => !!find(s, 'payments', 'Entry'));
    }, 240_000);

    // services are listed from OAP's minute traffic records, written some seconds after the trace
    const services = await eventually('the three services listed', async () => {
      const names: string[] = (await graphql('{ listServices(layer: "GENERAL") { name } }')).listServices.map((s: any) => s.name);
      return ['frontend', 'orders', 'payments'].every(n => names.includes(n)) ? names : undefined;
    }, 120_000);
    expect(services.sort()).toEqual(['frontend', 'orders', 'payments']);

    expect(spans.map(s => `${s.serviceCode} ${s.type} ${s.endpointName}`).sort()).toEqual([
      'frontend Entry GET:/checkout',
      'frontend Exit GET:/orders',
      'orders Entry GET:/orders',
      'orders Exit GET:/pay',
      'payments Entry GET:/pay',
    ]);
    // the sw8 header carried the context: each entry's parent is the caller's segment
    expect(find(spans, 'orders', 'Entry')!.refs.map(r => r.parentSegmentId)).toEqual([find(spans, 'frontend', 'Exit')!.segmentId]);
    expect(find(spans, 'payments', 'Entry')!.refs.map(r => r.parentSegmentId)).toEqual([find(spans, 'orders', 'Exit')!.segmentId]);
    expect(find(spans, 'frontend', 'Entry')!.refs).toEqual([]);
    for (const s of spans) {
      expect({ span: `${s.serviceCode} ${s.type}`, component: s.component, status: tag(s, 'http.status_code'), error: s.isError })
        .toEqual({ span: `${s.serviceCode} ${s.type}`, component: 'JdkHttp', status: '200', error: false });
    }
    expect(tag(find(spans, 'orders', 'Exit')!, 'url')).toBe(`${shop.payments.url}/pay`);
  }, 300_000);

  it('marks the spans of a failed checkout as errors with the 502 status when payments is down', async () => {
    shop.payments.child.kill('SIGKILL');
    const spans = await eventually('an error trace of a failed checkout', async () => {
      expect(await checkout()).toBe(502);
      return checkoutTrace('ERROR', s => !!find(s, 'orders', 'Entry'));
    }, 180_000);
    expect(find(spans, 'frontend', 'Entry')).toMatchObject({ isError: true });
    expect(tag(find(spans, 'frontend', 'Entry')!, 'http.status_code')).toBe('502');
    expect(tag(find(spans, 'frontend', 'Exit')!, 'http.status_code')).toBe('502');
    expect(find(spans, 'orders', 'Entry')).toMatchObject({ isError: true });
    expect(tag(find(spans, 'orders', 'Entry')!, 'http.status_code')).toBe('502');
    // the call to the dead payments service failed without an answer: an error, no status
    expect(find(spans, 'orders', 'Exit')).toMatchObject({ isError: true, endpointName: 'GET:/pay' });
    expect(find(spans, 'payments', 'Entry')).toBeUndefined();
  }, 240_000);
});
