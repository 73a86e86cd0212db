/**
 * OpenAPI v3 (structural) schemas of the SWCK kinds. Written from SWCK's Go
 * types: same property names, same required lists. Large Kubernetes types
 * (Affinity, ResourceRequirements, PersistentVolumeClaimSpec, EnvVarSource)
 * keep their unknown fields instead of being spelled out.
 */
import type { SwckKind } from './constants';

export type OpenApiSchema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
};

const str = (description?: string): OpenApiSchema => (description ? { type: 'string', description } : { type: 'string' });
const int32 = (description?: string): OpenApiSchema => ({ type: 'integer', format: 'int32', ...(description ? { description } : {}) });
const int = (description?: string): OpenApiSchema => ({ type: 'integer', ...(description ? { description } : {}) });
const bool = (description?: string): OpenApiSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
const arr = (items: OpenApiSchema, description?: string): OpenApiSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
const obj = (properties: Record<string, OpenApiSchema>, required?: string[], description?: string): OpenApiSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  ...(required && required.length ? { required } : {}),
});
const map = (description?: string): OpenApiSchema => ({ type: 'object', additionalProperties: { type: 'string' }, ...(description ? { description } : {}) });
/** A Kubernetes type we do not spell out; the API server keeps its fields. */
const opaque = (description: string): OpenApiSchema => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
const time = (): OpenApiSchema => ({ type: 'string', format: 'date-time' });

export const envVarSchema: OpenApiSchema = obj(
  {
    name: str('Name of the environment variable. Must be a C_IDENTIFIER.'),
    value: str(),
    valueFrom: opaque('core/v1 EnvVarSource: secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef'),
  },
  ['name'],
  'core/v1 EnvVar',
);

const serviceSchema: OpenApiSchema = obj(
  {
    template: obj({
      clusterIP: str(),
      type: str('ClusterIP, NodePort or LoadBalancer'),
      externalIPs: arr(str()),
      loadBalancerIP: str(),
      loadBalancerSourceRanges: arr(str()),
    }),
    ingress: obj({
      annotations: map(),
      host: str(),
      ingressClassName: str(),
      tls: arr(obj({ hosts: arr(str()), secretName: str() })),
    }),
  },
  undefined,
  'Service and Ingress settings',
);

const deploymentConditions = arr(
  obj(
    {
      type: str(),
      status: str(),
      lastUpdateTime: time(),
      lastTransitionTime: time(),
      reason: str(),
      message: str(),
    },
    ['status', 'type'],
  ),
);

/** Our optional scheduling extension (not in SWCK's CRDs; SWCK manifests never need it). */
const scheduling: Record<string, OpenApiSchema> = {
  resources: opaque('extension: core/v1 ResourceRequirements of the main container'),
  affinity: opaque('core/v1 Affinity'),
  tolerations: arr(opaque('core/v1 Toleration'), 'extension: core/v1 Tolerations'),
  nodeSelector: map('extension: node selector'),
};
const paused = bool('extension: scale to zero and keep data and configuration; false resumes');

const storageSpecSchema: OpenApiSchema = obj(
  {
    type: str('The type of storage, e.g. elasticsearch'),
    connectType: str('internal (operator runs the storage) or external'),
    address: str('Address of an external storage'),
    version: str(),
    image: str(),
    instances: int32(),
    security: obj({ tls: bool(), user: obj({ secretName: str() }) }),
    servicename: str(),
    config: arr(envVarSchema),
    resource: obj({ limit: str(), requests: str() }),
  },
  ['connectType', 'type', 'version'],
);

