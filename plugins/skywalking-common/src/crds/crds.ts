/**
 * CustomResourceDefinition manifests (apiextensions.k8s.io/v1) for the ten SWCK
 * kinds: same group, version, names, scope, status subresource and printer
 * columns as SWCK's, schemas from ./schemas. We add a scale subresource on the
 * kinds with replicas (OAPServer, UI, Satellite) so `kubectl scale` and HPAs work.
 */
import { SWCK_GROUP, SWCK_KINDS, SWCK_PLURALS, SWCK_VERSION, SwckKind, crdName } from './constants';
import { OpenApiSchema, objectSchema } from './schemas';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: OpenApiSchema };
      subresources: {
        status: {};
        scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
      };
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

const col = (name: string, jsonPath: string, description?: string, priority?: number): PrinterColumn => ({
  name,
  type: 'string',
  jsonPath,
  ...(description ? { description } : {}),
  ...(priority ? { priority } : {}),
});

/** SWCK's printer columns (kubebuilder:printcolumn markers), per kind. */
export const PRINTER_COLUMNS: Record<SwckKind, PrinterColumn[]> = {
  OAPServer: [
    col('Version', '.spec.version', 'The version', 1),
    col('Instances', '.spec.instances', 'The number of expected instance'),
    col('Running', '.status.availableReplicas', 'The number of running'),
    col('Address', '.status.address', 'The address of OAP server'),
    col('Image', '.spec.image', undefined, 1),
  ],
  UI: [
    col('Version', '.spec.version', 'The version', 1),
    col('Instances', '.spec.instances', 'The number of expected instance'),
    col('Running', '.status.availableReplicas', 'The number of running'),
    col('InternalAddress', '.status.internalAddress', 'The address of OAP server'),
    col('ExternalIPs', '.status.externalIPs', 'The address of OAP server'),
    col('Ports', '.status.ports', 'The address of OAP server'),
    col('Image', '.spec.image', undefined, 1),
  ],
  BanyanDB: [],
  Storage: [
    col('Instances', '.spec.instances', 'The number of expected instance'),
    col('Type', '.spec.type', 'The type of storage'),
    col('Version', '.spec.version', 'The version'),
    col('ConnectType', '.spec.connectType', 'the way to connect storage'),
  ],
  OAPServerConfig: [
    col('Version', '.spec.version', 'The version', 1),
    col('Instances', '.status.desired', 'The number of expected instance'),
    col('Running', '.status.ready', 'The number of running'),
  ],
  OAPServerDynamicConfig: [
    col('Version', '.spec.version', 'The version', 1),
    col('State', '.status.state', 'The state of dynamic configuration'),
  ],
  JavaAgent: [
    col('PodSelector', '.spec.podSelector', 'The selector label of injected Pod'),
    col('ServiceName', '.spec.serviceName', 'The name of service in the injected agent'),
    col('BackendService', '.spec.backendService', 'The backend service in the injected agent'),
  ],
  SwAgent: [],
  Satellite: [
    col('Version', '.spec.version', 'The version', 1),
    col('Instances', '.spec.instances', 'The number of expected instance'),
    col('Running', '.status.availableReplicas', 'The number of running'),
    col('Address', '.status.address', 'The address of Satellite server'),
    col('Image', '.spec.image', undefined, 1),
  ],
  Fetcher: [],
};

/** Kinds with a scale subresource (our addition; SWCK has none). */
export const SCALE_PATHS: Partial<Record<SwckKind, { specReplicasPath: string; statusReplicasPath: string }>> = {
  OAPServer: { specReplicasPath: '.spec.instances', statusReplicasPath: '.status.availableReplicas' },
  UI: { specReplicasPath: '.spec.instances', statusReplicasPath: '.status.availableReplicas' },
  Satellite: { specReplicasPath: '.spec.instances', statusReplicasPath: '.status.availableReplicas' },
};

/** The CRD manifest of one kind. */
export function buildCrd(kind: SwckKind): CustomResourceDefinition {
  const plural = SWCK_PLURALS[kind];
  const scale = SCALE_PATHS[kind];
  const columns = PRINTER_COLUMNS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(kind),
      labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/part-of': 'skywalking-swck' },
    },
    spec: {
      group: SWCK_GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: ['skywalking'] },
      scope: 'Namespaced',
      versions: [
        {
          name: SWCK_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: objectSchema(kind) },
          subresources: { status: {}, ...(scale ? { scale } : {}) },
          ...(columns.length ? { additionalPrinterColumns: columns } : {}),
        },
      ],
    },
  };
}

/** All ten CRDs, in SWCK_KINDS order. */
export const allCrds: CustomResourceDefinition[] = SWCK_KINDS.map(buildCrd);

/** The CRD of a kind from allCrds. */
export function crdFor(kind: SwckKind): CustomResourceDefinition {
  return allCrds[SWCK_KINDS.indexOf(kind)];
}
