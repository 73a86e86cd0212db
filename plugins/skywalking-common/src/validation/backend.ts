/**
 * Validation of a SkyWalkingBackend (crds/backend.ts). Returns every problem
 * with its field path, so the API can answer 400 with all of them at once and
 * forms can point at the fields. Paths start with `spec.` unless told otherwise.
 */
import type { FieldError } from '../api';
import { BACKEND_STORAGE_TYPES } from '../crds/backend';
import {
  checkDns1123Label,
  checkDns1123Subdomain,
  checkEntityRef,
  checkEnvVarName,
  checkHostPortList,
  checkImageReference,
  checkInt,
  checkLabelValue,
  checkQualifiedName,
  checkQuantity,
  checkVersion,
  SECRET_NAME_PATTERN,
} from './rules';

export const BACKEND_LIMITS = {
  /** name gets suffixes up to 14 characters (-banyandb-grpc) and must stay a DNS label */
  nameMax: 40,
  oapReplicasMax: 100,
  uiReplicasMax: 20,
  satelliteReplicasMax: 50,
  banyandbStorageMinBytes: 2 ** 30,
};

export interface BackendValidationOptions {
  /** prefix of every path (default 'spec') */
  pathPrefix?: string;
}

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

export function validateSkyWalkingBackend(input: unknown, options: BackendValidationOptions = {}): FieldError[] {
  const prefix = options.pathPrefix ?? 'spec';
  const errors: FieldError[] = [];
  const at = (p: string) => {
    if (!prefix) return p;
    return p ? `${prefix}.${p}` : prefix;
  };
  const add = (p: string, message: string | undefined) => {
    if (message) errors.push({ path: at(p), message });
  };
  const known = (p: string, o: Record<string, any>, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) add(p ? `${p}.${k}` : k, 'is not a known field');
  };
  const object = (p: string, v: unknown): v is Record<string, any> => {
    if (v === undefined) return false;
    if (!isObj(v)) {
      add(p, 'must be an object');
      return false;
    }
    return true;
  };
  const bool = (p: string, v: unknown) => {
    if (v !== undefined && typeof v !== 'boolean') add(p, 'must be true or false');
  };
  const stringMap = (p: string, v: unknown, checkKey: (k: string) => string | undefined, checkValue: (v: unknown) => string | undefined) => {
    if (!object(p, v)) return;
    for (const [k, val] of Object.entries(v)) {
      add(`${p}.${k}`, checkKey(k) ?? checkValue(val));
    }
  };
  const scheduling = (p: string, o: Record<string, any>) => {
    if (object(`${p}.resources`, o.resources)) {
      known(`${p}.resources`, o.resources, ['requests', 'limits']);
      for (const kind of ['requests', 'limits'] as const) {
        stringMap(`${p}.resources.${kind}`, o.resources[kind], k => checkQualifiedName(k), checkQuantity);
      }
    }
    if (o.affinity !== undefined) {
      if (object(`${p}.affinity`, o.affinity)) known(`${p}.affinity`, o.affinity, ['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
    }
    if (o.tolerations !== undefined) {
      if (!Array.isArray(o.tolerations)) add(`${p}.tolerations`, 'must be a list');
      else
        o.tolerations.forEach((t: unknown, i: number) => {
          const tp = `${p}.tolerations[${i}]`;
          if (!object(tp, t)) return;
          known(tp, t, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
          if (t.key !== undefined) add(`${tp}.key`, checkQualifiedName(t.key));
          if (t.operator !== undefined && !['Exists', 'Equal'].includes(t.operator)) add(`${tp}.operator`, 'must be Exists or Equal');
          if (t.effect !== undefined && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
            add(`${tp}.effect`, 'must be NoSchedule, PreferNoSchedule or NoExecute');
          }
          if (t.value !== undefined) add(`${tp}.value`, checkLabelValue(t.value));
        });
    }
    stringMap(`${p}.nodeSelector`, o.nodeSelector, checkQualifiedName, checkLabelValue);
  };
  const replicas = (p: string, v: unknown, min: number, max: number) => {
    if (v !== undefined) add(p, checkInt(v, min, max));
  };
  const image = (p: string, v: unknown) => {
    if (v !== undefined) add(p, checkImageReference(v));
  };

  if (!isObj(input)) return [{ path: at(''), message: 'must be an object' }];
  const s = input;
  known('', s, ['name', 'namespace', 'cluster', 'version', 'owner', 'description', 'oap', 'ui', 'storage', 'satellite', 'rover', 'paused', 'labels']);

  const nameError = checkDns1123Label(s.name, BACKEND_LIMITS.nameMax);
  // Service names must also start with a letter (DNS-1035)
  add('name', nameError ?? (/^[a-z]/.test(s.name) ? undefined : 'must start with a lowercase letter'));
  add('namespace', checkDns1123Label(s.namespace));
  if (typeof s.cluster !== 'string' || s.cluster === '') add('cluster', 'is required');
  else if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(s.cluster)) add('cluster', 'is not a cluster name (letters, digits, ".", "_", "-")');
  add('version', checkVersion(s.version));
  if (s.owner !== undefined) add('owner', checkEntityRef(s.owner));
  if (s.description !== undefined && (typeof s.description !== 'string' || s.description.length > 1024)) add('description', 'must be text of at most 1024 characters');
  bool('paused', s.paused);
  stringMap('labels', s.labels, k => checkQualifiedName(k) ?? (k.startsWith('app.kubernetes.io/') || k.startsWith('operator.skywalking.apache.org/') ? 'is reserved' : undefined), checkLabelValue);

  // ---- oap
  if (object('oap', s.oap)) {
    const o = s.oap;
    known('oap', o, ['replicas', 'image', 'roleSplit', 'config', 'dynamicConfig', 'resources', 'affinity', 'tolerations', 'nodeSelector']);
    replicas('oap.replicas', o.replicas, 0, BACKEND_LIMITS.oapReplicasMax);
    image('oap.image', o.image);
    scheduling('oap', o);
    if (object('oap.roleSplit', o.roleSplit)) {
      const r = o.roleSplit;
      known('oap.roleSplit', r, ['enabled', 'receiverRatio', 'receivers', 'aggregators']);
      bool('oap.roleSplit.enabled', r.enabled);
      if (r.receiverRatio !== undefined && (typeof r.receiverRatio !== 'number' || !(r.receiverRatio > 0 && r.receiverRatio < 1))) {
        add('oap.roleSplit.receiverRatio', 'must be a number between 0 and 1 (exclusive), the share of Receiver pods');
      }
      replicas('oap.roleSplit.receivers', r.receivers, 1, BACKEND_LIMITS.oapReplicasMax);
      replicas('oap.roleSplit.aggregators', r.aggregators, 1, BACKEND_LIMITS.oapReplicasMax);
      if (r.enabled === true && r.receivers === undefined && r.aggregators === undefined && typeof o.replicas === 'number' && o.replicas < 2) {
        add('oap.replicas', 'must be at least 2 when role split is enabled (one Receiver and one Aggregator)');
      }
      if (r.receiverRatio !== undefined && (r.receivers !== undefined || r.aggregators !== undefined)) {
        add('oap.roleSplit', 'give either receiverRatio or receivers/aggregators, not both');
      }
    }
    if (o.config !== undefined) {
      if (!Array.isArray(o.config)) add('oap.config', 'must be a list');
      else {
        const seen = new Set<string>();
        o.config.forEach((c: unknown, i: number) => {
          const cp = `oap.config[${i}]`;
          if (!isObj(c)) {
            add(cp, 'must be an object with name and value');
            return;
          }
          known(cp, c, ['name', 'value', 'secretKeyRef']);
          const nameErr = checkEnvVarName(c.name);
          add(`${cp}.name`, nameErr);
          if (!nameErr) {
            if (seen.has(c.name)) add(`${cp}.name`, `${c.name} is given twice`);
            seen.add(c.name);
          }
          if (c.value !== undefined && typeof c.value !== 'string') add(`${cp}.value`, 'must be a string');
          if (c.value !== undefined && c.secretKeyRef !== undefined) add(cp, 'give either value or secretKeyRef');
          if (typeof c.name === 'string' && SECRET_NAME_PATTERN.test(c.name) && c.value !== undefined) {
            add(`${cp}.value`, 'credentials must come from a Secret (secretKeyRef), not an inline value');
          }
          if (typeof c.value === 'string' && (c.value.length > 32768 || c.value.includes('\0'))) add(`${cp}.value`, 'is too long or contains a NUL character');
          if (c.secretKeyRef !== undefined && object(`${cp}.secretKeyRef`, c.secretKeyRef)) {
            known(`${cp}.secretKeyRef`, c.secretKeyRef, ['name', 'key']);
            add(`${cp}.secretKeyRef.name`, checkDns1123Subdomain(c.secretKeyRef.name));
            if (typeof c.secretKeyRef.key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(c.secretKeyRef.key)) add(`${cp}.secretKeyRef.key`, 'must be a Secret key ([-._a-zA-Z0-9]+)');
          }
        });
      }
    }
    if (object('oap.dynamicConfig', o.dynamicConfig)) {
      for (const [k, v] of Object.entries(o.dynamicConfig)) {
        // ConfigMap keys: [-._a-zA-Z0-9]+, at most 253
        if (!/^[-._a-zA-Z0-9]{1,253}$/.test(k)) add(`oap.dynamicConfig.${k}`, 'key must be a ConfigMap key ([-._a-zA-Z0-9]+), e.g. agent-analyzer.default.slowDBAccessThreshold');
        else if (typeof v !== 'string') add(`oap.dynamicConfig.${k}`, 'must be a string');
      }
    }
  }

  // ---- ui
  if (object('ui', s.ui)) {
    const u = s.ui;
    known('ui', u, ['enabled', 'replicas', 'kind', 'image', 'ingress', 'resources', 'affinity', 'tolerations', 'nodeSelector']);
    bool('ui.enabled', u.enabled);
    replicas('ui.replicas', u.replicas, 0, BACKEND_LIMITS.uiReplicasMax);
    if (u.kind !== undefined && !['booster', 'horizon'].includes(u.kind)) add('ui.kind', 'must be booster or horizon');
    image('ui.image', u.image);
    scheduling('ui', u);
    if (object('ui.ingress', u.ingress)) {
      known('ui.ingress', u.ingress, ['host', 'className', 'tlsSecretName', 'annotations']);
      add('ui.ingress.host', checkDns1123Subdomain(u.ingress.host));
      if (u.ingress.className !== undefined) add('ui.ingress.className', checkDns1123Subdomain(u.ingress.className));
      if (u.ingress.tlsSecretName !== undefined) add('ui.ingress.tlsSecretName', checkDns1123Subdomain(u.ingress.tlsSecretName));
      stringMap('ui.ingress.annotations', u.ingress.annotations, checkQualifiedName, v => (typeof v === 'string' && v.length <= 4096 ? undefined : 'must be a string'));
    }
  }

  // ---- storage
  if (object('storage', s.storage)) {
    const st = s.storage;
    known('storage', st, ['type', 'banyandb', 'external']);
    const type = st.type;
    if (!(BACKEND_STORAGE_TYPES as readonly unknown[]).includes(type)) {
      add('storage.type', `${JSON.stringify(type ?? null)} is not a known storage; use one of ${BACKEND_STORAGE_TYPES.join(', ')}`);
    } else if (type === 'banyandb') {
      if (st.external !== undefined) add('storage.external', 'is only for external storages (elasticsearch, postgresql, mysql, tidb)');
      if (object('storage.banyandb', st.banyandb)) {
        const b = st.banyandb;
        known('storage.banyandb', b, ['version', 'image', 'storageSize', 'storageClass', 'resources', 'affinity', 'tolerations', 'nodeSelector']);
        if (b.version !== undefined) add('storage.banyandb.version', checkVersion(b.version));
        image('storage.banyandb.image', b.image);
        if (b.storageSize !== undefined) add('storage.banyandb.storageSize', checkQuantity(b.storageSize));
        if (b.storageClass !== undefined) add('storage.banyandb.storageClass', checkDns1123Subdomain(b.storageClass));
        scheduling('storage.banyandb', b);
      }
    } else {
      if (st.banyandb !== undefined) add('storage.banyandb', `is only for banyandb storage, not ${type}`);
      const ext = st.external;
      if (ext === undefined) {
        add('storage.external', `is required for ${type}: give address and secretName`);
      } else if (object('storage.external', ext)) {
        for (const k of Object.keys(ext)) {
          if (/pass|user|cred|token|secret(?!Name$)/i.test(k)) add(`storage.external.${k}`, 'credentials must be in the Secret named by secretName (keys username and password), never inline');
        }
        known(
          'storage.external',
          Object.fromEntries(Object.entries(ext).filter(([k]) => !/pass|user|cred|token|secret(?!Name$)/i.test(k))),
          ['address', 'secretName', 'database', 'tls'],
        );
        add('storage.external.address', checkHostPortList(ext.address));
        add('storage.external.secretName', checkDns1123Subdomain(ext.secretName));
        bool('storage.external.tls', ext.tls);
        if (ext.database !== undefined) {
          if (type === 'elasticsearch') add('storage.external.database', 'is not used by elasticsearch');
          else if (typeof ext.database !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(ext.database)) add('storage.external.database', 'must be a database name (letters, digits, _ and -)');
        }
      }
    }
  }

  // ---- satellite
  if (object('satellite', s.satellite)) {
    const sa = s.satellite;
    known('satellite', sa, ['enabled', 'replicas', 'version', 'image', 'resources', 'affinity', 'tolerations', 'nodeSelector']);
    bool('satellite.enabled', sa.enabled);
    replicas('satellite.replicas', sa.replicas, 0, BACKEND_LIMITS.satelliteReplicasMax);
    if (sa.version !== undefined) add('satellite.version', checkVersion(sa.version));
    image('satellite.image', sa.image);
    scheduling('satellite', sa);
  }

  // ---- rover
  if (object('rover', s.rover)) {
    known('rover', s.rover, ['enabled']);
    bool('rover.enabled', s.rover.enabled);
  }
  return errors;
}
