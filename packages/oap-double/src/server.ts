import * as http from 'http';
import type { AddressInfo } from 'net';
import {
  DocumentNode,
  GraphQLError,
  TypeInfo,
  execute,
  getNamedType,
  parse,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { rootValue } from './root';
import { IMPLEMENTED_QUERY_FIELDS, loadOapSchema } from './schema';
import { OapDoubleTrafficSource } from './traffic';

/** Where the double writes its log lines. */
export interface OapDoubleLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface OapDoubleOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only; default 127.0.0.1. */
  host?: '127.0.0.1' | '::1' | 'localhost';
  trafficSource: OapDoubleTrafficSource;
  /** Default: console with an `[oap-double]` prefix. */
  logger?: OapDoubleLogger;
  /** The double's time zone for Duration strings; default `+0000` (UTC). */
  timezone?: string;
}

export interface RunningOapDouble {
  /** Base URL, e.g. `http://127.0.0.1:12800` (GraphQL at `/graphql`). */
  url: string;
  /** Number of GraphQL requests answered. */
  requestCount(): number;
  stop(): Promise<void>;
}

const consoleLogger: OapDoubleLogger = {
  // eslint-disable-next-line no-console
  info: m => console.log(`[oap-double] ${m}`),
  // eslint-disable-next-line no-console
  warn: m => console.warn(`[oap-double] ${m}`),
};

const MAX_BODY = 1024 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function errorsOf(errors: ReadonlyArray<GraphQLError>) {
  return { errors: errors.map(e => e.toJSON()) };
}

/** Fields outside the subset the double implements, as GraphQL errors. */
function unimplemented(document: DocumentNode): GraphQLError[] {
  const schema = loadOapSchema();
  const typeInfo = new TypeInfo(schema);
  const out: GraphQLError[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition(node) {
        if (node.operation !== 'query') {
          out.push(
            new GraphQLError(
              `The OAP test double only answers queries, not ${node.operation}s`,
              { nodes: node },
            ),
          );
        }
      },
      Field(node) {
        const parent = typeInfo.getParentType();
        if (
          parent &&
          getNamedType(parent) === schema.getQueryType() &&
          !IMPLEMENTED_QUERY_FIELDS.has(node.name.value) &&
          node.name.value !== '__typename'
        ) {
          out.push(
            new GraphQLError(
              `Query.${node.name.value} is in OAP's schema but not implemented by the OAP test double`,
              { nodes: node },
            ),
          );
        }
      },
    }),
  );
  return out;
}

/**
 * Starts the OAP TEST DOUBLE: an HTTP server on loopback that answers the
 * subset of OAP's published GraphQL schema our client calls. Every request is
 * parsed and validated against the same schema files; invalid ones get
 * GraphQL-format errors. It is not OAP.
 */
export async function startOapDouble(
  options: OapDoubleOptions,
): Promise<RunningOapDouble> {
  const schema = loadOapSchema();
  const log = options.logger ?? consoleLogger;
  const root = rootValue(options.trafficSource, options.timezone ?? '+0000');
  let count = 0;

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql') {
      send(
        res,
        404,
        errorsOf([
          new GraphQLError(
            `OAP test double: no route ${path}; use POST /graphql`,
          ),
        ]),
      );
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(
        res,
        405,
        errorsOf([new GraphQLError('OAP test double: only POST is supported')]),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(
          res,
          413,
          errorsOf([
            new GraphQLError('OAP test double: request body too large'),
          ]),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.writableEnded) return;
      count++;
      let body: {
        query?: unknown;
        variables?: unknown;
        operationName?: unknown;
      };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(
          res,
          400,
          errorsOf([new GraphQLError('OAP test double: body is not JSON')]),
        );
        return;
      }
      if (typeof body?.query !== 'string') {
        send(
          res,
          400,
          errorsOf([
            new GraphQLError('OAP test double: "query" must be a string'),
          ]),
        );
        return;
      }
      let document: DocumentNode;
      try {
        document = parse(body.query);
      } catch (e) {
        log.warn(
          `rejected a query that does not parse: ${(e as Error).message}`,
        );
        send(res, 200, errorsOf([e as GraphQLError]));
        return;
      }
      const validationErrors = validate(schema, document);
      const invalid = validationErrors.length
        ? validationErrors
        : unimplemented(document);
      if (invalid.length) {
        log.warn(`rejected an invalid query: ${invalid[0].message}`);
        send(res, 200, errorsOf(invalid));
        return;
      }
      Promise.resolve(
        execute({
          schema,
          document,
          rootValue: root,
          variableValues: (body.variables as Record<string, unknown>) ?? {},
          operationName:
            typeof body.operationName === 'string'
              ? body.operationName
              : undefined,
        }),
      ).then(
        result =>
          send(res, 200, {
            data: result.data ?? null,
            ...(result.errors ? errorsOf(result.errors) : {}),
          }),
        e =>
          send(
            res,
            500,
            errorsOf([
              new GraphQLError(
                `OAP test double failed: ${(e as Error).message}`,
              ),
            ]),
          ),
      );
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host === '::1' ? '[::1]' : host}:${port}`;
  log.info(
    `OAP test double listening on ${url}/graphql (${options.trafficSource.services.length} services; not a real OAP)`,
  );
  return {
    url,
    requestCount: () => count,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => {
          log.info('OAP test double stopped');
          resolve();
        });
      }),
  };
}
