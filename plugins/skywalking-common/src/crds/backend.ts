/**
 * SkyWalkingBackend: the portal's own high-level description of one SkyWalking
 * backend. The operator expands it into SWCK objects (see render/backend.ts).
 * It is a superset of the older `SkyWalkingBackendSpec` (backendSpec.ts): every
 * object valid there has the same meaning here.
 */

/** Storage kinds a backend can use. TiDB is MySQL-compatible and uses OAP's mysql storage. */
export const BACKEND_STORAGE_TYPES = ['banyandb', 'elasticsearch', 'postgresql', 'mysql', 'tidb'] as const;
export type BackendStorageType = (typeof BACKEND_STORAGE_TYPES)[number];

/** An OAP environment override; credentials must come from a Secret (`secretKeyRef`). */
export interface BackendEnvOverride {
  name: string;
  value?: string;
  secretKeyRef?: { name: string; key: string };
}

export interface BackendScheduling {
  /** core/v1 ResourceRequirements, e.g. { requests: { cpu: '500m', memory: '2Gi' }, limits: {...} } */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** core/v1 Affinity */
  affinity?: Record<string, any>;
  /** core/v1 Tolerations */
  tolerations?: Record<string, any>[];
  nodeSelector?: Record<string, string>;
}

export interface BackendRoleSplit {
  enabled?: boolean;
  /** share of OAP replicas that are Receivers (L1), 0 < ratio < 1; used when receivers/aggregators are not given */
  receiverRatio?: number;
  receivers?: number;
  aggregators?: number;
}

export interface SkyWalkingBackend {
  /** DNS-1123 label; child objects get suffixes such as -oap, -banyandb-grpc */
  name: string;
  namespace: string;
  /** cluster name as configured in the portal */
  cluster: string;
  /** SkyWalking OAP version, e.g. 10.2.0 (also the UI version) */
  version: string;
  /** catalog entity ref of the owning group, e.g. group:default/team-a */
  owner?: string;
  /** free text shown in the catalog */
  description?: string;
  oap?: BackendScheduling & {
    /** total OAP pods (Receivers + Aggregators when role split is on) */
    replicas?: number;
    /** overrides apache/skywalking-oap-server:<version> */
    image?: string;
    roleSplit?: BackendRoleSplit;
    /** OAP environment overrides (static configuration) */
    config?: BackendEnvOverride[];
    /** OAP dynamic configuration (k8s-configmap), key to value, e.g. 'agent-analyzer.default.slowDBAccessThreshold' */
    dynamicConfig?: Record<string, string>;
  };
  ui?: BackendScheduling & {
    enabled?: boolean;
    replicas?: number;
    /** booster (apache/skywalking-ui) by default; horizon is SWCK's newer default */
    kind?: 'booster' | 'horizon';
    image?: string;
    ingress?: { host: string; className?: string; tlsSecretName?: string; annotations?: Record<string, string> };
  };
  storage?: {
    type: BackendStorageType;
    banyandb?: BackendScheduling & { version?: string; image?: string; storageSize?: string; storageClass?: string };
    external?: {
      /** host:port, comma-separated for several nodes */
      address?: string;
      /** Secret with keys `username` and `password` */
      secretName?: string;
      /** database name (JDBC storages) */
      database?: string;
      /** TLS to the storage */
      tls?: boolean;
    };
  };
  satellite?: BackendScheduling & { enabled?: boolean; replicas?: number; version?: string; image?: string };
  rover?: { enabled?: boolean };
  /** scale everything to zero, keep data and configuration */
  paused?: boolean;
  /** extra labels for every child object */
  labels?: Record<string, string>;
}

/** Defaults applied by `withBackendDefaults`. */
export const BACKEND_DEFAULTS = {
  oapReplicas: 1,
  receiverRatio: 0.5,
  uiEnabled: true,
  uiReplicas: 1,
  uiKind: 'booster' as const,
  storageType: 'banyandb' as BackendStorageType,
  /** BanyanDB release that pairs with OAP 10.2 */
  banyandbVersion: '0.8.0',
  banyandbStorageSize: '10Gi',
  satelliteEnabled: false,
  satelliteReplicas: 1,
  satelliteVersion: '1.3.0',
  roverEnabled: false,
  paused: false,
  oapResources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
};

