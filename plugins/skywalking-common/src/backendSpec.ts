import { FieldError } from './api';
import { BANYANDB_DEFAULT_VERSION, BanyanDBBackup, BanyanDBRestore, validateBackup, validateRestore } from './operator/backup';
import { StorageSnapshot, validateSnapshot } from './operator/snapshot';
import { isObject, unknownKeys } from './fields';
import { usesCpu, validateAutoscalingMetric } from './operator/autoscaling';

/** Where and with what the pods of a component run: core/v1 fields, copied into its pod template. */
export interface PodScheduling {
  /** core/v1 ResourceRequirements of the main container, e.g. { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } } */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** core/v1 Affinity of the pods (OAP's pods spread over nodes by topologySpreadConstraints besides: oap.topologySpread) */
  affinity?: { nodeAffinity?: Record<string, any>; podAffinity?: Record<string, any>; podAntiAffinity?: Record<string, any> };
  /** core/v1 Tolerations */
  tolerations?: { key?: string; operator?: 'Exists' | 'Equal'; value?: string; effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'; tolerationSeconds?: number }[];
  nodeSelector?: Record<string, string>;
}

/**
 * OAP's role split (SW_CORE_ROLE): Receivers take agent data and do L1
 * aggregation, Aggregators do L2 aggregation, persistence and alarms; each
 * role its own Deployment. The OAP replicas are split by `receiverRatio`
 * (default 0.5), or by the explicit counts.
 */
export interface OAPRoleSplit {
  enabled?: boolean;
  /** share of the OAP replicas that are Receivers, 0 < ratio < 1 */
  receiverRatio?: number;
  /** Receiver replicas; with `aggregators` too, their sum is the OAP replicas */
  receivers?: number;
  /** Aggregator replicas */
  aggregators?: number;
}

/**
 * Horizontal autoscaling of OAP by CPU: an autoscaling/v2
 * HorizontalPodAutoscaler owns the replicas of the Mixed Deployment, or of the
 * Receivers when role split is on. Aggregators are never autoscaled: they hold
 * the L2 aggregation state of their share of the metrics (and the alarm
 * windows), so every change of their count reshuffles that state; their count
 * stays explicit (scale it by hand). CPU utilization is a share of the
 * requested CPU, so `oap.resources.requests.cpu` is required.
 */
export interface OAPAutoscaling {
  enabled: boolean;
  minReplicas: number;
  maxReplicas: number;
  /** average CPU utilization the HPA aims at, percent of the request (default 70; with `metric`, CPU only when this is set) */
  targetCPUUtilizationPercentage?: number;
  /** scale on OAP's own load instead of (or beside) CPU: an external metric the portal serves (operator/autoscaling.ts) */
  metric?: OAPAutoscalingMetric;
  /** the HPA's scale-down stabilization window, seconds 0-3600 (the HPA's default 300 when unset) */
  scaleDownStabilizationSeconds?: number;
}

/** An OAP telemetry metric (Prometheus, port 1234) the HPA scales on, served as `skywalking.apache.org|<name>`. */
export interface OAPAutoscalingMetric {
  /** sample or histogram family of OAP's telemetry, e.g. trace_in_latency_count, persistence_timer_bulk_execute_latency */
  name: string;
  /** `rate` (per second, summed over the pods; default) or `mean` (a histogram's mean observation) */
  aggregation?: 'rate' | 'mean';
  /** per replica for `rate` (AverageValue), the whole value for `mean` (Value): a quantity such as 200 or "250m" */
  target: number | string;
}

/** The OAP roles that scale on their own (role split): `POST .../scale` with `{ replicas, role }`. */
export const OAP_SCALE_ROLES = ['receiver', 'aggregator'] as const;
export type OAPScaleRole = (typeof OAP_SCALE_ROLES)[number];

/** The default CPU utilization target of OAP's HPA. */
export const DEFAULT_TARGET_CPU_UTILIZATION = 70;

/** The PodDisruptionBudget of each OAP Deployment (one per role), rendered whenever it may run more than one pod. */
export interface OAPDisruptionBudget {
  /** pods of one Deployment that voluntary disruptions (drains) may take at once: a count or a percentage such as "25%" (default 1) */
  maxUnavailable?: number | string;
}

/** Spreading of the OAP pods: always over nodes (kubernetes.io/hostname); over zones too when a zone key is given. */
export interface OAPTopologySpread {
  /** node label of the zone, usually topology.kubernetes.io/zone */
  zoneKey?: string;
}

/**
 * TLS of a backend: a CA and serving certificates for OAP's gRPC (agents,
 * Rover, OAP peers) and BanyanDB, issued and rotated by the plugin, or
 * cert-manager Certificates from the given issuer. Agents get the CA.
 */
export interface BackendTls {
  enabled?: boolean;
  /** issue by cert-manager instead of the plugin (cert-manager must be installed) */
  certManager?: { issuerRef: { name: string; kind: 'Issuer' | 'ClusterIssuer'; group?: string } };
}

/**
 * TLS from OAP to external storage (Elasticsearch, MySQL/TiDB, PostgreSQL):
 * the storage server's certificate is verified against a CA (PEM) the user
 * keeps in a Secret of the backend's namespace. Host names are verified
 * too; there is no switch to skip that. Rendered by operator/storageTls.ts.
 */
export interface ExternalStorageTls {
  /** Secret (in the backend's namespace) holding the CA certificate, PEM */
  caSecretName: string;
  /** key of the CA in that Secret (default ca.crt) */
  caKey?: string;
}

/** The portal's description of one SkyWalking backend; the operator expands it into SWCK objects. */
export interface SkyWalkingBackendSpec {
  name: string;
  namespace: string;
  cluster: string;
  version: string;
  oap?: PodScheduling & {
    replicas?: number;
    /** OAP env: a literal `value` or a `valueFrom.secretKeyRef` to a Secret of the backend's namespace; names from the portal's allowlist (specPolicy.ts) */
    config?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } }[];
    roleSplit?: OAPRoleSplit;
    autoscaling?: OAPAutoscaling;
    disruptionBudget?: OAPDisruptionBudget;
    topologySpread?: OAPTopologySpread;
  };
  ui?: PodScheduling & { enabled?: boolean; replicas?: number; ingress?: { host: string; ingressClassName?: string } };
  storage?: {
    type: StorageType;
    banyandb?: PodScheduling & {
      version?: string;
      storageSize?: string;
      /** BanyanDB's backup tool: a sidecar backing up on the schedule, and on demand (Jobs) */
      backup?: BanyanDBBackup;
      /** start from a backup: the BanyanDB pod restores it (init container) before the data node starts */
      restore?: BanyanDBRestore;
    };
    external?: {
      address?: string;
      secretName?: string;
      database?: string;
      tls?: ExternalStorageTls;
      /** snapshots with the storage's own tools (pg_dump, mysqldump, Elasticsearch's snapshot API): on a schedule (CronJob) and on demand */
      snapshot?: StorageSnapshot;
    };
  };
  /** SkyWalking Rover (eBPF access logs) as a DaemonSet on every node, reporting to this backend's OAP */
  rover?: { enabled?: boolean; version?: string };
  /** SkyWalking Satellite in front of OAP: agents send to it and it balances gRPC over the OAP pods */
  satellite?: { enabled?: boolean; replicas?: number; version?: string };
  tls?: BackendTls;
  paused?: boolean;
  owner?: string;
}

