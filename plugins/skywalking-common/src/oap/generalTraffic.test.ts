/*
 * fetchGeneralTraffic against OAP 10.1.0's own schema: the fake fetch below
 * parses, validates and executes each request with graphql-js on the schema
 * files OAP 10.1.0 pins (__fixtures__/schema-oap-10.1.0), so a query or a
 * variable 10.1.0 would refuse fails here; the resolvers answer what OAP
 * 10.1.0 answers for the demo shop (ids base64(name).1 for real services,
 * .0 for conjectural ones; percentile label `p`; `*_sla` in 1/10000).
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildSchema, execute, parse, validate } from 'graphql';
import { OapClient } from './client';
import { GENERAL_LAYER, fetchGeneralTraffic } from './generalTraffic';

const dir = path.join(__dirname, '__fixtures__', 'schema-oap-10.1.0');
const schema = buildSchema(
  fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.graphqls'))
    .sort()
    .map(f => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n'),
);

const id = (name: string, real = true) =>
  `${Buffer.from(name).toString('base64')}.${real ? 1 : 0}`;
const FRONTEND = id('shop-frontend');
const ORDERS = id('shop-orders');
const PAYMENTS_PEER = id('shop-payments:80', false);
const USER = id('User', false);

const single = (value: string | null) => ({
  type: 'SINGLE_VALUE',
  error: null,
  results: [
    { metric: { labels: [] }, values: [{ id: null, value, traceID: null }] },
  ],
});

interface Seen {
  operation: string;
  variables: Record<string, any>;
}

function oap1010(overrides: Record<string, unknown> = {}) {
  const seen: Seen[] = [];
  const root = {
    listServices: ({ layer }: { layer: string }) =>
      layer === 'GENERAL'
        ? ['shop-frontend', 'shop-orders', 'other-app'].map(n => ({
            id: id(n),
            name: n,
            group: '',
            shortName: n,
            layers: ['GENERAL'],
            normal: true,
          }))
        : [],
    getServicesTopology: () => ({
      nodes: [
        { id: USER, name: 'User', type: 'USER', isReal: false, layers: [] },
        {
          id: FRONTEND,
          name: 'shop-frontend',
          type: 'jdk-http',
          isReal: true,
          layers: ['GENERAL'],
        },
        {
          id: ORDERS,
          name: 'shop-orders',
          type: 'jdk-http',
          isReal: true,
          layers: ['GENERAL'],
        },
        {
          id: PAYMENTS_PEER,
          name: 'shop-payments:80',
          type: 'jdk-httpclient',
          isReal: false,
          layers: ['VIRTUAL_GATEWAY'],
        },
      ],
      calls: [
        {
          id: `${USER}-${FRONTEND}`,
          source: USER,
          target: FRONTEND,
          sourceComponents: [],
          targetComponents: ['jdk-http'],
          detectPoints: ['SERVER'],
        },
        {
          id: `${FRONTEND}-${ORDERS}`,
          source: FRONTEND,
          target: ORDERS,
          sourceComponents: ['jdk-httpclient'],
          targetComponents: ['jdk-http'],
          detectPoints: ['CLIENT', 'SERVER'],
        },
        {
          id: `${ORDERS}-${PAYMENTS_PEER}`,
          source: ORDERS,
          target: PAYMENTS_PEER,
          sourceComponents: ['jdk-httpclient'],
          targetComponents: [],
          detectPoints: ['CLIENT'],
        },
      ],
    }),
    getServiceHierarchy: ({ serviceId }: { serviceId: string }) => {
      const name = serviceId === FRONTEND ? 'shop-frontend' : 'shop-orders';
      return {
        relations: [
          {
            upperService: {
              id: serviceId,
              name,
              layer: 'GENERAL',
              normal: true,
            },
            lowerService: {
              id: id(`${name}.shop`),
              name: `${name}.shop`,
              layer: 'K8S_SERVICE',
              normal: true,
            },
          },
        ],
      };
    },
    execExpression: ({
      expression,
      entity,
    }: {
      expression: string;
      entity: Record<string, unknown>;
    }) => {
      if (expression.includes('{p=')) {
        return {
          type: 'SINGLE_VALUE',
          error: null,
          results: ['50', '75', '90', '95', '99'].map((p, i) => ({
            metric: { labels: [{ key: 'p', value: p }] },
            values: [{ id: null, value: String(10 * (i + 1)), traceID: null }],
          })),
        };
      }
      if (expression.includes('_sla')) return single('9950');
      if (expression.includes('resp_time')) return single('12.5');
      if (
        expression.includes('service_relation_client_cpm') &&
        entity.destNormal === false
      )
        return single('30');
      return single('60');
    },
    ...overrides,
  };
  const fetchImpl = (async (_url: string, init: { body: string }) => {
    const { query, variables } = JSON.parse(init.body);
    const document = parse(query);
    const errors = validate(schema, document);
    let body: unknown;
    if (errors.length)
      body = { errors: errors.map(e => ({ message: e.message })) };
    else {
      const result = await execute({
        schema,
        document,
        rootValue: root,
        variableValues: variables,
      });
      body = {
        data: result.data ?? null,
        ...(result.errors
          ? { errors: result.errors.map(e => ({ message: e.message })) }
          : {}),
      };
    }
    const op =
      (document.definitions[0] as { name?: { value: string } }).name?.value ??
      '';
    seen.push({ operation: op, variables });
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof fetch;
  return {
    client: new OapClient({
      baseUrl: 'http://oap.test:12800',
      fetch: fetchImpl,
    }),
    seen,
  };
}

const window = {
  from: Date.UTC(2026, 0, 5, 9, 0),
  to: Date.UTC(2026, 0, 5, 9, 15),
};

describe('fetchGeneralTraffic against OAP 10.1.0 schema and answers', () => {
  it("reads the agents' services, their calls, hierarchy and metrics in four requests", async () => {
    const { client, seen } = oap1010();
    const t = await fetchGeneralTraffic(client, {
      ...window,
      services: ['shop-frontend', 'shop-cart'],
    });

    expect(seen.map(s => s.operation)).toEqual([
      'ListServices',
      'GetServicesTopology',
      'GetServiceHierarchies',
      'ExecExpressions',
    ]);
    expect(seen[0].variables).toEqual({ layer: 'GENERAL' });
    expect(seen[1].variables.serviceIds).toEqual([FRONTEND]);
    expect(seen[2].variables).toEqual({
      layer: 'GENERAL',
      s0: FRONTEND,
      s1: ORDERS,
    });
    expect(t.layer).toBe(GENERAL_LAYER);
    expect(t.missing).toEqual(['shop-cart']);
    expect(t.warnings).toEqual([]);

    const frontend = t.services.find(s => s.name === 'shop-frontend')!;
    expect(frontend).toMatchObject({
      isReal: true,
      k8sServices: ['shop-frontend.shop'],
    });
    expect(frontend.metrics).toEqual({
      cpm: 60,
      latencyMs: 12.5,
      successRate: 0.995,
      percentilesMs: { p50: 10, p75: 20, p90: 30, p95: 40, p99: 50 },
    });
    expect(t.services.find(s => s.name === 'shop-payments:80')).toMatchObject({
      isReal: false,
      metrics: {},
    });

    const toOrders = t.relations.find(r => r.targetName === 'shop-orders')!;
    expect(toOrders).toMatchObject({
      sourceName: 'shop-frontend',
      side: 'server',
      detectPoints: ['CLIENT', 'SERVER'],
    });
    const toPeer = t.relations.find(r => r.targetName === 'shop-payments:80')!;
    expect(toPeer.side).toBe('client');
    expect(toPeer.metrics.cpm).toBe(30);

    // relation metrics of the side that saw the call, with the peer marked not normal
    const batch = seen[3].variables;
    const exprs = Object.keys(batch)
      .filter(k => /^e\d+$/.test(k))
      .map(k => ({ e: batch[k], n: batch[`n${k.slice(1)}`] }));
    expect(exprs).toContainEqual({
      e: 'avg(service_relation_server_cpm)',
      n: {
        serviceName: 'shop-frontend',
        normal: true,
        destServiceName: 'shop-orders',
        destNormal: true,
      },
    });
    expect(exprs).toContainEqual({
      e: 'avg(service_relation_client_call_sla)',
      n: {
        serviceName: 'shop-orders',
        normal: true,
        destServiceName: 'shop-payments:80',
        destNormal: false,
      },
    });
    expect(exprs).toContainEqual({
      e: "avg(service_percentile{p='50,75,90,95,99'})",
      n: { serviceName: 'shop-orders', normal: true },
    });
    // 2 real services and 3 relations, 4 expressions each
    expect(exprs).toHaveLength(20);
  });

  it("finds agents by short name too (the Kubernetes Service name, OAP's hierarchy rule)", async () => {
    const { client, seen } = oap1010();
    await fetchGeneralTraffic(client, {
      ...window,
      services: [],
      shortNames: ['shop-orders'],
    });
    expect(seen[1].variables.serviceIds).toEqual([ORDERS]);
  });

  it('says which agents are missing and asks nothing more when OAP lists none of them', async () => {
    const { client, seen } = oap1010();
    const t = await fetchGeneralTraffic(client, {
      ...window,
      services: ['shop-cart'],
    });
    expect(t).toMatchObject({
      services: [],
      relations: [],
      missing: ['shop-cart'],
    });
    expect(seen).toHaveLength(1);
  });

  it('keeps going without the hierarchy when OAP cannot answer it, with a warning', async () => {
    const { client } = oap1010({
      getServiceHierarchy: () => {
        throw new Error('hierarchy is disabled');
      },
    });
    const t = await fetchGeneralTraffic(client, {
      ...window,
      services: ['shop-frontend'],
    });
    expect(t.services.every(s => s.k8sServices.length === 0)).toBe(true);
    expect(t.warnings).toEqual([
      expect.stringMatching(
        /^GENERAL layer: OAP's service hierarchy could not be read: .*hierarchy is disabled/,
      ),
    ]);
    expect(t.relations).toHaveLength(3);
  });

  it('names an expression OAP could not answer', async () => {
    const { client } = oap1010({
      execExpression: () => ({
        type: 'UNKNOWN',
        error: 'Metric: [service_relation_server_cpm] dose not exist.',
        results: [],
      }),
    });
    const t = await fetchGeneralTraffic(client, {
      ...window,
      services: ['shop-frontend'],
    });
    expect(t.warnings[0]).toMatch(
      /^avg\(service_cpm\) @ \{"serviceName":"shop-frontend","normal":true\}: Metric: \[service_relation_server_cpm\] dose not exist\.$/,
    );
  });
});
