/**
 * Every GraphQL document our OAP client sends, in one place. Each one is
 * validated against the published schema subset in `queries.test.ts`
 * (fixtures in `__fixtures__/schema`, from apache/skywalking-query-protocol).
 */

const TOPOLOGY_FIELDS = `
    nodes { id name type isReal layers }
    calls { id source target sourceComponents targetComponents detectPoints }`;

const INSTANCE_TOPOLOGY_FIELDS = `
    nodes { id name serviceId serviceName type isReal }
    calls { id source target sourceComponents targetComponents detectPoints }`;

const EXPRESSION_RESULT_FIELDS = `
    type
    error
    results {
      metric { labels { key value } }
      values { id value }
    }`;

const HIERARCHY_FIELDS = `
    relations {
      upperService { id name layer normal }
      lowerService { id name layer normal }
    }`;

/** @public */
export const OAP_QUERIES = {
  listLayers: `query ListLayers {
  listLayers
}`,
  listServices: `query ListServices($layer: String) {
  listServices(layer: $layer) { id name group shortName layers normal }
}`,
  listInstances: `query ListInstances($serviceId: ID!, $duration: Duration!) {
  listInstances(serviceId: $serviceId, duration: $duration) {
    id name instanceUUID language attributes { name value }
  }
}`,
  getTimeInfo: `query GetTimeInfo {
  getTimeInfo { timezone currentTimestamp }
}`,
  getGlobalTopology: `query GetGlobalTopology($duration: Duration!, $layer: String) {
  getGlobalTopology(duration: $duration, layer: $layer) {${TOPOLOGY_FIELDS}
  }
}`,
  getServicesTopology: `query GetServicesTopology($serviceIds: [ID!]!, $duration: Duration!) {
  getServicesTopology(serviceIds: $serviceIds, duration: $duration) {${TOPOLOGY_FIELDS}
  }
}`,
  getServiceInstanceTopology: `query GetServiceInstanceTopology($clientServiceId: ID!, $serverServiceId: ID!, $duration: Duration!) {
  getServiceInstanceTopology(clientServiceId: $clientServiceId, serverServiceId: $serverServiceId, duration: $duration) {${INSTANCE_TOPOLOGY_FIELDS}
  }
}`,
  getServiceHierarchy: `query GetServiceHierarchy($serviceId: ID!, $layer: String!) {
  getServiceHierarchy(serviceId: $serviceId, layer: $layer) {${HIERARCHY_FIELDS}
  }
}`,
  execExpression: `query ExecExpression($expression: String!, $entity: Entity!, $duration: Duration!) {
  execExpression(expression: $expression, entity: $entity, duration: $duration) {${EXPRESSION_RESULT_FIELDS}
  }
}`,
} as const;

/** @public */
export type OapQueryName = keyof typeof OAP_QUERIES;

/**
 * Many `execExpression` calls in one request through aliases (`m0`, `m1`,
 * ...), sharing one `$duration`. Variables: `$e<i>: String!`, `$n<i>: Entity!`.
 * @public
 */
export function batchedExpressionQuery(count: number): string {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`batchedExpressionQuery: count must be >= 1`);
  }
  const vars: string[] = ['$duration: Duration!'];
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    vars.push(`$e${i}: String!`, `$n${i}: Entity!`);
    fields.push(
      `  m${i}: execExpression(expression: $e${i}, entity: $n${i}, duration: $duration) {${EXPRESSION_RESULT_FIELDS}\n  }`,
    );
  }
  return `query ExecExpressions(${vars.join(', ')}) {\n${fields.join('\n')}\n}`;
}

/**
 * Many `getServiceInstanceTopology` calls in one request through aliases
 * (`t0`, `t1`, ...). Variables: `$c<i>: ID!`, `$s<i>: ID!`, `$duration`.
 * @public
 */
export function batchedInstanceTopologyQuery(count: number): string {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`batchedInstanceTopologyQuery: count must be >= 1`);
  }
  const vars: string[] = ['$duration: Duration!'];
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    vars.push(`$c${i}: ID!`, `$s${i}: ID!`);
    fields.push(
      `  t${i}: getServiceInstanceTopology(clientServiceId: $c${i}, serverServiceId: $s${i}, duration: $duration) {${INSTANCE_TOPOLOGY_FIELDS}\n  }`,
    );
  }
  return `query GetServiceInstanceTopologies(${vars.join(
    ', ',
  )}) {\n${fields.join('\n')}\n}`;
}

/**
 * Many `getServiceHierarchy` calls (hierarchy.graphqls, OAP 10.0+) in one
 * request through aliases (`h0`, `h1`, ...). Variables: `$s<i>: ID!` and one
 * `$layer: String!`.
 * @public
 */
export function batchedServiceHierarchyQuery(count: number): string {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`batchedServiceHierarchyQuery: count must be >= 1`);
  }
  const vars: string[] = ['$layer: String!'];
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    vars.push(`$s${i}: ID!`);
    fields.push(
      `  h${i}: getServiceHierarchy(serviceId: $s${i}, layer: $layer) {${HIERARCHY_FIELDS}\n  }`,
    );
  }
  return `query GetServiceHierarchies(${vars.join(', ')}) {\n${fields.join(
    '\n',
  )}\n}`;
}
