import os from 'node:os';
import { benchAdmission } from './admission';
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
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
