/*
 * The demo shop (examples/shop) as plain processes on loopback: the same jars
 * the demo-shop image ships (built by examples/shop/build.sh), with the
 * downstream URLs pointed at loopback ports instead of the Service names.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const repo = path.resolve(__dirname, '../../..');
// the JVM flags shop.yaml gives the pods
const jvm = ['-Xmx64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

interface ShopProcess {
  child: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<number | null>;
}

let jars: string;
const started: ShopProcess[] = [];

function startService(jar: string, env: Record<string, string>): Promise<ShopProcess> {
  const child = spawn('java', [...jvm, '-jar', path.join(jars, jar)], {
    env: { ...process.env, BIND_ADDRESS: '127.0.0.1', PORT: '0', TRAFFIC_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
  const proc = { child, lines, exited, url: '' };
  started.push(proc);
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', chunk => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const port = /event=listening port=(\d+)/.exec(line)?.[1];
        if (port) resolve({ ...proc, url: `http://127.0.0.1:${port}` });
      }
    });
    exited.then(code => reject(new Error(`${jar} exited with ${code} before listening`)));
  });
}

async function startShop(frontendEnv: Record<string, string> = {}) {
  const payments = await startService('payments.jar', {});
  const orders = await startService('orders.jar', { PAYMENTS_URL: payments.url });
  const frontend = await startService('frontend.jar', { ORDERS_URL: orders.url, ...frontendEnv });
  return { payments, orders, frontend };
}

async function eventually(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Waits until the service has printed a line matching pattern (fails naming it and the lines seen). */
async function logged(service: ShopProcess, pattern: RegExp) {
  await eventually(() => service.lines.some(l => pattern.test(l))).catch(() => {
    throw new Error(`no log line matches ${pattern}; got:\n${service.lines.join('\n')}`);
  });
}

beforeAll(() => {
  jars = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-shop-'));
  execFileSync('bash', [path.join(repo, 'examples/shop/build.sh'), jars], { stdio: 'inherit' });
}, 120_000);

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(() => fs.rmSync(jars, { recursive: true, force: true }));

describe('the demo shop on loopback', () => {
  it('answers a checkout through frontend -> orders -> payments, and each service logs the request it served', async () => {
    const { payments, orders, frontend } = await startShop();
    const res = await fetch(`${frontend.url}/checkout`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      service: 'frontend',
      orders: { service: 'orders', order: 1, payments: { service: 'payments', paid: true, payment: 1 } },
    });
    // each service logs a request once its answer is sent: the lines may trail the response
    await logged(payments, /service=payments event=request method=GET path=\/pay status=200 from=127\.0\.0\.1/);
    await logged(orders, /service=orders event=request method=GET path=\/orders status=200 from=127\.0\.0\.1/);
    await logged(orders, new RegExp(`service=orders event=call url=${payments.url}/pay status=200`));
    await logged(frontend, /service=frontend event=request method=GET path=\/checkout status=200/);
  }, 60_000);

  it('turns readiness off and on at run time while liveness stays up', async () => {
    const payments = await startService('payments.jar', {});
    expect((await fetch(`${payments.url}/ready`)).status).toBe(200);

    expect((await fetch(`${payments.url}/admin/ready?state=fail`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${payments.url}/ready`)).status).toBe(503);
    expect((await fetch(`${payments.url}/healthz`)).status).toBe(200);

    expect((await fetch(`${payments.url}/admin/ready?state=ok`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${payments.url}/ready`)).status).toBe(200);

    // liveness breaks the same way, for restart tests on the real node
    await fetch(`${payments.url}/admin/live?state=fail`, { method: 'POST' });
    expect((await fetch(`${payments.url}/healthz`)).status).toBe(503);
  }, 60_000);

  it('refuses a readiness change with an unknown state or method, naming what it expects', async () => {
    const payments = await startService('payments.jar', {});
    const bad = await fetch(`${payments.url}/admin/ready?state=maybe`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('state must be fail or ok');
    expect((await fetch(`${payments.url}/admin/ready?state=fail`)).status).toBe(405);
    expect((await fetch(`${payments.url}/ready`)).status).toBe(200);
  }, 60_000);

  it('answers 502 naming the failed downstream call when orders cannot reach payments', async () => {
    const payments = await startService('payments.jar', {});
    const deadUrl = payments.url;
    payments.child.kill('SIGKILL');
    await payments.exited;
    const orders = await startService('orders.jar', { PAYMENTS_URL: deadUrl });
    const res = await fetch(`${orders.url}/orders`);
    expect(res.status).toBe(502);
    expect((await res.json()).error).toMatch(/^orders: /);
    await logged(orders, new RegExp(`event=call url=${deadUrl}/pay error=`));
  }, 60_000);

  it('the frontend sends request chains on its own every TRAFFIC_INTERVAL_MS', async () => {
    const { payments, frontend } = await startShop({ TRAFFIC_INTERVAL_MS: '200' });
    // no request from the test: the chains come from the frontend's own timer
    await eventually(() => payments.lines.filter(l => /path=\/pay status=200/.test(l)).length >= 2);
    await logged(frontend, /service=frontend event=call url=.*\/orders status=200/);
    expect(frontend.lines.filter(l => /event=request/.test(l))).toEqual([]);
  }, 60_000);

  it('stops within two seconds of SIGTERM', async () => {
    const orders = await startService('orders.jar', {});
    const t0 = Date.now();
    orders.child.kill('SIGTERM');
    const code = await orders.exited;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(code).toBe(143); // the JVM's exit status after SIGTERM and its shutdown hooks
    expect(orders.lines.some(l => /event=stopping/.test(l))).toBe(true);
  }, 60_000);
});

describe('examples/kubernetes/shop.yaml', () => {
  it('runs every container from the image the factory builds, with probes on the endpoints the services serve', () => {
    const [image] = execFileSync('bash', [path.join(repo, 'tools/images/build.sh'), '--list', 'demo-shop'])
      .toString()
      .trim()
      .split('\n');
    expect(image).toMatch(/^skywalking-backstage\/demo-shop:/);
    const docs = parseAllDocuments(fs.readFileSync(path.join(repo, 'examples/kubernetes/shop.yaml'), 'utf8')).map(d => d.toJS());
    const containers = docs.flatMap(d => d.spec?.template?.spec?.containers ?? []);
    expect(containers.map((c: any) => c.command.at(-1))).toEqual(['/app/frontend.jar', '/app/orders.jar', '/app/payments.jar']);
    for (const c of containers) {
      expect(c).toMatchObject({
        image,
        imagePullPolicy: 'IfNotPresent',
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
      });
    }
  });
});
