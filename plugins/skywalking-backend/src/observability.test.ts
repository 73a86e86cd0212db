import fs from 'node:fs';
import path from 'node:path';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import YAML from 'yaml';
import { createSkyWalkingMetrics, SKYWALKING_METRICS } from './metrics';

/*
 * The Grafana dashboard and the Prometheus alert rules in observability/ may
 * only use metrics (and labels) the code exports: this test reads the names
 * from the metrics as a real MeterProvider collects them.
 */

const root = path.resolve(__dirname, '../../..');
const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'observability/grafana-dashboard.json'), 'utf8'));
const alerts = YAML.parse(fs.readFileSync(path.join(root, 'observability/prometheus-alerts.yaml'), 'utf8'));

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

/** Name -> Prometheus label names, of every metric the code exports (one event of each kind recorded). */
async function exported(): Promise<Map<string, { histogram: boolean; labels: Set<string> }>> {
  const reader = new TestReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const m = createSkyWalkingMetrics();
  m.setGaugeSources({ queueDepth: () => ({ a: 1 }), reachable: () => ({ a: 1 }), leader: () => ({ a: 1 }) });
  m.setOutboxSource(() => ({ pending: { a: 1 }, dead: { a: 1 } }));
  m.onReconcile({ cluster: 'a', kind: 'OAPServer', durationMs: 1, writes: 1, error: 'x' });
  m.onRetry({ cluster: 'a', kind: 'OAPServer' });
  m.onAdmission({ durationMs: 1, outcome: 'injected', status: 200 });
  const out = new Map<string, { histogram: boolean; labels: Set<string> }>();
  for (const sm of (await reader.collect()).resourceMetrics.scopeMetrics) {
    for (const metric of sm.metrics) {
      const histogram = metric.dataPointType === DataPointType.HISTOGRAM;
      // the Prometheus exporter adds `instance`/`job` at scrape time, `le` for buckets
      const labels = new Set(['instance', 'job', ...(histogram ? ['le'] : [])]);
      for (const p of metric.dataPoints as { attributes: Record<string, unknown> }[]) for (const k of Object.keys(p.attributes)) labels.add(k);
      out.set(metric.descriptor.name, { histogram, labels });
    }
  }
  return out;
}

/** Every PromQL expression of the dashboard's panels and of the alert rules. */
function expressions() {
  const panels: { title: string; expr: string }[] = [];
  const walk = (list: any[]) => {
    for (const p of list) {
      if (p.type === 'row') walk(p.panels ?? []);
      else for (const t of p.targets ?? []) panels.push({ title: p.title, expr: t.expr });
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) if (v.type === 'query') panels.push({ title: `variable ${v.name}`, expr: v.query.query ?? v.query });
  const rules: { title: string; expr: string }[] = alerts.groups.flatMap((g: any) => g.rules.map((r: any) => ({ title: r.alert, expr: r.expr })));
  return { panels, rules };
}

/** Metric names an expression uses, with histogram suffixes as written. */
const namesIn = (expr: string) => [...new Set(expr.match(/\bskywalking_[a-z0-9_]+/g) ?? [])];

/** Label names an expression groups by or matches on. */
function labelsIn(expr: string) {
  const out = new Set<string>();
  for (const [, list] of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) for (const l of list.split(',')) if (l.trim()) out.add(l.trim());
  for (const [, body] of expr.matchAll(/\{([^}]*)\}/g)) for (const [, l] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) out.add(l);
  for (const [, l] of expr.matchAll(/label_values\([^,]+,\s*([a-zA-Z_][a-zA-Z0-9_]*)\)/g)) out.add(l);
  return out;
}

describe('observability/ dashboard and alert rules', () => {
  it('only use metrics and labels the operator exports', async () => {
    const known = await exported();
    expect([...known.keys()].sort()).toEqual(Object.values(SKYWALKING_METRICS).sort());
    const { panels, rules } = expressions();
    expect(panels.length).toBeGreaterThan(10);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const { title, expr } of [...panels, ...rules]) {
      const used = namesIn(expr);
      if (!used.length) problems.push(`${title}: no skywalking_ metric in ${expr}`);
      const labels = new Set<string>();
      for (const name of used) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const metric = known.get(name) ?? (known.get(base)?.histogram ? known.get(base) : undefined);
        if (!metric) {
          problems.push(`${title}: ${name} is not exported by metrics.ts`);
          continue;
        }
        if (metric.histogram && !/_(bucket|sum|count)$/.test(name)) problems.push(`${title}: histogram ${name} needs _bucket, _sum or _count`);
        for (const l of metric.labels) labels.add(l);
      }
      for (const l of labelsIn(expr)) if (!labels.has(l)) problems.push(`${title}: label ${l} is not on ${used.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('the dashboard shows every exported metric', () => {
    const used = new Set(expressions().panels.flatMap(p => namesIn(p.expr).map(n => n.replace(/_(bucket|sum|count)$/, ''))));
    expect(Object.values(SKYWALKING_METRICS).filter(n => !used.has(n))).toEqual([]);
    const ids = new Set<number>();
    for (const p of dashboard.panels) {
      expect(ids.has(p.id)).toBe(false);
      ids.add(p.id);
      expect(p.gridPos).toEqual(expect.objectContaining({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) }));
    }
  });

  it('alert rules are complete: a duration, a severity and a summary each, for the failures that matter', () => {
    const rules = alerts.groups.flatMap((g: any) => g.rules);
    for (const r of rules) {
      expect(r).toEqual(expect.objectContaining({ alert: expect.stringMatching(/^SkyWalking[A-Za-z]+$/), expr: expect.any(String), for: expect.stringMatching(/^\d+m$/) }));
      expect(['info', 'warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toEqual(expect.any(String));
    }
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
    expect(byName.SkyWalkingClusterUnreachable).toMatchObject({ for: '5m', expr: expect.stringContaining(SKYWALKING_METRICS.clusterReachable) });
    expect(byName.SkyWalkingNoLeader).toMatchObject({ for: '5m', expr: expect.stringContaining(SKYWALKING_METRICS.leader) });
    expect(byName.SkyWalkingWebhookSlow.expr).toMatch(/histogram_quantile\(0\.99,.*skywalking_webhook_latency_seconds_bucket.*\)\s*>\s*1\s*$/s);
    expect(byName.SkyWalkingWebhookErrors.expr).toContain('outcome="error"');
    expect(byName.SkyWalkingReconcileErrorRatioHigh.expr).toContain('result="error"');
    expect(byName.SkyWalkingWorkQueueStuck.expr).toContain(SKYWALKING_METRICS.workqueueDepth);
  });
});