export const STORAGE_TYPES = ['banyandb', 'elasticsearch', 'postgresql', 'mysql', 'tidb'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const VERSION = /^\d{1,3}\.\d{1,3}\.\d{1,3}(-[0-9A-Za-z.-]{1,32})?$/;
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const HOST_PORT = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?(,[A-Za-z0-9.-]{1,253}(:\d{1,5})?)*$/;

function dnsLabel(errors: FieldError[], path: string, v: unknown, max = 63) {
  if (typeof v !== 'string' || !v) {
    errors.push({ path, message: 'is required' });
  } else if (v.length > max) {
    errors.push({ path, message: `must be at most ${max} characters (got ${v.length})` });
  } else if (!DNS1123_LABEL.test(v)) {
    errors.push({ path, message: `"${v}" must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit` });
  }
}

function int(errors: FieldError[], path: string, v: unknown, min: number, max: number) {
  if (v === undefined) return;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    errors.push({ path, message: `must be an integer from ${min} to ${max}` });
  }
}

/** The default share of Receivers when role split is on and neither ratio nor counts are given. */
export const DEFAULT_RECEIVER_RATIO = 0.5;

/**
 * Splits `total` OAP replicas into Receivers and Aggregators. Both counts
 * given and adding up to the total: those; both given otherwise (the backend
 * was scaled): their ratio. One count given: it stays, the other role takes
 * the rest. Else the ratio, rounded. Each role keeps at least one replica
 * while the total allows (0 stays 0: a paused backend).
 */
