import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

jest.setTimeout(60_000);

const instrumentation = path.resolve(__dirname, 'instrumentation.js');
const metricsModule = path.resolve(__dirname, '../../../plugins/skywalking-backend/src/metrics.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A node process started as the backend is (`--require instrumentation.js`)
 * that records operator metrics through the plugin's own metrics module and
 * then idles, so its Prometheus endpoint can be scraped.
 */
function startRecorder(env: Record<string, string>): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  const script = `
    const { createSkyWalkingMetrics } = require(${JSON.stringify(metricsModule)});
    const m = createSkyWalkingMetrics();
    m.setGaugeSources({ queueDepth: () => ({ local: 2 }), reachable: () => ({ local: 1 }), leader: () => ({ local: 1 }) });
    m.onReconcile({ cluster: 'local', kind: 'OAPServer', durationMs: 42, writes: 3 });
    m.onRetry({ cluster: 'local', kind: 'OAPServer' });
    m.onAdmission({ durationMs: 4, outcome: 'injected', status: 200 });
    console.log('recorded');
    setInterval(() => {}, 1000);
  `;
  let out = '';
  const child = spawn(process.execPath, ['--require', instrumentation, '--require', require.resolve('@backstage/cli/config/nodeTransform.cjs'), '-e', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('recorded')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', code => reject(new Error(`recorder exited with ${code}: ${out}`)));
  });
  return { child, output: () => out, ready };
}

async function scrape(port: number): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      return await res.text();
    } catch (e) {
      if (i > 50) throw e;
      await new Promise(r => setTimeout(r, 100));
    }
  }
}

describe('instrumentation.js', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('serves the operator metrics for Prometheus on SWB_METRICS_PORT', async () => {
    const port = await freePort();
    const r = startRecorder({ SWB_METRICS_PORT: String(port), SWB_METRICS_HOST: '127.0.0.1' });
    children.push(r.child);
    await r.ready;
    const text = await scrape(port);
    expect(r.output()).toContain(`Prometheus metrics on http://127.0.0.1:${port}/metrics`);
    expect(text).toMatch(/^# TYPE skywalking_reconcile_total counter$/m);
    expect(text).toMatch(/^skywalking_reconcile_total\{cluster="local",kind="OAPServer",result="success",[^}]*\} 1$/m);
    expect(text).toMatch(/^skywalking_workqueue_retries_total\{cluster="local",kind="OAPServer",[^}]*\} 1$/m);
    expect(text).toMatch(/^skywalking_reconcile_duration_seconds_bucket\{cluster="local",kind="OAPServer",[^}]*le="0.05"\} 1$/m);
    expect(text).toMatch(/^skywalking_reconcile_duration_seconds_sum\{[^}]*\} 0.042$/m);
    expect(text).toMatch(/^skywalking_webhook_injected_pods_total\{[^}]*\} 1$/m);
    expect(text).toMatch(/^skywalking_workqueue_depth\{cluster="local",[^}]*\} 2$/m);
    expect(text).toMatch(/^skywalking_leader\{cluster="local",[^}]*\} 1$/m);
    // no trace or log exporter trying to reach a collector that is not there
    expect(r.output()).not.toMatch(/ECONNREFUSED|4318/);
  });

  it('starts nothing with SWB_METRICS=0', async () => {
    const port = await freePort();
    const r = startRecorder({ SWB_METRICS: '0', SWB_METRICS_PORT: String(port) });
    children.push(r.child);
    await r.ready;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    expect(r.output()).not.toContain('Prometheus metrics on');
  });
});
