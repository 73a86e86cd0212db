/** SWCK's API group. */
export const SWCK_GROUP = 'operator.skywalking.apache.org';
/** The only version SWCK serves. */
export const SWCK_VERSION = 'v1alpha1';
/** `apiVersion` of every SWCK object. */
export const SWCK_GROUP_VERSION = `${SWCK_GROUP}/${SWCK_VERSION}` as 'operator.skywalking.apache.org/v1alpha1';

/** The ten SWCK kinds, in a stable order. */
export const SWCK_KINDS = [
  'OAPServer',
  'UI',
  'BanyanDB',
  'Storage',
  'OAPServerConfig',
  'OAPServerDynamicConfig',
  'JavaAgent',
  'SwAgent',
  'Satellite',
  'Fetcher',
] as const;
export type SwckKind = (typeof SWCK_KINDS)[number];

/** Plural (resource) names, as in SWCK's CRDs. */
export const SWCK_PLURALS: Record<SwckKind, string> = {
  OAPServer: 'oapservers',
  UI: 'uis',
  BanyanDB: 'banyandbs',
  Storage: 'storages',
  OAPServerConfig: 'oapserverconfigs',
  OAPServerDynamicConfig: 'oapserverdynamicconfigs',
  JavaAgent: 'javaagents',
  SwAgent: 'swagents',
  Satellite: 'satellites',
  Fetcher: 'fetchers',
};

export const PLURAL_OAPSERVERS = SWCK_PLURALS.OAPServer;
export const PLURAL_UIS = SWCK_PLURALS.UI;
export const PLURAL_BANYANDBS = SWCK_PLURALS.BanyanDB;
export const PLURAL_STORAGES = SWCK_PLURALS.Storage;
export const PLURAL_OAPSERVERCONFIGS = SWCK_PLURALS.OAPServerConfig;
export const PLURAL_OAPSERVERDYNAMICCONFIGS = SWCK_PLURALS.OAPServerDynamicConfig;
export const PLURAL_JAVAAGENTS = SWCK_PLURALS.JavaAgent;
export const PLURAL_SWAGENTS = SWCK_PLURALS.SwAgent;
export const PLURAL_SATELLITES = SWCK_PLURALS.Satellite;
export const PLURAL_FETCHERS = SWCK_PLURALS.Fetcher;

/** CRD object name for a kind, e.g. `oapservers.operator.skywalking.apache.org`. */
export function crdName(kind: SwckKind): string {
  return `${SWCK_PLURALS[kind]}.${SWCK_GROUP}`;
}

/** Images SWCK defaults to (its mutating webhooks), `<image>:<version>`. */
export const DEFAULT_IMAGES = {
  oap: 'apache/skywalking-oap-server',
  uiBooster: 'apache/skywalking-ui',
  uiHorizon: 'apache/skywalking-horizon-ui',
  banyandb: 'apache/skywalking-banyandb',
  satellite: 'apache/skywalking-satellite',
  javaAgent: 'apache/skywalking-java-agent',
  elasticsearch: 'docker.elastic.co/elasticsearch/elasticsearch',
} as const;

/** Well-known ports. */
export const PORTS = {
  oapGrpc: 11800,
  oapRest: 12800,
  oapMonitoring: 1234,
  oapAdmin: 17128,
  uiBooster: 8080,
  uiHorizon: 8081,
  uiService: 80,
  banyandbGrpc: 17912,
  banyandbHttp: 17913,
  banyandbObservability: 2121,
  banyandbPprof: 6060,
  satelliteGrpc: 11800,
  satelliteMonitoring: 1234,
} as const;