type Required2<T> = { [K in keyof T]-?: T[K] };

/** A backend with every default filled in; role split resolved to explicit counts. */
export interface ResolvedSkyWalkingBackend extends SkyWalkingBackend {
  owner?: string;
  oap: Required2<Pick<NonNullable<SkyWalkingBackend['oap']>, 'replicas' | 'config' | 'dynamicConfig'>> &
    NonNullable<SkyWalkingBackend['oap']> & { roleSplit: { enabled: boolean; receivers: number; aggregators: number; receiverRatio?: number } };
  ui: NonNullable<SkyWalkingBackend['ui']> & { enabled: boolean; replicas: number; kind: 'booster' | 'horizon' };
  storage: { type: BackendStorageType; banyandb: NonNullable<NonNullable<SkyWalkingBackend['storage']>['banyandb']> & { version: string; storageSize: string }; external?: NonNullable<SkyWalkingBackend['storage']>['external'] };
  satellite: NonNullable<SkyWalkingBackend['satellite']> & { enabled: boolean; replicas: number; version: string };
  rover: { enabled: boolean };
  paused: boolean;
}

/**
 * Splits `total` OAP pods into Receivers and Aggregators: explicit counts win,
 * else the ratio (rounded, at least one of each).
 */
export function splitRoles(total: number, split: BackendRoleSplit | undefined): { enabled: boolean; receivers: number; aggregators: number } {
  if (!split?.enabled) return { enabled: false, receivers: total, aggregators: 0 };
  if (split.receivers !== undefined || split.aggregators !== undefined) {
    const receivers = split.receivers ?? Math.max(1, total - (split.aggregators ?? 0));
    const aggregators = split.aggregators ?? Math.max(1, total - receivers);
    return { enabled: true, receivers, aggregators };
  }
  const ratio = split.receiverRatio ?? BACKEND_DEFAULTS.receiverRatio;
  const t = Math.max(2, total);
  const receivers = Math.min(t - 1, Math.max(1, Math.round(t * ratio)));
  return { enabled: true, receivers, aggregators: t - receivers };
}

/** Fills in defaults. Pure; does not validate (see validateSkyWalkingBackend). */
export function withBackendDefaults(b: SkyWalkingBackend): ResolvedSkyWalkingBackend {
  const replicas = b.oap?.replicas ?? BACKEND_DEFAULTS.oapReplicas;
  const split = splitRoles(replicas, b.oap?.roleSplit);
  return {
    ...b,
    oap: {
      ...b.oap,
      replicas: split.enabled ? split.receivers + split.aggregators : replicas,
      resources: b.oap?.resources ?? BACKEND_DEFAULTS.oapResources,
      config: b.oap?.config ?? [],
      dynamicConfig: b.oap?.dynamicConfig ?? {},
      roleSplit: { ...split, ...(b.oap?.roleSplit?.receiverRatio !== undefined ? { receiverRatio: b.oap.roleSplit.receiverRatio } : {}) },
    },
    ui: {
      ...b.ui,
      enabled: b.ui?.enabled ?? BACKEND_DEFAULTS.uiEnabled,
      replicas: b.ui?.replicas ?? BACKEND_DEFAULTS.uiReplicas,
      kind: b.ui?.kind ?? BACKEND_DEFAULTS.uiKind,
    },
    storage: {
      type: b.storage?.type ?? BACKEND_DEFAULTS.storageType,
      banyandb: {
        ...b.storage?.banyandb,
        version: b.storage?.banyandb?.version ?? BACKEND_DEFAULTS.banyandbVersion,
        storageSize: b.storage?.banyandb?.storageSize ?? BACKEND_DEFAULTS.banyandbStorageSize,
      },
      ...(b.storage?.external ? { external: b.storage.external } : {}),
    },
    satellite: {
      ...b.satellite,
      enabled: b.satellite?.enabled ?? BACKEND_DEFAULTS.satelliteEnabled,
      replicas: b.satellite?.replicas ?? BACKEND_DEFAULTS.satelliteReplicas,
      version: b.satellite?.version ?? BACKEND_DEFAULTS.satelliteVersion,
    },
    rover: { enabled: b.rover?.enabled ?? BACKEND_DEFAULTS.roverEnabled },
    paused: b.paused ?? BACKEND_DEFAULTS.paused,
  };
}
