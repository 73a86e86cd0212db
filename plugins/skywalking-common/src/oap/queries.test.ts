import * as fs from 'fs';
import * as path from 'path';
import { buildSchema, parse, validate, GraphQLSchema } from 'graphql';
import {
  OAP_QUERIES,
  batchedExpressionQuery,
  batchedInstanceTopologyQuery,
  batchedServiceHierarchyQuery,
} from './queries';

function loadSchema(dir: string): GraphQLSchema {
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.graphqls'))
    .sort();
  return buildSchema(
    files.map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n'),
  );
}

// the newer subset the OAP double serves, and the one OAP 10.1.0 pins
describe.each(['schema', 'schema-oap-10.1.0'])('OAP queries against the published schema subset (%s)', dirName => {
  const SCHEMA_DIR = path.join(__dirname, '__fixtures__', dirName);
  const schema = loadSchema(SCHEMA_DIR);

  it('the fixtures are the unchanged ASF files', () => {
    for (const f of fs
      .readdirSync(SCHEMA_DIR)
      .filter(n => n.endsWith('.graphqls'))) {
      expect(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')).toContain(
        'Licensed to the Apache Software Foundation (ASF)',
      );
    }
  });

  it.each(Object.entries(OAP_QUERIES))('%s is valid', (_name, query) => {
    expect(validate(schema, parse(query)).map(e => e.message)).toEqual([]);
  });

  it.each([1, 2, 7])('a batch of %i expressions is valid', n => {
    expect(
      validate(schema, parse(batchedExpressionQuery(n))).map(e => e.message),
    ).toEqual([]);
  });

  it.each([1, 3])('a batch of %i instance topologies is valid', n => {
    expect(
      validate(schema, parse(batchedInstanceTopologyQuery(n))).map(
        e => e.message,
      ),
    ).toEqual([]);
  });

  it.each([1, 4])('a batch of %i service hierarchies is valid', n => {
    expect(
      validate(schema, parse(batchedServiceHierarchyQuery(n))).map(
        e => e.message,
      ),
    ).toEqual([]);
  });

  it('rejects batches of zero', () => {
    expect(() => batchedExpressionQuery(0)).toThrow(RangeError);
    expect(() => batchedInstanceTopologyQuery(0)).toThrow(RangeError);
    expect(() => batchedServiceHierarchyQuery(0)).toThrow(RangeError);
  });

  it('would catch a field the schema does not have', () => {
    const bad = OAP_QUERIES.listServices.replace('normal', 'nonexistentField');
    expect(validate(schema, parse(bad)).length).toBeGreaterThan(0);
  });
});
