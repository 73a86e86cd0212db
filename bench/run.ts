import os from 'node:os';
import { benchAdmission } from './admission';
import { benchConvergence } from './convergence';
import { benchTopology } from './topology';
import { benchTopologyLayout, LARGE_GRAPH_NODES } from './topologyLayout';

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
    console.log(`\n## Adversarial admission (same server and run: ${r.total} hostile reviews, ReDoS matchers, 10,000-character names, annotations at their limits)`);
    console.log('| reviews | p50 ms | p99 ms | requests/s |');
    console.log('|---|---|---|---|');
    console.log(`| benign | ${fmt(r.benign.p50)} | ${fmt(r.benign.p99)} | ${fmt(r.benign.rps, 0)} |`);
    console.log(`| hostile | ${fmt(r.hostile.p50)} | ${fmt(r.hostile.p99)} | ${fmt(r.hostile.rps, 0)} |`);
    console.log(`ratio hostile/benign: p99 ${fmt(r.hostile.p99 / r.benign.p99)}x (target 2x), p50 ${fmt(r.hostile.p50 / r.benign.p50)}x; admission workers replaced after a deadline: ${r.replaced}`);
  }
  if (want('topology')) {
    const t = await benchTopology();
    const { input: i, baseline: b, bounded: d } = t;
    const kib = (n: number) => fmt(n / 1024, 1);
    const pp = (s: { p50: number; p95: number }) => `${fmt(s.p50)} / ${fmt(s.p95)}`;
    console.log(
      `\n## Topology response (${i.services} services, ${i.pods} pods, ${i.relations} relations: ${i.serviceRelations} service-level incl. unresolvable and external, ${i.podRelations} pod-level; median / p95 of ${t.iterations} runs after ${t.warmup} warm-up)`,
    );
    console.log('| response | nodes | edges | merge ms | bound ms | serialize ms | gzip ms | total ms | raw KiB | gzip KiB |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    console.log(`| unbounded merge (baseline) | ${b.nodes} | ${b.edges} | ${pp(b.merge)} | – | ${pp(b.serialize)} | ${pp(b.gzip)} | ${pp(b.total)} | ${kib(b.rawBytes)} | ${kib(b.gzipBytes)} |`);
    console.log(`| bounded ${JSON.stringify(t.bound)} | ${d.nodes} | ${d.edges} | ${pp(d.merge)} | ${pp(d.bound)} | ${pp(d.serialize)} | ${pp(d.gzip)} | ${pp(d.total)} | ${kib(d.rawBytes)} | ${kib(d.gzipBytes)} |`);
    console.log(
      `unresolved ${b.graph.unresolved.count} (samples ${b.graph.unresolved.samples.length} -> ${d.graph.unresolved.samples.length}), external nodes ${b.graph.nodes.filter(n => n.kind === 'external').length}, truncated ${JSON.stringify(d.graph.truncated ?? {})}`,
    );
    console.log(
      `ratio bounded/baseline: raw size ${fmt(d.rawBytes / b.rawBytes)}x, gzip size ${fmt(d.gzipBytes / b.gzipBytes)}x, serialize p50 ${fmt(d.serialize.p50 / b.serialize.p50)}x, total time p50 ${fmt(d.total.p50 / b.total.p50)}x, p95 ${fmt(d.total.p95 / b.total.p95)}x`,
    );
  }
  if (want('layout')) {
    const rows = benchTopologyLayout();
    const base = rows[0];
    console.log(`\n## Topology tab layout (cytoscape headless, TopologyGraph's elements and layout: cose up to ${LARGE_GRAPH_NODES} nodes, concentric above; median of 5 after 1 warm-up)`);
    console.log('| nodes | edges | layout | ms | ratio to first row |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.nodes} | ${r.edges} | ${r.layout} | ${fmt(r.ms, 1)} | ${fmt(r.ms / base.ms)}x |`);
  }
  if (want('convergence')) {
    const r = await benchConvergence();
    const mib = (n: number) => fmt(n / 1024 / 1024, 1);
    const base = r.rows[0];
    console.log(`\n## Operator convergence (local control plane, ${r.nodes} KWOK nodes; backends of 1 OAP, BanyanDB, no UI, created 8 at a time through BackendService)`);
    console.log('| backends | create s | Ready s | ms per backend | per-backend ratio to first row | reconciles | API writes |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of r.rows) {
      const per = row.convergeMs / row.n;
      console.log(`| ${row.n} | ${fmt(row.createMs / 1000, 1)} | ${fmt(row.convergeMs / 1000, 1)} | ${fmt(per, 0)} | ${fmt(per / (base.convergeMs / base.n))}x | ${row.reconciles} | ${row.writes} |`);
    }
    const s = r.steady;
    console.log(
      `\nSteady state, ${fmt(s.seconds, 0)} s with nothing changing and two full resyncs: ${s.reconciles} reconciles, ${s.write} writes, ${s.read} reads (${fmt((s.read + s.write) / Math.max(1, s.reconciles), 3)} requests per reconcile, target 0); beside them ${s.lease} Lease requests (${fmt(s.lease / s.seconds, 2)}/s, leader election) and ${s.watch} watch (re)connections`,
    );
    if (s.top.length) console.log(`requests in the window: ${s.top.map(([k, v]) => `${k} ${v}`).join('; ')}`);
    if (r.memory) {
      const m = r.memory;
      console.log(
        `\nMemory with ${m.pods} injected pods watched (${m.running} Running, created and settled in ${fmt(m.podsMs / 1000, 1)} s): heap used ${mib(m.before.heapUsed)} -> ${mib(m.after.heapUsed)} MiB (${fmt(m.after.heapUsed / m.before.heapUsed)}x, ${fmt((m.after.heapUsed - m.before.heapUsed) / Math.max(1, m.pods) / 1024, 1)} KiB per pod), RSS ${mib(m.before.rss)} -> ${mib(m.after.rss)} MiB (${fmt(m.after.rss / m.before.rss)}x)`,
      );
    }
    for (const c of r.cut) console.log(`cut: ${c}`);
  }
}

main()
  // informer and lease timers of the stopped engine may linger: the run is over
  .then(() => process.exit(0))
  .catch(e => {
    console.error(e);
    process.exit(1);
  });