export function splitOAPReplicas(total: number, split: OAPRoleSplit): { receivers: number; aggregators: number } {
  const t = Math.max(0, Math.floor(total));
  if (t < 2) return { receivers: t, aggregators: 0 };
  const clamp = (receivers: number) => Math.min(t - 1, Math.max(1, receivers));
  const { receivers: r, aggregators: a } = split;
  let receivers: number;
  if (r !== undefined && a !== undefined) receivers = r + a === t ? r : Math.round((t * r) / (r + a));
  else if (r !== undefined) receivers = r;
  else if (a !== undefined) receivers = t - a;
  else receivers = Math.round(t * (split.receiverRatio ?? DEFAULT_RECEIVER_RATIO));
  receivers = clamp(receivers);
  return { receivers, aggregators: t - receivers };
}

/**
 * The OAP replicas a spec asks for: `oap.replicas`, else the sum of both role
 * counts, else (autoscaled, not split) the autoscaling minimum, else 1.
 */
export function oapReplicasOf(spec: Pick<SkyWalkingBackendSpec, 'oap'>): number {
  const rs = spec.oap?.roleSplit;
  if (spec.oap?.replicas !== undefined) return spec.oap.replicas;
  if (rs?.enabled && rs.receivers !== undefined && rs.aggregators !== undefined) return rs.receivers + rs.aggregators;
  const as = spec.oap?.autoscaling;
  if (as?.enabled === true && !rs?.enabled && Number.isInteger(as.minReplicas)) return as.minReplicas;
  return 1;
}

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** apimachinery resource.Quantity (non-negative): 500m, 2Gi, 1.5, 1e3 */
const RESOURCE_QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const QUANTITY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** Numeric value of a valid quantity (NaN otherwise), for comparing requests with limits. */
export function parseQuantity(q: string): number {
  const m = /^(\d+(?:\.\d*)?|\.\d+)(.*)$/.exec(q);
  if (!m || !RESOURCE_QUANTITY.test(q)) return NaN;
  const n = parseFloat(m[1]);
  if (/^[eE]/.test(m[2])) return n * 10 ** Number(m[2].slice(1));
  return n * QUANTITY_SUFFIX[m[2]];
}


function stringMap(errors: FieldError[], path: string, v: unknown, value: (v: unknown) => string | undefined) {
  if (!isObject(v)) {
    errors.push({ path, message: 'must be an object of key to value' });
    return;
  }
  for (const [k, val] of Object.entries(v)) {
    if (k.length > 316 || !QUALIFIED_NAME.test(k)) errors.push({ path: `${path}.${k}`, message: `"${k}" is not a label key such as kubernetes.io/os or disktype` });
    else {
      const m = value(val);
      if (m) errors.push({ path: `${path}.${k}`, message: m });
    }
  }
}

const labelValue = (v: unknown) => (typeof v === 'string' && v.length <= 63 && LABEL_VALUE.test(v) ? undefined : `${JSON.stringify(v)} is not a label value (at most 63 letters, digits, "-", "_", ".")`);

