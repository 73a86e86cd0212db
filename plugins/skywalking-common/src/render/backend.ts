/**
 * SkyWalkingBackend -> SWCK objects (OAPServer, UI, BanyanDB or Storage,
 * Satellite, OAPServerDynamicConfig), and a dispatcher that turns any SWCK
 * object into its Kubernetes objects.
 */
import { BACKEND_DEFAULTS, SkyWalkingBackend, withBackendDefaults } from '../crds/backend';
import { DEFAULT_IMAGES, PORTS, SWCK_GROUP_VERSION } from '../crds/constants';
import type {
  AnySwckObject,
  BanyanDB,
  EnvVar,
  K8sObject,
  OAPServer,
  OAPServerConfig,
  OAPServerDynamicConfig,
  Satellite,
  Storage,
  UI,
} from '../crds/types';
import { renderBanyanDB } from './banyandb';
import { MANAGED_BY_VALUE } from './common';
import { oapClusterSelector, renderOAPServerConfig, renderOAPServerDynamicConfig, selectorString } from './config';
import { renderOAPServer } from './oap';
import { renderSatellite } from './satellite';
import { renderStorage, storageEnv } from './storage';
import { renderUI } from './ui';

/** Label on every SWCK object rendered from a backend: the backend's name. */
export const BACKEND_LABEL = 'skywalking-backstage.io/backend';
export const OWNER_ANNOTATION = 'skywalking-backstage.io/owner';
export const CLUSTER_ANNOTATION = 'skywalking-backstage.io/cluster';

/**
 * The SWCK objects of a backend, in apply order (storage first, OAP, then the
 * rest). Pure: the same input always gives the same output. Assumes a valid
 * backend (see validateSkyWalkingBackend).
 */
