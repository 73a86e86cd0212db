import os from 'node:os';
import { benchAdmission } from './admission';

const fmt = (n: number, d = 2) => n.toFixed(d);

async function main() {
  const only = process.argv.slice(2);
  const want = (s: string) => !only.length || only.includes(s);
  console.log(`# skywalking-backstage bench — ${new Date().toISOString()} — ${os.cpus().length} cores, ${os.cpus()[0]?.model}, Node ${process.version}`);
  if (want('admission')) {
    const r = await benchAdmission();
    console.log(`\n## Admission webhook (loopback HTTPS, ${r.total} realistic pod reviews, concurrency ${r.concurrency})`);
    console.log('| server | p50 ms | p99 ms | requests/s |');
    console.log('|---|---|---|---|');
    console.log(`| empty-patch floor | ${fmt(r.floor.p50)} | ${fmt(r.floor.p99)} | ${fmt(r.floor.rps, 0)} |`);
    console.log(`| injection webhook | ${fmt(r.webhook.p50)} | ${fmt(r.webhook.p99)} | ${fmt(r.webhook.rps, 0)} |`);
    console.log(`ratio webhook/floor: p50 ${fmt(r.webhook.p50 / r.floor.p50)}x, p99 ${fmt(r.webhook.p99 / r.floor.p99)}x, throughput ${fmt(r.webhook.rps / r.floor.rps)}x`);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