export const specSchemas: Record<SwckKind, OpenApiSchema> = {
  OAPServer: obj(
    {
      version: str('Version of OAP.'),
      image: str('Image of the OAP server; defaults to apache/skywalking-oap-server:<version>'),
      instances: int32('Replicas of the OAP server (Receivers when roleSplit is enabled)'),
      config: arr(envVarSchema, 'Environment variables of the OAP server'),
      service: serviceSchema,
      storage: obj({ name: str(), injectstorage: opaque('an injected Storage object') }),
      ...scheduling,
      paused,
      roleSplit: obj(
        { enabled: bool(), aggregators: { ...int32('Aggregator (L2) replicas'), minimum: 0 } },
        undefined,
        'extension: split OAP into Receiver and Aggregator deployments',
      ),
      configRefs: arr(str(), 'extension: OAPServerConfig names that apply to this OAP'),
    },
    ['instances', 'version'],
  ),
  UI: obj(
    {
      kind: { type: 'string', enum: ['horizon', 'booster'], default: 'horizon', description: 'UI flavour' },
      version: str(),
      image: str(),
      instances: int32(),
      OAPServerAddress: str(),
      OAPServerAdminAddress: str(),
      OAPServerZipkinAddress: str(),
      config: str('horizon.yaml (horizon UI only)'),
      service: serviceSchema,
      ...scheduling,
      paused,
    },
    ['instances', 'version'],
  ),
  BanyanDB: obj(
    {
      version: str(),
      counts: int(),
      image: str(),
      affinity: opaque('core/v1 Affinity'),
      config: arr(str(), 'command-line arguments, e.g. standalone'),
      httpService: serviceSchema,
      gRPCService: serviceSchema,
      storages: arr(
        obj({ name: str(), path: str(), persistentVolumeClaimSpec: opaque('core/v1 PersistentVolumeClaimSpec') }),
      ),
      resources: scheduling.resources,
      tolerations: scheduling.tolerations,
      nodeSelector: scheduling.nodeSelector,
      paused,
    },
    ['counts', 'image', 'version'],
  ),
  Storage: storageSpecSchema,
  OAPServerConfig: obj(
    {
      version: str(),
      env: arr(envVarSchema),
      file: arr(obj({ name: str(), path: str(), data: str() })),
      labelSelector: str('in SWCK samples only'),
      enableDynamicConfiguration: bool('in SWCK samples only'),
    },
    ['version'],
  ),
  OAPServerDynamicConfig: obj(
    {
      version: str(),
      labelSelector: str(),
      data: arr(obj({ name: str(), value: str() })),
    },
    ['version'],
  ),
  JavaAgent: obj(
    {
      podSelector: str(),
      serviceName: str(),
      backendService: str(),
      agentConfiguration: map(),
    },
    ['backendService', 'serviceName'],
  ),
  SwAgent: obj({
    selector: map(),
    containerMatcher: str(),
    javaSidecar: obj({
      name: { type: 'string', default: 'inject-skywalking-agent' },
      image: { type: 'string', default: 'apache/skywalking-java-agent:8.16.0-java8' },
      command: arr(str()),
      args: { ...arr(str()), default: ['mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent'] },
      resources: opaque('core/v1 ResourceRequirements'),
      env: arr(envVarSchema),
    }),
    sharedVolumeName: { type: 'string', default: 'sky-agent' },
    optionalPlugins: arr(str()),
    optionalReporterPlugins: arr(str()),
    bootstrapPlugins: arr(str()),
  }),
  Satellite: obj(
    {
      version: str(),
      image: str(),
      instances: int32(),
      config: arr(envVarSchema),
      service: serviceSchema,
      OAPServerName: str(),
      ...scheduling,
      paused,
    },
    ['instances', 'version'],
  ),
  Fetcher: obj(
    {
      type: arr(str()),
      OAPServerAddress: str(),
      clusterName: str(),
    },
    ['OAPServerAddress', 'type'],
  ),
};

export const statusSchemas: Record<SwckKind, OpenApiSchema> = {
  OAPServer: obj({ availableReplicas: int32(), address: str(), conditions: deploymentConditions, observedGeneration: int() }),
  UI: obj({
    availableReplicas: int32(),
    externalIPs: arr(str()),
    ports: arr(int32()),
    internalAddress: str(),
    conditions: deploymentConditions,
    observedGeneration: int(),
  }),
  BanyanDB: obj({ available_pods: int32(), conditions: deploymentConditions, observedGeneration: int() }),
  Storage: obj({ conditions: deploymentConditions }),
  OAPServerConfig: obj({ desired: int(), ready: int(), creationTime: time(), lastUpdateTime: time() }),
  OAPServerDynamicConfig: obj({ state: str(), creationTime: time(), lastUpdateTime: time() }),
  JavaAgent: obj({ expectedInjectiedNum: int(), realInjectedNum: int(), creationTime: time(), lastUpdateTime: time() }),
  SwAgent: obj({ creationTime: time(), lastUpdateTime: time() }),
  Satellite: obj({ availableReplicas: int32(), address: str(), conditions: deploymentConditions, observedGeneration: int() }),
  Fetcher: obj({
    replicas: int32(),
    conditions: arr(
      obj({ type: str(), status: str(), lastUpdateTime: time(), lastTransitionTime: time(), message: str() }, ['status', 'type']),
    ),
  }),
};

/** The whole object schema of a kind, as it goes into the CRD's openAPIV3Schema. */
export function objectSchema(kind: SwckKind): OpenApiSchema {
  return {
    type: 'object',
    description: `${kind} is the Schema for the ${kind} API (SWCK-compatible)`,
    properties: {
      apiVersion: str(),
      kind: str(),
      metadata: { type: 'object' },
      spec: specSchemas[kind],
      status: statusSchemas[kind],
    },
  };
}
