/**
 * Result types of the OAP GraphQL queries we send (see `queries.ts`), after
 * the fields of apache/skywalking-query-protocol.
 */

/** @public */
export type OapDetectPoint = 'CLIENT' | 'SERVER' | 'PROXY';

/** metadata-v2 `Service`. @public */
export interface OapService {
  id: string;
  name: string;
  group: string;
  shortName: string;
  layers: string[];
  normal: boolean | null;
}

/** metadata-v2 `ServiceInstance`. @public */
export interface OapServiceInstance {
  id: string;
  name: string;
  instanceUUID: string;
  language: string;
  attributes: Array<{ name: string; value: string }>;
}

/** topology `Node`. @public */
export interface OapTopologyNode {
  id: string;
  name: string;
  type: string | null;
  isReal: boolean;
  layers: string[];
}

/** topology `ServiceInstanceNode`. @public */
export interface OapInstanceNode {
  id: string;
  name: string;
  serviceId: string;
  serviceName: string;
  type: string | null;
  isReal: boolean;
}

/** topology `Call`. @public */
export interface OapCall {
  id: string;
  source: string;
  target: string;
  sourceComponents: string[];
  targetComponents: string[];
  detectPoints: OapDetectPoint[];
}

/** @public */
export interface OapTopology {
  nodes: OapTopologyNode[];
  calls: OapCall[];
}

/** @public */
export interface OapInstanceTopology {
  nodes: OapInstanceNode[];
  calls: OapCall[];
}

/** metrics-v3 `Entity` (input). @public */
export interface OapEntity {
  scope?: string;
  serviceName?: string;
  normal?: boolean;
  serviceInstanceName?: string;
  endpointName?: string;
  processName?: string;
  destServiceName?: string;
  destNormal?: boolean;
  destServiceInstanceName?: string;
  destEndpointName?: string;
  destProcessName?: string;
}

/** @public */
export type OapExpressionResultType =
  | 'UNKNOWN'
  | 'SINGLE_VALUE'
  | 'TIME_SERIES_VALUES'
  | 'SORTED_LIST'
  | 'RECORD_LIST';

/** metrics-v3 `ExpressionResult` (the fields we select). @public */
export interface OapExpressionResult {
  type: OapExpressionResultType;
  error: string | null;
  results: Array<{
    metric: { labels: Array<{ key: string; value: string | null }> };
    values: Array<{ id: string | null; value: string | null }>;
  }>;
}

/** metadata-v2 `TimeInfo`. @public */
export interface OapTimeInfo {
  timezone: string | null;
  currentTimestamp: number | null;
}

/** hierarchy `HierarchyRelatedService`. @public */
export interface OapHierarchyService {
  id: string;
  name: string;
  layer: string;
  normal: boolean;
}

/** hierarchy `ServiceHierarchy`. @public */
export interface OapServiceHierarchy {
  relations: Array<{
    upperService: OapHierarchyService;
    lowerService: OapHierarchyService;
  }>;
}