/** resources, affinity, tolerations and nodeSelector of one component, each problem with its path. */
function scheduling(errors: FieldError[], path: string, o: Record<string, any>) {
  if (o.resources !== undefined) {
    const r = o.resources;
    if (!isObject(r)) errors.push({ path: `${path}.resources`, message: 'must be an object with requests and/or limits' });
    else {
      unknownKeys(errors, `${path}.resources`, r, ['requests', 'limits']);
      for (const kind of ['requests', 'limits']) {
        if (r[kind] === undefined) continue;
        stringMap(errors, `${path}.resources.${kind}`, r[kind], q =>
          typeof q === 'string' && q.length <= 64 && RESOURCE_QUANTITY.test(q) ? undefined : `${JSON.stringify(q)} is not a Kubernetes quantity such as 500m, 2Gi or 1`,
        );
      }
      if (isObject(r.requests) && isObject(r.limits)) {
        for (const [name, req] of Object.entries(r.requests)) {
          const lim = r.limits[name];
          if (typeof req === 'string' && typeof lim === 'string' && parseQuantity(req) > parseQuantity(lim)) {
            errors.push({ path: `${path}.resources.requests.${name}`, message: `${req} is more than the limit ${lim}` });
          }
        }
      }
    }
  }
  if (o.affinity !== undefined) {
    if (!isObject(o.affinity)) errors.push({ path: `${path}.affinity`, message: 'must be a core/v1 Affinity object' });
    else {
      unknownKeys(errors, `${path}.affinity`, o.affinity, ['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
      for (const [k, v] of Object.entries(o.affinity)) if (!isObject(v)) errors.push({ path: `${path}.affinity.${k}`, message: 'must be an object' });
    }
  }
  if (o.tolerations !== undefined) {
    if (!Array.isArray(o.tolerations)) errors.push({ path: `${path}.tolerations`, message: 'must be a list of tolerations' });
    else {
      o.tolerations.forEach((t: unknown, i: number) => {
        const tp = `${path}.tolerations[${i}]`;
        if (!isObject(t)) {
          errors.push({ path: tp, message: 'must be an object with key, operator, value, effect' });
          return;
        }
        unknownKeys(errors, tp, t, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
        if (t.key !== undefined && (typeof t.key !== 'string' || !QUALIFIED_NAME.test(t.key))) errors.push({ path: `${tp}.key`, message: `${JSON.stringify(t.key)} is not a taint key` });
        if (t.operator !== undefined && t.operator !== 'Exists' && t.operator !== 'Equal') errors.push({ path: `${tp}.operator`, message: 'must be Exists or Equal' });
        if (t.operator === 'Exists' && t.value) errors.push({ path: `${tp}.value`, message: 'must be empty when operator is Exists' });
        if (t.key === undefined && t.operator !== 'Exists') errors.push({ path: `${tp}.operator`, message: 'must be Exists when no key is given (tolerates every taint)' });
        if (t.value !== undefined) {
          const m = labelValue(t.value);
          if (m) errors.push({ path: `${tp}.value`, message: m });
        }
        if (t.effect !== undefined && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
          errors.push({ path: `${tp}.effect`, message: 'must be NoSchedule, PreferNoSchedule or NoExecute' });
        }
        if (t.tolerationSeconds !== undefined) {
          if (!Number.isInteger(t.tolerationSeconds)) errors.push({ path: `${tp}.tolerationSeconds`, message: 'must be a whole number of seconds' });
          else if (t.effect !== 'NoExecute') errors.push({ path: `${tp}.tolerationSeconds`, message: 'is only for effect NoExecute' });
        }
      });
    }
  }
  if (o.nodeSelector !== undefined) stringMap(errors, `${path}.nodeSelector`, o.nodeSelector, labelValue);
}

function tls(errors: FieldError[], t: unknown) {
  if (!isObject(t)) {
    errors.push({ path: 'tls', message: 'must be an object such as { "enabled": true }' });
    return;
  }
  unknownKeys(errors, 'tls', t, ['enabled', 'certManager']);
  if (t.enabled !== undefined && typeof t.enabled !== 'boolean') errors.push({ path: 'tls.enabled', message: 'must be true or false' });
  if (t.certManager === undefined) return;
  const cm = t.certManager;
  if (!isObject(cm)) {
    errors.push({ path: 'tls.certManager', message: 'must be an object such as { "issuerRef": { "name": "ca-issuer", "kind": "ClusterIssuer" } }' });
    return;
  }
  unknownKeys(errors, 'tls.certManager', cm, ['issuerRef']);
  const ref = cm.issuerRef;
  if (!isObject(ref)) {
    errors.push({ path: 'tls.certManager.issuerRef', message: 'is required: { "name": ..., "kind": "Issuer" | "ClusterIssuer" }' });
    return;
  }
  unknownKeys(errors, 'tls.certManager.issuerRef', ref, ['name', 'kind', 'group']);
  if (typeof ref.name !== 'string' || ref.name.length > 253 || !DNS1123_SUBDOMAIN.test(ref.name)) {
    errors.push({ path: 'tls.certManager.issuerRef.name', message: `${JSON.stringify(ref.name ?? null)} is not an issuer name` });
  }
  if (ref.kind !== 'Issuer' && ref.kind !== 'ClusterIssuer') errors.push({ path: 'tls.certManager.issuerRef.kind', message: 'must be Issuer or ClusterIssuer' });
  if (ref.group !== undefined && (typeof ref.group !== 'string' || !DNS1123_SUBDOMAIN.test(ref.group))) {
    errors.push({ path: 'tls.certManager.issuerRef.group', message: `${JSON.stringify(ref.group)} is not an API group such as cert-manager.io` });
  }
}

function roleSplit(errors: FieldError[], oap: Record<string, any>) {
  const r = oap.roleSplit;
  if (!isObject(r)) {
    errors.push({ path: 'oap.roleSplit', message: 'must be an object such as { "enabled": true, "receiverRatio": 0.67 }' });
    return;
  }
  unknownKeys(errors, 'oap.roleSplit', r, ['enabled', 'receiverRatio', 'receivers', 'aggregators']);
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') errors.push({ path: 'oap.roleSplit.enabled', message: 'must be true or false' });
  if (r.receiverRatio !== undefined && (typeof r.receiverRatio !== 'number' || !(r.receiverRatio > 0 && r.receiverRatio < 1))) {
    errors.push({ path: 'oap.roleSplit.receiverRatio', message: 'must be a number between 0 and 1 (exclusive): the share of Receiver replicas' });
  }
  int(errors, 'oap.roleSplit.receivers', r.receivers, 1, 100);
  int(errors, 'oap.roleSplit.aggregators', r.aggregators, 1, 100);
  const counts = r.receivers !== undefined || r.aggregators !== undefined;
  if (r.receiverRatio !== undefined && counts) errors.push({ path: 'oap.roleSplit', message: 'give either receiverRatio or receivers/aggregators, not both' });
  if (r.enabled !== true || errors.some(e => e.path.startsWith('oap.roleSplit') || e.path === 'oap.replicas')) return;
  const total = oapReplicasOf({ oap } as SkyWalkingBackendSpec);
  if (r.receivers !== undefined && r.aggregators !== undefined && oap.replicas !== undefined && r.receivers + r.aggregators !== total) {
    errors.push({ path: 'oap.roleSplit', message: `receivers (${r.receivers}) and aggregators (${r.aggregators}) must add up to oap.replicas (${total})` });
  } else if (total < 2) {
    errors.push({ path: 'oap.replicas', message: `must be at least 2 with role split (one Receiver and one Aggregator), got ${total}` });
  } else if ((r.receivers ?? r.aggregators ?? 0) >= total) {
    const which = r.receivers !== undefined ? 'receivers' : 'aggregators';
    errors.push({ path: `oap.roleSplit.${which}`, message: `must be less than oap.replicas (${total}): the other role needs at least one replica` });
  }
}

const PERCENT = /^([1-9]\d?|100)%$/;

/** oap.autoscaling, oap.disruptionBudget and oap.topologySpread, consistent with the replicas and the role split. */
function oapScaling(errors: FieldError[], oap: Record<string, any>) {
  const split = isObject(oap.roleSplit) && oap.roleSplit.enabled === true;
  const a = oap.autoscaling;
  if (a !== undefined) {
    if (!isObject(a)) errors.push({ path: 'oap.autoscaling', message: 'must be an object such as { "enabled": true, "minReplicas": 2, "maxReplicas": 6 }' });
    else {
      unknownKeys(errors, 'oap.autoscaling', a, ['enabled', 'minReplicas', 'maxReplicas', 'targetCPUUtilizationPercentage', 'metric', 'scaleDownStabilizationSeconds']);
      validateAutoscalingMetric(errors, a);
      if (typeof a.enabled !== 'boolean') errors.push({ path: 'oap.autoscaling.enabled', message: 'is required: true or false' });
      for (const k of ['minReplicas', 'maxReplicas']) {
        if (a[k] === undefined) errors.push({ path: `oap.autoscaling.${k}`, message: 'is required: an integer from 1 to 100' });
        else int(errors, `oap.autoscaling.${k}`, a[k], 1, 100);
      }
      int(errors, 'oap.autoscaling.targetCPUUtilizationPercentage', a.targetCPUUtilizationPercentage, 1, 100);
      const min = a.minReplicas;
      const max = a.maxReplicas;
      const counts = Number.isInteger(min) && Number.isInteger(max);
      if (counts && min > max) errors.push({ path: 'oap.autoscaling.minReplicas', message: `must be at most maxReplicas (${max}), got ${min}` });
      if (a.enabled === true) {
        const cpu = isObject(oap.resources) && isObject(oap.resources.requests) ? oap.resources.requests.cpu : undefined;
        if (cpu === undefined && usesCpu(a)) {
          errors.push({ path: 'oap.resources.requests.cpu', message: 'is required when oap.autoscaling is enabled: the HPA measures CPU utilization as a share of the requested CPU' });
        }
        if (counts && min <= max) {
          // the replicas the spec asks for are what the HPA starts from: inside its bounds
          if (split) {
            const r = oap.roleSplit.receivers;
            if (Number.isInteger(r) && (r < min || r > max)) {
              errors.push({ path: 'oap.roleSplit.receivers', message: `must be from oap.autoscaling.minReplicas (${min}) to maxReplicas (${max}): with role split the HPA scales the Receivers` });
            }
          } else if (Number.isInteger(oap.replicas) && (oap.replicas < min || oap.replicas > max)) {
            errors.push({ path: 'oap.replicas', message: `must be from oap.autoscaling.minReplicas (${min}) to maxReplicas (${max}), got ${oap.replicas}` });
          }
        }
      }
    }
  }
  const b = oap.disruptionBudget;
  if (b !== undefined) {
    if (!isObject(b)) errors.push({ path: 'oap.disruptionBudget', message: 'must be an object such as { "maxUnavailable": 1 }' });
    else {
      unknownKeys(errors, 'oap.disruptionBudget', b, ['maxUnavailable']);
      const m = b.maxUnavailable;
      if (m !== undefined && !(Number.isInteger(m) && m >= 1 && m <= 100) && !(typeof m === 'string' && PERCENT.test(m))) {
        errors.push({ path: 'oap.disruptionBudget.maxUnavailable', message: `${JSON.stringify(m)} must be a count from 1 to 100 or a percentage from "1%" to "100%" (0 would block every node drain)` });
      }
    }
  }
  const t = oap.topologySpread;
  if (t !== undefined) {
    if (!isObject(t)) errors.push({ path: 'oap.topologySpread', message: 'must be an object such as { "zoneKey": "topology.kubernetes.io/zone" }' });
    else {
      unknownKeys(errors, 'oap.topologySpread', t, ['zoneKey']);
      if (t.zoneKey !== undefined && (typeof t.zoneKey !== 'string' || t.zoneKey.length > 316 || !QUALIFIED_NAME.test(t.zoneKey))) {
        errors.push({ path: 'oap.topologySpread.zoneKey', message: `${JSON.stringify(t.zoneKey)} is not a node label key such as topology.kubernetes.io/zone` });
      }
    }
  }
}

/** A key of a Secret's data (apimachinery IsConfigMapKey). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** storage.external.tls: the CA Secret (its name and key) the storage server is verified against. */
function externalStorageTls(errors: FieldError[], t: unknown) {
  const path = 'storage.external.tls';
  if (!isObject(t)) {
    errors.push({ path, message: 'must be an object such as { "caSecretName": "es-ca" }: a Secret holding the storage server\'s CA certificate (PEM)' });
    return;
  }
  unknownKeys(errors, path, t, ['caSecretName', 'caKey']);
  // a Secret name is a DNS-1123 subdomain
  const name = t.caSecretName;
  if (typeof name !== 'string' || !name) errors.push({ path: `${path}.caSecretName`, message: 'is required: the Secret (in the backend\'s namespace) holding the CA certificate' });
  else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) errors.push({ path: `${path}.caSecretName`, message: `${JSON.stringify(name)} is not a Secret name` });
  const key = t.caKey;
  if (key !== undefined && (typeof key !== 'string' || !SECRET_KEY.test(key) || key === '.' || key === '..')) {
    errors.push({ path: `${path}.caKey`, message: `${JSON.stringify(key)} is not a Secret key such as ca.crt (letters, digits, "-", "_", ".")` });
  }
}

/** A database name that is the same text in a JDBC URL, a libpq conninfo and a shell word: no quoting needed anywhere. */
export const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;

/**
 * One oap.config entry: a literal value, or a value from a Secret of the
 * backend's own namespace (secretKeyRef, which Kubernetes resolves in the
 * pod's namespace). No configMapKeyRef, fieldRef or resourceFieldRef: they
 * read what the backend's owner does not control.
 */
function oapConfigEntry(errors: FieldError[], path: string, c: unknown) {
  if (!isObject(c)) {
    errors.push({ path, message: 'must be { name, value } or { name, valueFrom: { secretKeyRef: { name, key } } }' });
    return;
  }
  unknownKeys(errors, path, c, ['name', 'value', 'valueFrom']);
  if (typeof c.name !== 'string' || !ENV_NAME.test(c.name)) errors.push({ path: `${path}.name`, message: 'must be an environment variable name (A-Z, 0-9, _)' });
  if (c.value !== undefined && c.valueFrom !== undefined) errors.push({ path, message: 'give value or valueFrom, not both' });
  if (c.value !== undefined && (typeof c.value !== 'string' || c.value.length > 4096)) errors.push({ path: `${path}.value`, message: 'must be a string of at most 4096 characters' });
  if (/PASSWORD|SECRET|TOKEN/.test(typeof c.name === 'string' ? c.name : '') && c.value !== undefined) {
    errors.push({ path: `${path}.value`, message: 'credentials must come from a Secret, not an inline value' });
  }
  if (c.valueFrom === undefined) return;
  const vf = c.valueFrom;
  if (!isObject(vf) || !isObject(vf.secretKeyRef) || Object.keys(vf).length !== 1) {
    errors.push({ path: `${path}.valueFrom`, message: 'only { secretKeyRef: { name, key } } is accepted: a Secret in the backend\'s own namespace' });
    return;
  }
  const ref = vf.secretKeyRef;
  unknownKeys(errors, `${path}.valueFrom.secretKeyRef`, ref, ['name', 'key', 'optional']);
  if (typeof ref.name !== 'string' || ref.name.length > 253 || !DNS1123_SUBDOMAIN.test(ref.name)) errors.push({ path: `${path}.valueFrom.secretKeyRef.name`, message: `${JSON.stringify(ref.name ?? null)} is not a Secret name` });
  if (typeof ref.key !== 'string' || !SECRET_KEY.test(ref.key)) errors.push({ path: `${path}.valueFrom.secretKeyRef.key`, message: `${JSON.stringify(ref.key ?? null)} is not a Secret key` });
  if (ref.optional !== undefined && typeof ref.optional !== 'boolean') errors.push({ path: `${path}.valueFrom.secretKeyRef.optional`, message: 'must be true or false' });
}

/**
 * Every problem of a backend spec, each with its field path, so the API can
 * answer 400 with all of them at once and forms can point at the fields.
 */
export function validateBackendSpec(input: unknown): FieldError[] {
  const errors: FieldError[] = [];
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return [{ path: '', message: 'spec must be an object' }];
  }
  const s = input as Record<string, any>;
  // names become Kubernetes object names with suffixes such as -oap, -banyandb-grpc
  dnsLabel(errors, 'name', s.name, 40);
  dnsLabel(errors, 'namespace', s.namespace);
  if (typeof s.cluster !== 'string' || !s.cluster) errors.push({ path: 'cluster', message: 'is required' });
  if (typeof s.version !== 'string' || !VERSION.test(s.version)) {
    errors.push({ path: 'version', message: `"${s.version ?? ''}" is not a SkyWalking version such as 10.1.0 (tags like "latest" are not accepted: upgrades must be explicit)` });
  }
  int(errors, 'oap.replicas', s.oap?.replicas, 0, 100);
  int(errors, 'ui.replicas', s.ui?.replicas, 0, 20);
  for (const [path, part] of [['oap', s.oap], ['ui', s.ui], ['storage.banyandb', s.storage?.banyandb]] as const) {
    if (part === undefined) continue;
    if (!isObject(part)) errors.push({ path, message: 'must be an object' });
    else scheduling(errors, path, part);
  }
  if (isObject(s.oap) && s.oap.roleSplit !== undefined) roleSplit(errors, s.oap);
  if (isObject(s.oap)) oapScaling(errors, s.oap);
  if (isObject(s.ui) && s.ui.ingress !== undefined) {
    const ing = s.ui.ingress;
    if (!isObject(ing)) errors.push({ path: 'ui.ingress', message: 'must be an object such as { "host": "skywalking.example.com" }' });
    else {
      unknownKeys(errors, 'ui.ingress', ing, ['host', 'ingressClassName']);
      const host = typeof ing.host === 'string' ? ing.host.replace(/^\*\./, '') : undefined;
      if (!host || host.length > 253 || !DNS1123_SUBDOMAIN.test(host)) errors.push({ path: 'ui.ingress.host', message: `${JSON.stringify(ing.host ?? null)} is not a host name such as skywalking.example.com` });
      if (ing.ingressClassName !== undefined && (typeof ing.ingressClassName !== 'string' || ing.ingressClassName.length > 253 || !DNS1123_SUBDOMAIN.test(ing.ingressClassName))) {
        errors.push({ path: 'ui.ingress.ingressClassName', message: `${JSON.stringify(ing.ingressClassName)} is not an IngressClass name` });
      }
    }
  }
  if (isObject(s.oap) && s.oap.config !== undefined && !Array.isArray(s.oap.config)) errors.push({ path: 'oap.config', message: 'must be a list of { name, value } or { name, valueFrom: { secretKeyRef } }' });
  for (const [i, c] of (Array.isArray(s.oap?.config) ? s.oap.config : []).entries()) oapConfigEntry(errors, `oap.config[${i}]`, c);
  if (s.storage !== undefined) {
    const type = s.storage?.type;
    if (!STORAGE_TYPES.includes(type)) {
      errors.push({ path: 'storage.type', message: `"${type}" is not a known storage; use one of ${STORAGE_TYPES.join(', ')}` });
    } else if (type === 'banyandb') {
      const v = s.storage.banyandb?.version;
      if (v !== undefined && (typeof v !== 'string' || !VERSION.test(v))) errors.push({ path: 'storage.banyandb.version', message: `"${v}" is not a version` });
      const size = s.storage.banyandb?.storageSize;
      if (size !== undefined && (typeof size !== 'string' || !QUANTITY.test(size))) errors.push({ path: 'storage.banyandb.storageSize', message: `"${size}" is not a Kubernetes quantity such as 10Gi` });
      const bv = typeof v === 'string' ? v : BANYANDB_DEFAULT_VERSION;
      if (s.storage.banyandb?.backup !== undefined) validateBackup(errors, 'storage.banyandb.backup', s.storage.banyandb.backup, bv);
      if (s.storage.banyandb?.restore !== undefined) validateRestore(errors, 'storage.banyandb.restore', s.storage.banyandb.restore, bv);
      if (isObject(s.storage.external) && s.storage.external.snapshot !== undefined) {
        errors.push({ path: 'storage.external.snapshot', message: 'snapshots are for external storage; BanyanDB backs up with storage.banyandb.backup' });
      }
    } else {
      const ext = s.storage.external ?? {};
      if (typeof ext.address !== 'string' || !HOST_PORT.test(ext.address)) {
        errors.push({ path: 'storage.external.address', message: 'is required for external storage, as host:port (comma-separated for several nodes)' });
      }
      dnsLabel(errors, 'storage.external.secretName', ext.secretName, 253);
      // it reaches a JDBC URL, pg_dump's --dbname (a conninfo string when it holds "=") and mysql's arguments
      if (ext.database !== undefined && (typeof ext.database !== 'string' || !DATABASE_NAME.test(ext.database))) {
        errors.push({ path: 'storage.external.database', message: `${JSON.stringify(ext.database)} is not a database name: 1 to 63 letters, digits and "_", starting with a letter or "_"` });
      }
      if (ext.tls !== undefined) externalStorageTls(errors, ext.tls);
      if (isObject(s.storage.banyandb) && (s.storage.banyandb.backup !== undefined || s.storage.banyandb.restore !== undefined)) {
        errors.push({ path: 'storage.banyandb', message: `backup and restore are BanyanDB's; ${type} keeps its own backups (snapshots of the database itself)` });
      }
      if (ext.snapshot !== undefined) validateSnapshot(errors, 'storage.external.snapshot', ext.snapshot, type);
      if ('password' in ext || 'username' in ext) {
        errors.push({ path: 'storage.external', message: 'credentials must come from the Secret named in secretName, not inline' });
      }
    }
  }
  if (s.rover !== undefined) {
    if (!s.rover || typeof s.rover !== 'object' || Array.isArray(s.rover)) {
      errors.push({ path: 'rover', message: 'must be an object such as { "enabled": true }' });
    } else {
      if (s.rover.enabled !== undefined && typeof s.rover.enabled !== 'boolean') errors.push({ path: 'rover.enabled', message: 'must be true or false' });
      const v = s.rover.version;
      if (v !== undefined && (typeof v !== 'string' || !VERSION.test(v))) errors.push({ path: 'rover.version', message: `"${v}" is not a Rover version such as 0.7.0` });
    }
  }
  if (s.satellite !== undefined) {
    if (!s.satellite || typeof s.satellite !== 'object' || Array.isArray(s.satellite)) {
      errors.push({ path: 'satellite', message: 'must be an object such as { "enabled": true, "replicas": 2 }' });
    } else {
      if (s.satellite.enabled !== undefined && typeof s.satellite.enabled !== 'boolean') errors.push({ path: 'satellite.enabled', message: 'must be true or false' });
      int(errors, 'satellite.replicas', s.satellite.replicas, 1, 20);
      const v = s.satellite.version;
      if (v !== undefined && (typeof v !== 'string' || !VERSION.test(v))) errors.push({ path: 'satellite.version', message: `"${v}" is not a Satellite version such as 1.3.0` });
    }
  }
  if (s.tls !== undefined) tls(errors, s.tls);
  if (s.paused !== undefined && typeof s.paused !== 'boolean') errors.push({ path: 'paused', message: 'must be true or false' });
  return errors;
}
