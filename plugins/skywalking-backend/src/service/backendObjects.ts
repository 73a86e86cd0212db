import {
  BACKUP_ANNOTATION,
  oapReplicasOf,
  PodScheduling,
  RESTORE_ANNOTATION,
  ROLE_SPLIT_ANNOTATION,
  SCHEDULING_ANNOTATION,
  SkyWalkingBackendSpec,
  SNAPSHOT_ANNOTATION,
  STORAGE_TLS_ANNOTATION,
  STORAGE_TYPE_ANNOTATION,
  TLS_ANNOTATION,
} from '@skywalking-backstage/plugin-skywalking-common';
import { SWCK_API_VERSION } from '../engine/kinds';
import { scalingAnnotations } from './scaling';

/** fieldManager of create/update (the whole spec of each custom object) */
export const FIELD_MANAGER = 'skywalking-backstage';
export const PAUSED_ANNOTATION = 'skywalking-backstage.io/paused-replicas';
/** the owner team recorded on the custom objects */
export const OWNER_ANNOTATION = 'skywalking-backstage.io/owner';
/** a node label no node carries: the paused Rover DaemonSet selects it, so it runs nowhere */
export const ROVER_PAUSED_NODE_LABEL = 'skywalking-backstage.io/paused';
/** the spec's `rover` (JSON) recorded on the OAPServer, so a read gives back what was asked for */
export const ROVER_ANNOTATION = 'skywalking-backstage.io/rover';

/** A custom object as the portal renders and reads it. */
export type Obj = { apiVersion: string; kind: string; metadata: any; spec?: any; status?: any };

const DEFAULT_BANYANDB_VERSION = '0.8.0';
const DEFAULT_SATELLITE_VERSION = '1.3.0';

/**
 * The SWCK custom objects of a portal backend spec: BanyanDB (or external
 * storage by OAP config, credentials from a Secret), OAPServer and UI.
 */
