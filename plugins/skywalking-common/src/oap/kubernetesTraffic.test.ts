/*
 * fetchKubernetesTraffic against what OAP 10.1.0 defines: requests are
 * validated and executed on the schema 10.1.0 pins, and MQE answers only
 * the metrics 10.1.0's oal/ebpf.oal defines (third_party/apache-skywalking/
 * oap-10.1.0); any other name gets OAP's "Metric: [...] dose not exist."
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildSchema, execute, parse, validate } from 'graphql';
import { OapClient } from './client';
import { fetchKubernetesTraffic } from './kubernetesTraffic';

const schemaDir = path.join(__dirname, '__fixtures__', 'schema-oap-10.1.0');
const schema = buildSchema(
  fs
    .readdirSync(schemaDir)
    .filter(f => f.endsWith('.graphqls'))
    .map(f => fs.readFileSync(path.join(schemaDir, f), 'utf8'))
    .join('\n'),
);
const oal = path.resolve(
  __dirname,
  '../../../../third_party/apache-skywalking/oap-10.1.0/config/oal/ebpf.oal',
);
const DEFINED = new Set(
  fs
    .readFileSync(oal, 'utf8')
    .split('\n')
    .map(l => /^([a-z0-9_]+)\s*=\s*from\(/.exec(l)?.[1])
    .filter((n): n is string => !!n),
);

const id = (n: string) => `${Buffer.from(n).toString('base64')}.1`;
const value = (metric: string) => {
  if (metric.endsWith('_duration')) return 1800; // latency sum per minute
  if (metric.endsWith('_5xx_cpm')) return 1;
  if (metric.endsWith('_success_cpm')) return 57;
  if (metric.endsWith('_cpm')) return 60;
  return 4096;
};

/** avg(m), avg(a/b), avg(m{p='...'}) as OAP 10.1.0 answers them for the metrics it has. */
function mqe(expression: string) {
  const names = (expression.match(/[a-z][a-z0-9_]+/g) ?? []).filter(
    n => n !== 'avg' && n !== 'p',
  );
  const missing = names.find(n => !DEFINED.has(n));
  if (missing)
    return {
      type: 'UNKNOWN',
      error: `Metric: [${missing}] dose not exist.`,
      results: [],
    };
  const v =
    names.length === 2 ? value(names[0]) / value(names[1]) : value(names[0]);
  return {
    type: 'SINGLE_VALUE',
    error: null,
    results: [
      {
        metric: { labels: [] },
        values: [{ id: null, value: String(v), traceID: null }],
      },
    ],
  };
}

const root = {
  listServices: () =>
    ['shop-frontend.shop', 'shop-orders.shop'].map(n => ({
      id: id(n),
      name: n,
      group: '',
      shortName: n,
      layers: ['K8S_SERVICE'],
      normal: true,
    })),
  getServicesTopology: () => ({
    nodes: ['shop-frontend.shop', 'shop-orders.shop'].map(n => ({
      id: id(n),
      name: n,
      type: 'http',
      isReal: true,
      layers: ['K8S_SERVICE'],
    })),
    calls: [
      {
        id: `${id('shop-frontend.shop')}-${id('shop-orders.shop')}`,
        source: id('shop-frontend.shop'),
        target: id('shop-orders.shop'),
        sourceComponents: ['http'],
        targetComponents: ['http'],
        detectPoints: ['SERVER'],
      },
    ],
  }),
  execExpression: ({ expression }: { expression: string }) => mqe(expression),
};

const fetchImpl = (async (_url: string, init: { body: string }) => {
  const { query, variables } = JSON.parse(init.body);
  const document = parse(query);
  const errors = validate(schema, document);
  const result = errors.length
    ? { errors }
    : await execute({
        schema,
        document,
        rootValue: root,
        variableValues: variables,
      });
  return new Response(JSON.stringify(result), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}) as unknown as typeof fetch;

describe('fetchKubernetesTraffic on OAP 10.1.0', () => {
  it('reads latency as duration / cpm and success from 5xx or success cpm, with no warnings', async () => {
    const client = new OapClient({
      baseUrl: 'http://oap.test:12800',
      fetch: fetchImpl,
    });
    const t = await fetchKubernetesTraffic(client, {
      from: Date.UTC(2026, 0, 5, 9, 0),
      to: Date.UTC(2026, 0, 5, 9, 15),
      services: ['shop-frontend.shop'],
      skipInstances: true,
    });
    expect(t.warnings).toEqual([]);
    // 10.1.0 has no K8S_SERVICE percentiles: none, and not a warning per entity
    expect(t.services[0].metrics).toEqual({
      cpm: 60,
      successRate: 1 - 1 / 60,
      latencyMs: 30,
      bytesInPerMin: 4096,
      bytesOutPerMin: 4096,
    });
    expect(t.relations[0].metrics).toEqual({
      cpm: 60,
      successRate: 57 / 60,
      latencyMs: 30,
      bytesInPerMin: 4096,
      bytesOutPerMin: 4096,
    });
  });

  it('warns once per entity when neither OAP generation answers latency', async () => {
    const original = root.execExpression;
    root.execExpression = ({ expression }) =>
      /_http_call_(time|duration)/.test(expression)
        ? { type: 'UNKNOWN', error: 'storage timeout', results: [] }
        : original({ expression });
    try {
      const client = new OapClient({
        baseUrl: 'http://oap.test:12800',
        fetch: fetchImpl,
      });
      const t = await fetchKubernetesTraffic(client, {
        from: Date.UTC(2026, 0, 5, 9, 0),
        to: Date.UTC(2026, 0, 5, 9, 15),
        services: ['shop-frontend.shop'],
        skipInstances: true,
      });
      expect(t.warnings).toHaveLength(3); // the two services and their relation
      expect(t.warnings[0]).toMatch(
        /^avg\(kubernetes_service_http_call_time\) \/ avg\(kubernetes_service_http_call_duration\/kubernetes_service_http_call_cpm\) @ .*: storage timeout; storage timeout$/,
      );
    } finally {
      root.execExpression = original;
    }
  });
});
