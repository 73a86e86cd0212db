import https from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mockServices } from '@backstage/backend-test-utils';
import { generateServingCertificate } from './certificates';
import { MUTATE_PODS_PATH, WebhookServer } from './server';

// generous: CI runs these beside the control-plane tests on two cores
jest.setTimeout(90_000);

const fixtures = require.resolve('./__fixtures__/testMutators');

function post(port: number, ca: string, body: string) {
  return new Promise<{ status: number; json: any; ms: number }>((resolve, reject) => {
    const t0 = Date.now();
    const req = https.request(
      { host: '127.0.0.1', port, path: MUTATE_PODS_PATH, method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json' } },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString() || '{}'), ms: Date.now() - t0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The review's C2 attack: a backtracking matcher against a 40-character container name (84 s in-process). */
function hostileReview(uid: string, name = `${'a'.repeat(40)}`) {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'shop',
      object: {
        metadata: { name: 'p', annotations: { 'strategy.skywalking.apache.org/inject.Container': '^a*a*a*a*a*a*a*a*a*b$' } },
        spec: { containers: [{ name, image: 'java' }] },
      },
    },
  });
}

const cert = generateServingCertificate({ commonName: 'wh', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });

describe('admission off the event loop', () => {
  const DEADLINE_MS = 800;
  const server = new WebhookServer({
    host: '127.0.0.1',
    port: 0,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    logger: mockServices.logger.mock(),
    mutator: { module: fixtures, export: 'backtrackingMatcher' },
    workers: 2,
    deadlineMs: DEADLINE_MS,
  });
  let port = 0;
  beforeAll(async () => {
    port = await server.start();
  });
  afterAll(() => server.stop());

  it('answers a stalling review at its deadline, allowed without a patch, while the event loop stays free', async () => {
    // warm the path once (TLS, JIT) so the measurement is of the attack only
    expect((await post(port, cert.caPem, hostileReview('warm', 'short'))).status).toBe(200);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    // a timer that should fire every 20 ms: a blocked loop shows as a late tick
    let worstTickMs = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      worstTickMs = Math.max(worstTickMs, now - last - 20);
      last = now;
    }, 20);
    const [a, b] = await Promise.all([post(port, cert.caPem, hostileReview('evil-1')), post(port, cert.caPem, hostileReview('evil-2'))]);
    clearInterval(ticker);
    delay.disable();
    for (const [r, uid] of [[a, 'evil-1'], [b, 'evil-2']] as const) {
      expect(r.status).toBe(200);
      expect(r.json.response).toEqual({ uid, allowed: true, warnings: [expect.stringMatching(/not injected: admission took longer than its 800 ms deadline/)] });
      expect(r.ms).toBeLessThan(DEADLINE_MS + 1500);
    }
    // in-process, these two reviews held the loop for minutes; here it never waits long
    expect(delay.max / 1e6).toBeLessThan(500);
    expect(worstTickMs).toBeLessThan(500);
  });

  it('replaces the stalled workers: the next reviews are answered by fresh ones', async () => {
    const pool = server.admissionPool!;
    expect(pool.replaced).toBeGreaterThanOrEqual(2);
    // the replacements load the mutator first (seconds from TypeScript source on a busy machine);
    // meanwhile reviews are answered at their deadline, allowed without the agent
    const t0 = Date.now();
    while (pool.readyWorkers() < 2 && Date.now() - t0 < 30_000) await new Promise(r => setTimeout(r, 50));
    const ok = await post(port, cert.caPem, hostileReview('after', 'app'));
    expect(ok.status).toBe(200);
    expect(ok.json.response).toMatchObject({ uid: 'after', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(ok.json.response.patch, 'base64').toString())).toEqual([{ op: 'add', path: '/metadata/labels', value: { matched: '0' } }]);
    expect(pool.workers()).toBe(2);
  });
});

describe('admission worker pool', () => {
  it('answers reviews waiting behind a stalled worker at their deadline, with their own uid', async () => {
    const server = new WebhookServer({
      host: '127.0.0.1',
      port: 0,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      logger: mockServices.logger.mock(),
      mutator: { module: fixtures, export: 'endless' },
      workers: 1,
      deadlineMs: 500,
    });
    const port = await server.start();
    try {
      const rs = await Promise.all(['q-1', 'q-2', 'q-3'].map(uid => post(port, cert.caPem, hostileReview(uid, 'app'))));
      expect(rs.map(r => [r.status, r.json.response?.uid, r.json.response?.allowed, r.json.response?.patch])).toEqual([
        [200, 'q-1', true, undefined],
        [200, 'q-2', true, undefined],
        [200, 'q-3', true, undefined],
      ]);
    } finally {
      await server.stop();
    }
  });

  it('fails to start on a taken port and leaves no worker threads behind', async () => {
    const opts = { host: '127.0.0.1', port: 0, certPem: cert.certPem, keyPem: cert.keyPem, logger: mockServices.logger.mock(), workers: 1 };
    const first = new WebhookServer(opts);
    const port = await first.start();
    const second = new WebhookServer({ ...opts, port });
    try {
      await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
      expect(second.admissionPool!.workers()).toBe(0);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('refuses to start when the mutator module cannot be loaded, naming the module', async () => {
    const server = new WebhookServer({
      host: '127.0.0.1',
      port: 0,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      logger: mockServices.logger.mock(),
      mutator: { module: fixtures, export: 'noSuchFactory' },
      workers: 1,
    });
    await expect(server.start()).rejects.toThrow(/testMutators.*exports no function noSuchFactory/);
    await server.stop();
  });
});
