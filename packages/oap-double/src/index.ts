/**
 * A TEST DOUBLE of SkyWalking OAP's GraphQL API: only the subset our client
 * calls, fed by a deterministic traffic generator. Not OAP.
 *
 * @packageDocumentation
 */
export { startOapDouble } from './server';
export type {
  OapDoubleOptions,
  OapDoubleLogger,
  RunningOapDouble,
} from './server';
export { createTrafficSource, oapIds, BOOKINFO_SCENARIO } from './traffic';
export type {
  OapDoubleScenario,
  OapDoubleTrafficSource,
  MetricKind,
} from './traffic';
export { doubleMetricNames, evaluateExpression } from './mqe';
export {
  loadOapSchema,
  oapSchemaDir,
  IMPLEMENTED_QUERY_FIELDS,
} from './schema';
