import * as http from 'http';
import type { AddressInfo } from 'net';
import { DEFAULT_OAP_MAX_RESPONSE_BYTES, OapClient } from './client';
import {
  OapGraphQLError,
  OapHttpError,
  OapInvalidResponseError,
  OapResponseTooLargeError,
  OapTimeoutError,
  OapUnreachableError,
} from './errors';

type Handler = (
  req: http.IncomingMessage,
  body: string,
  res: http.ServerResponse,
) => void;

async function withServer<T>(
  handler: Handler,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('OapClient', () => {
  it('posts to <base>/graphql with headers and variables', async () => {
    let seen: { url?: string; auth?: string; body?: any } = {};
    await withServer(
      (req, body, res) => {
        seen = {
          url: req.url,
          auth: req.headers.authorization,
          body: JSON.parse(body),
        };
        json(res, 200, { data: { listServices: [] } });
      },
      async url => {
        const c = new OapClient({
          baseUrl: `${url}/`,
          headers: { authorization: 'Basic x' },
        });
        expect(c.url).toBe(`${url}/graphql`);
        await expect(c.listServices('K8S_SERVICE')).resolves.toEqual([]);
      },
    );
    expect(seen.url).toBe('/graphql');
    expect(seen.auth).toBe('Basic x');
    expect(seen.body.variables).toEqual({ layer: 'K8S_SERVICE' });
    expect(seen.body.query).toContain('listServices(layer: $layer)');
  });

  it('keeps a base URL that already ends with /graphql', () => {
    expect(new OapClient({ baseUrl: 'http://oap:12800/graphql' }).url).toBe(
      'http://oap:12800/graphql',
    );
    expect(() => new OapClient({ baseUrl: 'ftp://oap' })).toThrow(/http/);
    expect(() => new OapClient({ baseUrl: 'not a url' })).toThrow(
      /invalid baseUrl/,
    );
  });

  it('reports an unreachable OAP', async () => {
    // A port that was just free: bind, read, close.
    const port = await withServer(
      () => undefined,
      async url => Number(new URL(url).port),
    );
    const c = new OapClient({ baseUrl: `http://127.0.0.1:${port}` });
    const err = await c.listLayers().catch(e => e);
    expect(err).toBeInstanceOf(OapUnreachableError);
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/unreachable.*ECONNREFUSED/);
  });

  it('reports an HTTP status', async () => {
    await withServer(
      (_q, _b, res) => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('upstream down');
      },
      async url => {
        const err = await new OapClient({ baseUrl: url })
          .listLayers()
          .catch(e => e);
        expect(err).toBeInstanceOf(OapHttpError);
        expect(err.status).toBe(503);
        expect(err.message).toMatch(/HTTP 503.*upstream down/);
      },
    );
  });

  it('reports GraphQL errors (with 200 and with 400)', async () => {
    for (const status of [200, 400]) {
      await withServer(
        (_q, _b, res) =>
          json(res, status, {
            errors: [{ message: 'Cannot query field "x"' }],
            data: null,
          }),
        async url => {
          const err = await new OapClient({ baseUrl: url })
            .listLayers()
            .catch(e => e);
          expect(err).toBeInstanceOf(OapGraphQLError);
          expect(err.kind).toBe('graphql');
          expect(err.errors[0].message).toBe('Cannot query field "x"');
        },
      );
    }
  });

  it('reports a response that is not GraphQL', async () => {
    await withServer(
      (_q, _b, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login</html>');
      },
      async url => {
        const err = await new OapClient({ baseUrl: url })
          .listLayers()
          .catch(e => e);
        expect(err).toBeInstanceOf(OapInvalidResponseError);
      },
    );
  });

  it('times out', async () => {
    await withServer(
      () => undefined, // never answers
      async url => {
        const c = new OapClient({ baseUrl: url, timeoutMs: 100 });
        const err = await c.listLayers().catch(e => e);
        expect(err).toBeInstanceOf(OapTimeoutError);
        expect(err.message).toMatch(/100 ms/);
      },
    );
  });

  it('batches expressions through aliases and keeps order', async () => {
    const bodies: any[] = [];
    await withServer(
      (_q, body, res) => {
        const parsed = JSON.parse(body);
        bodies.push(parsed);
        const data: Record<string, unknown> = {};
        for (const k of Object.keys(parsed.variables).filter(v =>
          v.startsWith('e'),
        )) {
          const i = k.slice(1);
          data[`m${i}`] = {
            type: 'SINGLE_VALUE',
            error: null,
            results: [
              {
                metric: { labels: [] },
                values: [{ id: null, value: parsed.variables[k] }],
              },
            ],
          };
        }
        json(res, 200, { data });
      },
      async url => {
        const c = new OapClient({ baseUrl: url, batchSize: 2 });
        const d = {
          start: '2026-01-01 0000',
          end: '2026-01-01 0001',
          step: 'MINUTE' as const,
        };
        const out = await c.execExpressions(
          ['a', 'b', 'c'].map(expression => ({
            expression,
            entity: { serviceName: 's' },
          })),
          d,
        );
        expect(out.map(r => r.results[0].values[0].value)).toEqual([
          'a',
          'b',
          'c',
        ]);
      },
    );
    expect(bodies).toHaveLength(2);
  });

  describe('response size limit', () => {
    /**
     * An endless 200 body (no Content-Length), written as fast as the client
     * reads; `sent()` is how much left the server before the client hung up.
     */
    function endless(): { handler: Handler; sent: () => number; closed: Promise<void> } {
      let bytes = 0;
      let markClosed!: () => void;
      const closed = new Promise<void>(r => (markClosed = r));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      return {
        sent: () => bytes,
        closed,
        handler: (_q, _b, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"data":{"listLayers":["');
          const pump = () => {
            while (!res.destroyed && res.write(chunk)) bytes += chunk.length;
            if (!res.destroyed) res.once('drain', pump);
          };
          res.on('close', () => markClosed());
          pump();
        },
      };
    }

    it('stops reading an endless body at maxResponseBytes and says so', async () => {
      const body = endless();
      await withServer(body.handler, async url => {
        const c = new OapClient({ baseUrl: url, maxResponseBytes: 1024 * 1024 });
        const err = await c.listLayers().catch(e => e);
        expect(err).toBeInstanceOf(OapResponseTooLargeError);
        expect(err.kind).toBe('too-large');
        expect(err.message).toMatch(
          /larger than the limit of 1048576 bytes; narrow the query/,
        );
        // the connection was dropped: the server stops writing soon after the limit
        await body.closed;
        expect(body.sent()).toBeLessThan(16 * 1024 * 1024);
      });
    });

    it('applies a default limit when none is configured', async () => {
      const body = endless();
      await withServer(body.handler, async url => {
        const err = await new OapClient({ baseUrl: url, timeoutMs: 60_000 })
          .listLayers()
          .catch(e => e);
        expect(err).toBeInstanceOf(OapResponseTooLargeError);
        expect(err.maxBytes).toBe(DEFAULT_OAP_MAX_RESPONSE_BYTES);
        await body.closed;
        expect(body.sent()).toBeLessThan(DEFAULT_OAP_MAX_RESPONSE_BYTES * 2);
      });
    });

    it('refuses a declared Content-Length over the limit without reading the body', async () => {
      await withServer(
        (_q, _b, res) => {
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': String(10 * 1024 ** 3),
          });
          res.write('{"data":'); // then nothing: only the header can end this quickly
        },
        async url => {
          const c = new OapClient({
            baseUrl: url,
            maxResponseBytes: 1000,
            timeoutMs: 5_000,
          });
          const started = Date.now();
          const err = await c.listLayers().catch(e => e);
          expect(err).toBeInstanceOf(OapResponseTooLargeError);
          expect(err.message).toMatch(/\(Content-Length 10737418240\)/);
          expect(Date.now() - started).toBeLessThan(2_000);
        },
      );
    });

    it('still reads a body just under the limit', async () => {
      const layers = ['x'.repeat(2000)];
      await withServer(
        (_q, _b, res) => json(res, 200, { data: { listLayers: layers } }),
        async url => {
          const c = new OapClient({ baseUrl: url, maxResponseBytes: 2100 });
          await expect(c.listLayers()).resolves.toEqual(layers);
        },
      );
    });
  });
});
