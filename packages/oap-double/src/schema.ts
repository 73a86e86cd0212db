import * as fs from 'fs';
import * as path from 'path';
import { GraphQLSchema, buildSchema } from 'graphql';

/**
 * The published OAP schema subset (unchanged ASF files) that the common
 * plugin's client is validated against; the double serves the same schema.
 */
export function oapSchemaDir(): string {
  const pkg = require.resolve(
    '@skywalking-backstage/plugin-skywalking-common/package.json',
  );
  return path.join(path.dirname(pkg), 'src', 'oap', '__fixtures__', 'schema');
}

let cached: GraphQLSchema | undefined;

export function loadOapSchema(): GraphQLSchema {
  if (!cached) {
    const dir = oapSchemaDir();
    const files = fs
      .readdirSync(dir)
      .filter(f => f.endsWith('.graphqls'))
      .sort();
    cached = buildSchema(
      files.map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n'),
    );
  }
  return cached;
}

/** The Query fields the double answers: exactly what our OAP client calls. */
export const IMPLEMENTED_QUERY_FIELDS = new Set([
  'listLayers',
  'listServices',
  'listInstances',
  'getTimeInfo',
  'getGlobalTopology',
  'getServicesTopology',
  'getServiceInstanceTopology',
  'getServiceHierarchy',
  'execExpression',
]);
