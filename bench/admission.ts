/*
 * Admission latency and throughput of the injection webhook on loopback,
 * against a minimal Node HTTPS server that answers every review with an
 * empty patch (the floor), measured in the same run.
 */
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { WebhookServer } from '../plugins/skywalking-backend/src/webhook/server';
import { generateServingCertificate } from '../plugins/skywalking-backend/src/webhook/certificates';
import { admissionMutator } from '../plugins/skywalking-backend/src/tracing/admissionMutator';

const silent: any = { info() {}, warn() {}, debug() {}, error() {}, child() { return silent; } };

export function realisticReview(i: number) {
  return JSON.stringify({
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
  });
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

async function load(port: number, ca: string, total: number, concurrency: number) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const body = realisticReview(i);
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
  const webhook = new WebhookServer({ host: '127.0.0.1', port: 0, certPem: cert.certPem, keyPem: cert.keyPem, mutate: admissionMutator, logger: silent });
  const hookPort = await webhook.start();
  // interleave warm-up, then measure each twice alternating, keep the better run (less noise from the other core)
  await load(floorPort, cert.caPem, opts.warmup, opts.concurrency);
  await load(hookPort, cert.caPem, opts.warmup, opts.concurrency);
  const runs = { floor: [] as any[], webhook: [] as any[] };
  for (let i = 0; i < 2; i++) {
    runs.floor.push(await load(floorPort, cert.caPem, opts.total, opts.concurrency));
    runs.webhook.push(await load(hookPort, cert.caPem, opts.total, opts.concurrency));
  }
  await webhook.stop();
  floor.close();
  const best = (rs: any[]) => rs.reduce((a, b) => (b.p50 < a.p50 ? b : a));
  return { floor: best(runs.floor), webhook: best(runs.webhook), ...opts };
}