export function renderBackendObjects(spec: SkyWalkingBackendSpec): Obj[] {
  const labels = { 'app.kubernetes.io/managed-by': FIELD_MANAGER, 'app.kubernetes.io/part-of': spec.name };
  const meta = (name: string, extra: Record<string, string> = {}): { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> } => {
    const annotations = { ...(spec.owner ? { [OWNER_ANNOTATION]: spec.owner } : {}), ...extra };
    return { name, namespace: spec.namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) };
  };
  const version = spec.version;
  const storageType = spec.storage?.type ?? 'banyandb';
  const objects: Obj[] = [];
  const config: { name: string; value?: string; valueFrom?: any }[] = [...(spec.oap?.config ?? [])];
  if (storageType === 'banyandb') {
    const v = spec.storage?.banyandb?.version ?? DEFAULT_BANYANDB_VERSION;
    const size = spec.storage?.banyandb?.storageSize;
    const sched = schedulingPart(spec.storage?.banyandb);
    const { backup, restore } = spec.storage?.banyandb ?? {};
    objects.push({
      apiVersion: SWCK_API_VERSION,
      kind: 'BanyanDB',
      metadata: meta(spec.name, {
        ...schedulingAnnotation(sched),
        // SWCK's BanyanDB has no backup fields: recorded here, rendered as sidecar / init container
        ...(backup !== undefined ? { [BACKUP_ANNOTATION]: JSON.stringify(backup) } : {}),
        ...(restore !== undefined ? { [RESTORE_ANNOTATION]: JSON.stringify(restore) } : {}),
      }),
      spec: {
        version: v,
        counts: 1,
        image: `apache/skywalking-banyandb:${v}`,
        config: ['standalone'],
        // SWCK's BanyanDB has affinity of its own; the rest travels in the annotation
        ...(sched?.affinity ? { affinity: sched.affinity } : {}),
        ...(size
          ? { storages: [{ name: 'data', path: '/tmp', persistentVolumeClaimSpec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } }] }
          : {}),
      },
    });
    config.push({ name: 'SW_STORAGE', value: 'banyandb' }, { name: 'SW_STORAGE_BANYANDB_TARGETS', value: `${spec.name}-banyandb-grpc:17912` });
  } else {
    const ext = spec.storage!.external ?? {};
    const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: ext.secretName, key } } });
    if (storageType === 'elasticsearch') {
      config.push(
        { name: 'SW_STORAGE', value: 'elasticsearch' },
        { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: ext.address },
        { name: 'SW_ES_USER', ...fromSecret('username') },
        { name: 'SW_ES_PASSWORD', ...fromSecret('password') },
      );
    } else {
      const db = ext.database ?? 'skywalking';
      const jdbc = storageType === 'postgresql' ? `jdbc:postgresql://${ext.address}/${db}` : `jdbc:mysql://${ext.address}/${db}?rewriteBatchedStatements=true`;
      config.push(
        { name: 'SW_STORAGE', value: storageType === 'postgresql' ? 'postgresql' : 'mysql' },
        { name: 'SW_JDBC_URL', value: jdbc },
        { name: 'SW_DATA_SOURCE_USER', ...fromSecret('username') },
        { name: 'SW_DATA_SOURCE_PASSWORD', ...fromSecret('password') },
      );
    }
  }
  const roleSplit = spec.oap?.roleSplit;
  const split = roleSplit?.enabled === true;
  objects.push({
    apiVersion: SWCK_API_VERSION,
    kind: 'OAPServer',
    metadata: meta(spec.name, {
      ...(spec.rover !== undefined ? { [ROVER_ANNOTATION]: JSON.stringify(spec.rover) } : {}),
      // TLS to external storage: rendered by the engine (operator/storageTls.ts), truststore password and CA checksum by StorageTls
      ...(storageType !== 'banyandb' && spec.storage?.external?.tls ? { [STORAGE_TLS_ANNOTATION]: JSON.stringify(spec.storage.external.tls) } : {}),
      ...schedulingAnnotation(schedulingPart(spec.oap)),
      // recorded as asked (also when disabled), so a read gives it back
      ...(roleSplit !== undefined ? { [ROLE_SPLIT_ANNOTATION]: JSON.stringify(roleSplit) } : {}),
      // autoscaling, disruption budget, topology spread: rendered by the engine (HPA, PDBs, spread constraints)
      ...scalingAnnotations(spec.oap),
      // external storage: the type as asked (TiDB is configured as mysql) and the snapshot hooks (CronJob, Jobs)
      ...(storageType !== 'banyandb' ? { [STORAGE_TYPE_ANNOTATION]: storageType } : {}),
      ...(storageType !== 'banyandb' && spec.storage?.external?.snapshot ? { [SNAPSHOT_ANNOTATION]: JSON.stringify(spec.storage.external.snapshot) } : {}),
    }),
    spec: { version, image: `apache/skywalking-oap-server:${version}`, instances: oapReplicasOf(spec), config, service: { template: { type: 'ClusterIP' } } },
  });
  if (spec.ui?.enabled !== false) {
    const ingress = spec.ui?.ingress;
    objects.push({
      apiVersion: SWCK_API_VERSION,
      kind: 'UI',
      metadata: meta(spec.name, schedulingAnnotation(schedulingPart(spec.ui))),
      spec: {
        kind: 'booster',
        version,
        image: `apache/skywalking-ui:${version}`,
        instances: spec.ui?.replicas ?? 1,
        // split, queries go to the Aggregators' query Service
        OAPServerAddress: `http://${spec.name}-oap${split ? '-query' : ''}.${spec.namespace}:12800`,
        service: {
          template: { type: 'ClusterIP' },
          ...(ingress ? { ingress: { host: ingress.host, ...(ingress.ingressClassName ? { ingressClassName: ingress.ingressClassName } : {}) } } : {}),
        },
      },
    });
  }
  // Satellite when asked: agents send to it, it balances gRPC over the OAP pods (SWCK's Satellite kind)
  if (spec.satellite?.enabled === true) {
    const v = spec.satellite.version ?? DEFAULT_SATELLITE_VERSION;
    objects.push({
      apiVersion: SWCK_API_VERSION,
      kind: 'Satellite',
      metadata: meta(spec.name),
      spec: { version: `v${v}`, image: `apache/skywalking-satellite:v${v}`, instances: spec.satellite.replicas ?? 1, OAPServerName: spec.name, service: { template: { type: 'ClusterIP' } } },
    });
  }
  // TLS as asked, on the objects whose pods serve it (operator/tls.ts renders it; BackendTls issues the certificates)
  if (spec.tls !== undefined) {
    for (const o of objects.filter(x => x.kind === 'OAPServer' || x.kind === 'BanyanDB')) {
      o.metadata.annotations = { ...o.metadata.annotations, [TLS_ANNOTATION]: JSON.stringify(spec.tls) };
    }
  }
  return objects;
}

const SCHEDULING_KEYS = ['resources', 'affinity', 'tolerations', 'nodeSelector'] as const;

/** The PodScheduling fields of a component's spec, or undefined when none is given. */
function schedulingPart(part: PodScheduling | undefined): PodScheduling | undefined {
  if (!part) return undefined;
  const picked = Object.fromEntries(SCHEDULING_KEYS.filter(k => part[k] !== undefined).map(k => [k, part[k]]));
  return Object.keys(picked).length ? (picked as PodScheduling) : undefined;
}

function schedulingAnnotation(s: PodScheduling | undefined): Record<string, string> {
  return s ? { [SCHEDULING_ANNOTATION]: JSON.stringify(s) } : {};
}

/** A JSON annotation the portal recorded on a custom object (undefined when absent or unreadable). */
export function recorded<T>(o: Obj, annotation: string): T | undefined {
  const raw = o.metadata?.annotations?.[annotation];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