export function renderBackend(backend: SkyWalkingBackend): AnySwckObject[] {
  const b = withBackendDefaults(backend);
  const { name, namespace } = b;
  const metadata = (objName: string) => ({
    name: objName,
    namespace,
    labels: {
      ...(b.labels ?? {}),
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/part-of': 'skywalking',
      'app.kubernetes.io/managed-by': MANAGED_BY_VALUE,
      [BACKEND_LABEL]: name,
    },
    annotations: { [CLUSTER_ANNOTATION]: b.cluster, ...(b.owner ? { [OWNER_ANNOTATION]: b.owner } : {}) },
  });
  const paused = b.paused ? { paused: true } : {};
  const sched = (x: { resources?: any; affinity?: any; tolerations?: any[]; nodeSelector?: Record<string, string> } | undefined) => ({
    ...(x?.resources ? { resources: x.resources } : {}),
    ...(x?.affinity ? { affinity: x.affinity } : {}),
    ...(x?.tolerations?.length ? { tolerations: x.tolerations } : {}),
    ...(x?.nodeSelector && Object.keys(x.nodeSelector).length ? { nodeSelector: x.nodeSelector } : {}),
  });
  const out: AnySwckObject[] = [];
  const oapConfig: EnvVar[] = [];
  let storageRef: OAPServer['spec']['storage'];

  if (b.storage.type === 'banyandb') {
    const bdb = b.storage.banyandb;
    const banyan: BanyanDB = {
      apiVersion: SWCK_GROUP_VERSION,
      kind: 'BanyanDB',
      metadata: metadata(name),
      spec: {
        version: bdb.version,
        counts: 1,
        image: bdb.image || `${DEFAULT_IMAGES.banyandb}:${bdb.version}`,
        config: ['standalone'],
        gRPCService: { template: { type: 'ClusterIP' } },
        httpService: { template: { type: 'ClusterIP' } },
        storages: [
          {
            name: 'data',
            // BanyanDB standalone keeps its data under /tmp by default
            path: '/tmp',
            persistentVolumeClaimSpec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: bdb.storageSize } },
              ...(bdb.storageClass ? { storageClassName: bdb.storageClass } : {}),
            },
          },
        ],
        ...sched(bdb),
        ...paused,
      },
    };
    out.push(banyan);
    oapConfig.push(
      { name: 'SW_STORAGE', value: 'banyandb' },
      { name: 'SW_STORAGE_BANYANDB_TARGETS', value: `${name}-banyandb-grpc.${namespace}:${PORTS.banyandbGrpc}` },
    );
  } else {
    const ext = b.storage.external ?? {};
    const storage: Storage = {
      apiVersion: SWCK_GROUP_VERSION,
      kind: 'Storage',
      metadata: metadata(name),
      spec: {
        type: b.storage.type,
        connectType: 'external',
        address: ext.address ?? '',
        version: 'external',
        ...(ext.secretName || ext.tls ? { security: { ...(ext.tls ? { tls: true } : {}), ...(ext.secretName ? { user: { secretName: ext.secretName } } : {}) } } : {}),
      },
    };
    out.push(storage);
    storageRef = { name };
    // spell the storage env out on the OAPServer too, so it does not depend on resolving the Storage
    oapConfig.push(...storageEnv(storage, ext.database ? { database: ext.database } : {}));
  }

  for (const c of b.oap.config) {
    oapConfig.push(c.secretKeyRef ? { name: c.name, valueFrom: { secretKeyRef: { name: c.secretKeyRef.name, key: c.secretKeyRef.key } } } : { name: c.name, value: c.value ?? '' });
  }
  const split = b.oap.roleSplit;
  const oap: OAPServer = {
    apiVersion: SWCK_GROUP_VERSION,
    kind: 'OAPServer',
    metadata: metadata(name),
    spec: {
      version: b.version,
      image: b.oap.image || `${DEFAULT_IMAGES.oap}:${b.version}`,
      instances: split.enabled ? split.receivers : b.oap.replicas,
      ...(oapConfig.length ? { config: oapConfig } : {}),
      service: { template: { type: 'ClusterIP' } },
      ...(storageRef ? { storage: storageRef } : {}),
      ...(split.enabled ? { roleSplit: { enabled: true, aggregators: split.aggregators } } : {}),
      ...sched(b.oap),
      ...paused,
    },
  };
  out.push(oap);

  const dynamicEntries = Object.entries(b.oap.dynamicConfig).sort(([a], [c]) => a.localeCompare(c));
  if (dynamicEntries.length) {
    const dyn: OAPServerDynamicConfig = {
      apiVersion: SWCK_GROUP_VERSION,
      kind: 'OAPServerDynamicConfig',
      metadata: metadata(`${name}-dynamic`),
      spec: { version: b.version, labelSelector: selectorString(oapClusterSelector(name)), data: dynamicEntries.map(([k, v]) => ({ name: k, value: v })) },
    };
    out.push(dyn);
  }

  if (b.ui.enabled) {
    const ing = b.ui.ingress;
    const ui: UI = {
      apiVersion: SWCK_GROUP_VERSION,
      kind: 'UI',
      metadata: metadata(name),
      spec: {
        kind: b.ui.kind,
        version: b.version,
        image: b.ui.image || `${b.ui.kind === 'horizon' ? DEFAULT_IMAGES.uiHorizon : DEFAULT_IMAGES.uiBooster}:${b.version}`,
        instances: b.ui.replicas,
        OAPServerAddress: `http://${name}-oap.${namespace}:${PORTS.oapRest}`,
        service: {
          template: { type: 'ClusterIP' },
          ...(ing
            ? {
                ingress: {
                  host: ing.host,
                  ...(ing.className ? { ingressClassName: ing.className } : {}),
                  ...(ing.annotations ? { annotations: ing.annotations } : {}),
                  ...(ing.tlsSecretName ? { tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }] } : {}),
                },
              }
            : {}),
        },
        ...sched(b.ui),
        ...paused,
      },
    };
    out.push(ui);
  }

  if (b.satellite.enabled) {
    const sat: Satellite = {
      apiVersion: SWCK_GROUP_VERSION,
      kind: 'Satellite',
      metadata: metadata(name),
      spec: {
        version: b.satellite.version,
        // Satellite's image tags carry a "v" prefix
        image: b.satellite.image || `${DEFAULT_IMAGES.satellite}:v${b.satellite.version ?? BACKEND_DEFAULTS.satelliteVersion}`,
        instances: b.satellite.replicas,
        OAPServerName: name,
        service: { template: { type: 'ClusterIP' } },
        ...sched(b.satellite),
        ...paused,
      },
    };
    out.push(sat);
  }
  return out;
}

/** What renderSwckObject needs besides the object: its namespace's OAPServerConfigs and Storages. */
export interface RenderContext {
  staticConfigs?: OAPServerConfig[];
  storages?: Storage[];
  /** for OAPServerDynamicConfig: the OAPServer whose selector labels the ConfigMap gets */
  oapServerName?: string;
}

/** Kubernetes objects for any SWCK object; JavaAgent, SwAgent and Fetcher render nothing here. */
export function renderSwckObject(obj: AnySwckObject, context: RenderContext = {}): K8sObject[] {
  switch (obj.kind) {
    case 'OAPServer': {
      const storage = obj.spec.storage?.name ? context.storages?.find(s => s.metadata.name === obj.spec.storage!.name) : undefined;
      return renderOAPServer(obj, { staticConfigs: context.staticConfigs, ...(storage ? { storage } : {}) });
    }
    case 'UI':
      return renderUI(obj);
    case 'BanyanDB':
      return renderBanyanDB(obj);
    case 'Storage':
      return renderStorage(obj);
    case 'Satellite':
      return renderSatellite(obj);
    case 'OAPServerConfig':
      return renderOAPServerConfig(obj);
    case 'OAPServerDynamicConfig':
      return renderOAPServerDynamicConfig(obj, context.oapServerName ? { oapServerName: context.oapServerName } : {});
    default:
      return [];
  }
}
