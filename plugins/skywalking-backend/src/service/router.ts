import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import {
  BackendRef,
  backendResourceRef,
  defaultSpecPolicy,
  FieldError,
  isBackupTimeDir,
  isSnapshotName,
  OAP_SCALE_ROLES,
  parseBackendResourceRef,
  redactSpec,
  skywalkingBackendBackupPermission,
  skywalkingBackendCreatePermission,
  skywalkingBackendDeletePermission,
  skywalkingBackendReadPermission,
  skywalkingBackendRestorePermission,
  skywalkingBackendRoverPermission,
  skywalkingBackendUpdatePermission,
  skywalkingTracingTogglePermission,
  SpecPolicy,
  validateSpecPolicy,
} from '@skywalking-backstage/plugin-skywalking-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackupInputError, BackupOperations } from './BackupService';
import { BackendOperations } from './types';
import { ScaleInputError } from './scaling';
import { UpgradeInputError } from './BackendService';
import { PreconditionFailedError, specETag } from './updateGuard';
import { validateUpgradeRequest } from '../engine/upgrade';
import { createAuthorizer } from './authorization';
import { limitBodyDepth } from './jsonDepth';
import { actorOf, createAuditTrail } from './audit';
import type { TenancyGuard } from '../tenancy/TenancyService';

export interface TracingOperations {
  getStatus(entityRef: string, credentials: BackstageCredentials): Promise<unknown>;
  setTracing(
    input: { entityRef: string; enabled: boolean; backend?: BackendRef },
    actor: string,
    credentials: BackstageCredentials,
  ): Promise<unknown>;
}

export interface TopologyOperations {
  getTopology(
    input: { entityRef: string; from: Date; to: Date },
    credentials: BackstageCredentials,
  ): Promise<unknown>;
}

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  store: SkyWalkingStore;
  backends: BackendOperations;
  validateBackendSpec: (spec: unknown) => FieldError[];
  tracing?: TracingOperations;
  topology?: TopologyOperations;
  /** BanyanDB backups and restores (BackupService) */
  backups?: BackupOperations;
  auditor?: AuditorService;
  /** the caller's ownership refs, for the owner a create records (M4) */
  userInfo?: UserInfoService;
  /** the owner of a catalog entity named as a backend's entityRef */
  entityOwner?: (entityRef: string, credentials: BackstageCredentials) => Promise<{ owner?: string } | undefined>;
  /** what dangerous spec fields may hold (images, env names, storage hosts); default: the product's defaults, no external storage */
  specPolicy?: SpecPolicy;
  /** service principals that may write (skywalking.permissions.trustedServices); none by default */
  trustedServices?: string[];
  /** the tenancy model (tenancy/TenancyService): lifecycle writes only in the caller's namespaces; absent: not checked */
  tenancy?: TenancyGuard;
}

/** A 400 whose body lists every invalid field, so forms can point at them. */
export class SpecValidationError extends InputError {
  constructor(readonly fields: FieldError[]) {
    super(`Invalid backend spec: ${fields.map(f => `${f.path}: ${f.message}`).join('; ')}`);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function refFrom(req: Request): BackendRef {
  const { cluster, namespace, name } = req.params;
  const errors: FieldError[] = [];
  if (!cluster) errors.push({ path: 'cluster', message: 'is required' });
  for (const [path, v] of [['namespace', namespace], ['name', name]] as const) {
    if (!v || v.length > 63 || !DNS1123_LABEL.test(v)) {
      errors.push({ path, message: `"${v}" is not a DNS-1123 label (lowercase letters, digits, "-"; at most 63 characters)` });
    }
  }
  if (errors.length) throw new SpecValidationError(errors);
  return { cluster, namespace, name };
}

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { httpAuth, permissions, store, backends, logger } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  // a body nested thousands of levels deep overflowed a validator's stack (a 500)
  router.use(limitBodyDepth());
  const policy = options.specPolicy ?? defaultSpecPolicy();
  const authz = createAuthorizer({ httpAuth, permissions, userInfo: options.userInfo, trustedServices: options.trustedServices, entityOwner: options.entityOwner });
  const audited = createAuditTrail({ auditor: options.auditor, store, logger, httpAuth, safeEnvNames: policy.safeEnvNames });
  const redact = <T,>(v: T): T => redactSpec(v, policy.safeEnvNames);

  /** A write's permission on the backend it acts on (users only, unless a trusted service). */
  const authorizeOn = (req: Request, permission: typeof skywalkingBackendUpdatePermission, ref: BackendRef) =>
    authz.authorize(req, permission, { resourceRef: backendResourceRef(ref), write: true });

  /** A create's or update's spec: shape, then this portal's rules for dangerous fields, then Rover's admin permission. */
  async function checkSpec(req: Request, credentials: BackstageCredentials, spec: any) {
    const errors = options.validateBackendSpec(spec);
    if (errors.length) throw new SpecValidationError(errors);
    const policyErrors = validateSpecPolicy(spec, policy);
    if (policyErrors.length) throw new SpecValidationError(policyErrors);
    if (spec?.rover?.enabled === true) await authz.authorize(req, skywalkingBackendRoverPermission, { credentials });
  }

  const target = (r: BackendRef) => `backend:${r.cluster}/${r.namespace}/${r.name}`;

  /** Tenancy: a lifecycle write acts only in a namespace mapped to the caller (403 naming it). */
  const mayAct = async (credentials: BackstageCredentials, r: BackendRef) => options.tenancy?.assertMayAct(credentials, r.cluster, r.namespace);

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/clusters', async (req, res) => {
    await authz.authorizeAny(req, skywalkingBackendReadPermission);
    res.json({ items: await backends.listClusters() });
  });

  router.get('/clusters/:cluster/namespaces', async (req, res) => {
    await authz.authorizeAny(req, skywalkingBackendReadPermission);
    res.json({ items: await backends.listNamespaces(req.params.cluster) });
  });

  router.get('/backends', async (req, res) => {
    // decided before anything is listed: a DENY reads no cluster
    const readable = await authz.readFilter(req, skywalkingBackendReadPermission);
    // the clusters that could not be listed are named: a reader must not take their backends for deleted (M11)
    const listAll = async () => (backends.listWithStatus ? backends.listWithStatus() : { items: await backends.list(), unavailableClusters: [] });
    const [{ items, unavailableClusters }, owners] = await Promise.all([listAll(), store.listBackends()]);
    const byKey = new Map(owners.map(o => [`${o.cluster}/${o.namespace}/${o.name}`, o]));
    const merged = items.map(b => {
      const o = byKey.get(`${b.cluster}/${b.namespace}/${b.name}`);
      // the permission rules see the recorded owner, as the resource loader does
      return { ...b, owner: o?.ownerRef ?? b.owner, entityRef: o?.entityRef ?? b.entityRef, recordedOwner: o?.ownerRef };
    });
    res.json({ items: merged.filter(m => readable({ ...m, owner: m.recordedOwner })).map(({ recordedOwner: _r, ...b }) => redact(b)), unavailableClusters });
  });

  router.get('/backends/:cluster/:namespace/:name', async (req, res) => {
    const ref = refFrom(req);
    await authz.authorize(req, skywalkingBackendReadPermission, { resourceRef: backendResourceRef(ref) });
    const detail = await backends.get(ref);
    const o = (await store.listBackends()).find(
      x => x.cluster === ref.cluster && x.namespace === ref.namespace && x.name === ref.name,
    );
    // the ETag versions the spec (what a PUT replaces), for its If-Match; the body is always sent in full:
    // a 304 on If-None-Match would hide pods and status that changed under the same spec
    res.set('ETag', specETag(detail.spec)).set('Cache-Control', 'no-store').type('application/json');
    res.end(JSON.stringify(redact({ ...detail, owner: o?.ownerRef ?? detail.owner, entityRef: o?.entityRef ?? detail.entityRef })));
  });

  router.post('/backends', async (req, res) => {
    const body = req.body ?? {};
    const spec = body.spec ?? body;
    const ref = { cluster: spec?.cluster, namespace: spec?.namespace, name: spec?.name };
    await audited(req, 'create', target(ref), async (note, setActor) => {
      const credentials = await authz.authorize(req, skywalkingBackendCreatePermission, { write: true });
      setActor(credentials);
      note({ spec });
      await checkSpec(req, credentials, spec);
      await mayAct(credentials, ref);
      const ownerErrors = await authz.ownershipErrors(credentials, { owner: body.owner ?? spec.owner, entityRef: body.entityRef });
      if (ownerErrors.length) throw new SpecValidationError(ownerErrors);
      const actor = actorOf(credentials);
      const result = await backends.create(spec, actor);
      await store.recordBackend({ ...ref, ownerRef: body.owner ?? spec.owner, entityRef: body.entityRef, createdBy: actor });
      note({ queued: result.queued });
      res.status(result.queued ? 202 : 201).json(result);
    });
  });

  router.put('/backends/:cluster/:namespace/:name', async (req, res) => {
    const ref = refFrom(req);
    await audited(req, 'update', target(ref), async (note, setActor) => {
      const credentials = await authorizeOn(req, skywalkingBackendUpdatePermission, ref);
      setActor(credentials);
      await mayAct(credentials, ref);
      const spec = { ...(req.body?.spec ?? req.body), ...ref };
      note({ spec });
      await checkSpec(req, credentials, spec);
      // handing the backend to another owner takes the caller's own ref; keeping the recorded one does not
      const recorded = (await store.listBackends()).find(b => backendResourceRef(b) === backendResourceRef(ref))?.ownerRef;
      const ownerErrors = spec.owner === undefined || spec.owner === recorded ? [] : await authz.ownershipErrors(credentials, { owner: spec.owner });
      if (ownerErrors.length) throw new SpecValidationError(ownerErrors);
      // If-Match: only over the spec last read (412 else); without it the update applies as before (M8)
      const ifMatch = req.get('If-Match');
      const actor = actorOf(credentials);
      const result = await (ifMatch === undefined ? backends.update(ref, spec, actor) : backends.update(ref, spec, actor, { ifMatch })).catch(e => {
        // a version change is an upgrade: 400 naming the field and POST …/upgrade
        throw e instanceof UpgradeInputError ? new SpecValidationError([{ path: e.path, message: e.detail }]) : e;
      });
      note({ queued: result.queued });
      res.status(result.queued ? 202 : 200).json(result);
    });
  });

  router.post('/backends/:cluster/:namespace/:name/scale', async (req, res) => {
    const ref = refFrom(req);
    await audited(req, 'scale', target(ref), async (note, setActor) => {
      const credentials = await authorizeOn(req, skywalkingBackendUpdatePermission, ref);
      setActor(credentials);
      await mayAct(credentials, ref);
      const replicas = req.body?.replicas;
      const role = req.body?.role;
      note({ replicas, ...(role !== undefined ? { role } : {}) });
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100) {
        throw new SpecValidationError([{ path: 'replicas', message: 'must be an integer from 0 to 100' }]);
      }
      if (role !== undefined && !OAP_SCALE_ROLES.includes(role)) {
        throw new SpecValidationError([{ path: 'role', message: `must be ${OAP_SCALE_ROLES.join(' or ')} (scales that role of a backend with role split)` }]);
      }
      const actor = actorOf(credentials);
      // a role without role split: 400 with the field; replicas an HPA owns: 409 (scaling.ts)
      const result = await (role === undefined ? backends.scale(ref, replicas, actor) : backends.scale(ref, replicas, actor, role)).catch(e => {
        throw e instanceof ScaleInputError ? new SpecValidationError([{ path: e.path, message: e.detail }]) : e;
      });
      note({ queued: result.queued });
      res.status(result.queued ? 202 : 200).json(result);
    });
  });

  // a dead-lettered change of this backend back into the outbox: a person decided it should be tried again
  // (replayed in order, re-checked against the tenancy rules of the moment first)
  router.post('/backends/:cluster/:namespace/:name/outbox/:id/retry', async (req, res) => {
    const ref = refFrom(req);
    await audited(req, 'outbox.retry', target(ref), async (note, setActor) => {
      const credentials = await authorizeOn(req, skywalkingBackendUpdatePermission, ref);
      setActor(credentials);
      await mayAct(credentials, ref);
      note({ id: req.params.id });
      if (!(await backends.retryDeadLetter?.(ref, req.params.id))) {
        throw new NotFoundError(`no dead-lettered change ${req.params.id} of backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
      }
      res.status(202).json({ applied: false, queued: true, message: `change ${req.params.id} is queued again` });
    });
  });

  for (const action of ['pause', 'resume'] as const) {
    router.post(`/backends/:cluster/:namespace/:name/${action}`, async (req, res) => {
      const ref = refFrom(req);
      await audited(req, action, target(ref), async (note, setActor) => {
        const credentials = await authorizeOn(req, skywalkingBackendUpdatePermission, ref);
        setActor(credentials);
        await mayAct(credentials, ref);
        const result = await backends[action](ref, actorOf(credentials));
        note({ queued: result.queued });
        res.status(result.queued ? 202 : 200).json(result);
      });
    });
  }

  router.post('/backends/:cluster/:namespace/:name/upgrade', async (req, res) => {
    const ref = refFrom(req);
    await audited(req, 'upgrade', target(ref), async (note, setActor) => {
      const credentials = await authorizeOn(req, skywalkingBackendUpdatePermission, ref);
      setActor(credentials);
      await mayAct(credentials, ref);
      const { version, storageVersion, deadlineSeconds, allowDowngrade } = req.body ?? {};
      const upgradeOptions = { storageVersion, deadlineSeconds, allowDowngrade };
      note({ version, ...upgradeOptions });
      // semantic versions, deadline of at least 30 s (engine/upgrade.ts), then the spec's own version rules
      const upgradeErrors = validateUpgradeRequest(req.body);
      if (upgradeErrors.length) throw new SpecValidationError(upgradeErrors);
      const errors = options.validateBackendSpec({ ...ref, version, __versionOnly: true });
      const versionErrors = errors.filter(e => e.path === 'version' || e.path.endsWith('.version'));
      if (versionErrors.length) throw new SpecValidationError(versionErrors);
      const result = await backends.upgrade(ref, version, actorOf(credentials), upgradeOptions).catch(e => {
        // a downgrade without allowDowngrade: 400 with the field
        throw e instanceof UpgradeInputError ? new SpecValidationError([{ path: e.path, message: e.detail }]) : e;
      });
      note({ queued: result.queued });
      res.status(result.queued ? 202 : 200).json(result);
    });
  });

  router.delete('/backends/:cluster/:namespace/:name', async (req, res) => {
    const ref = refFrom(req);
    await audited(req, 'delete', target(ref), async (note, setActor) => {
      const credentials = await authorizeOn(req, skywalkingBackendDeletePermission, ref);
      setActor(credentials);
      await mayAct(credentials, ref);
      const result = await backends.delete(ref, actorOf(credentials));
      if (!result.queued) await store.removeBackend(ref);
      note({ queued: result.queued });
      res.status(result.queued ? 202 : 200).json(result);
    });
  });

  // ---------------------------------------------------------------- backups

  function backupsOrUnavailable(): BackupOperations {
    if (!options.backups) throw new ServiceUnavailableError('backups are not configured in this portal');
    return options.backups;
  }

  router.get('/backends/:cluster/:namespace/:name/backups', async (req, res) => {
    const ref = refFrom(req);
    await authz.authorize(req, skywalkingBackendReadPermission, { resourceRef: backendResourceRef(ref) });
    res.json(await backupsOrUnavailable().listBackups(ref));
  });

  router.post('/backends/:cluster/:namespace/:name/backups', async (req, res) => {
    const ref = refFrom(req);
    await audited(req, 'backup', target(ref), async (note, setActor) => {
      const credentials = await authorizeOn(req, skywalkingBackendBackupPermission, ref);
      setActor(credentials);
      await mayAct(credentials, ref);
      const body = req.body ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) throw new SpecValidationError([{ path: '', message: 'body must be an object such as {} or { "target": { "pvc": { "claimName": "…" } } }' }]);
      const run = await backupsOrUnavailable().startBackup(ref, { target: body.target }, actorOf(credentials));
      note({ job: run.name, backup: run.backup, destination: run.target });
      res.status(201).json(run);
    });
  });

  /** Whether the backend exists in its cluster (a restore over it replaces its data). */
  async function backendExists(ref: BackendRef): Promise<boolean> {
    try {
      await backends.get(ref);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError || (e as any)?.name === 'NotFoundError') return false;
      throw e;
    }
  }

  router.post('/backends/:cluster/:namespace/:name/restore', async (req, res) => {
    const ref = refFrom(req);
    const body = req.body ?? {};
    await audited(req, 'restore', target(ref), async (note, setActor) => {
      const credentials = await authz.credentialsFor(req, true);
      setActor(credentials);
      note({ backup: body.backup, from: body.from ?? ref, ...(body.inPlace !== undefined ? { inPlace: body.inPlace } : {}) });
      const errors: FieldError[] = [];
      // BanyanDB backups are time directories; storage snapshots are named after their Job
      if (!isBackupTimeDir(body.backup) && !isSnapshotName(body.backup)) {
        errors.push({
          path: 'backup',
          message: `${JSON.stringify(body.backup ?? null)} is neither a BanyanDB backup time directory such as 2026-11-30 (daily) or 2026-11-30-14 (hourly) nor a storage snapshot name such as demo-snap-20261130120000`,
        });
      }
      if (body.from !== undefined) {
        const f = body.from;
        if (!f || typeof f !== 'object') errors.push({ path: 'from', message: 'must be { cluster, namespace, name }' });
        else {
          if (typeof f.cluster !== 'string' || !f.cluster) errors.push({ path: 'from.cluster', message: 'is required' });
          for (const k of ['namespace', 'name']) {
            if (typeof f[k] !== 'string' || f[k].length > 63 || !DNS1123_LABEL.test(f[k])) errors.push({ path: `from.${k}`, message: `"${f[k] ?? ''}" is not a DNS-1123 label` });
          }
        }
      }
      if (body.spec !== undefined && (!body.spec || typeof body.spec !== 'object' || Array.isArray(body.spec))) errors.push({ path: 'spec', message: 'must be an object' });
      if (body.inPlace !== undefined && typeof body.inPlace !== 'boolean') errors.push({ path: 'inPlace', message: 'must be true or false' });
      if (errors.length) throw new SpecValidationError(errors);
      const source: BackendRef = body.from ?? ref;
      const fromItself = backendResourceRef(source) === backendResourceRef(ref);
      await mayAct(credentials, ref);
      if (!fromItself) await mayAct(credentials, source);
      // H5: reading another backend's backups is a read of that backend
      if (!fromItself) await authz.authorize(req, skywalkingBackendReadPermission, { resourceRef: backendResourceRef(source), credentials });
      let newOwner: string | undefined;
      if (await backendExists(ref)) {
        await authz.authorize(req, skywalkingBackendRestorePermission, { resourceRef: backendResourceRef(ref), credentials });
        if (!fromItself && body.inPlace !== true) {
          throw new ConflictError(
            `${ref.namespace}/${ref.name} exists in cluster ${ref.cluster}: restoring ${source.namespace}/${source.name}'s backup into it replaces its data; send "inPlace": true to do that, or restore into a new backend name`,
          );
        }
        if (body.spec !== undefined) throw new SpecValidationError([{ path: 'spec', message: 'is for a new backend; this one exists' }]);
      } else {
        // a restore into a new backend creates it
        await authz.authorize(req, skywalkingBackendCreatePermission, { credentials });
        if (body.spec !== undefined) {
          const policyErrors = validateSpecPolicy(body.spec, policy).map(e => ({ ...e, path: `spec.${e.path}` }));
          if (policyErrors.length) throw new SpecValidationError(policyErrors);
          if (body.spec.rover?.enabled === true) await authz.authorize(req, skywalkingBackendRoverPermission, { credentials });
        }
        // the new backend's owner: as given, else the source's, and either way the caller's own
        newOwner = body.owner ?? (await store.listBackends()).find(b => backendResourceRef(b) === backendResourceRef(source))?.ownerRef;
        const ownerErrors = await authz.ownershipErrors(credentials, { owner: newOwner, entityRef: body.entityRef });
        if (ownerErrors.length) throw new SpecValidationError(ownerErrors.map(e => (e.path === 'owner' && body.owner === undefined ? { ...e, message: `${e.message}; give "owner" for the new backend` } : e)));
      }
      const actor = actorOf(credentials);
      const result = await backupsOrUnavailable().restore(ref, { backup: body.backup, from: body.from, target: body.target, spec: body.spec }, actor);
      if (result.created) {
        await store.recordBackend({ ...ref, ownerRef: newOwner, entityRef: body.entityRef, createdBy: actor });
      }
      note({ restore: result.restore, created: result.created, queued: result.queued });
      res.status(result.queued ? 202 : 201).json(result);
    });
  });

  router.get('/audit', async (req, res) => {
    const readable = await authz.readFilter(req, skywalkingBackendReadPermission);
    const t = typeof req.query.target === 'string' ? req.query.target : undefined;
    // a negative or non-numeric limit reached the database as is (a 500)
    const raw = req.query.limit;
    if (raw !== undefined && (typeof raw !== 'string' || !/^[0-9]{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 500)) {
      throw new SpecValidationError([{ path: 'limit', message: `${JSON.stringify(raw)} is not an integer from 1 to 500` }]);
    }
    const items = await store.listAudit({ target: t, limit: raw === undefined ? 50 : Number(raw) });
    // a backend's history is read under the same conditions as the backend (owner, namespace, cluster)
    const records = new Map((await store.listBackends()).map(b => [`backend:${backendResourceRef(b)}`, b]));
    const mayRead = (rowTarget: string) => {
      if (!rowTarget.startsWith('backend:')) return true;
      const parsed = parseBackendResourceRef(rowTarget.slice('backend:'.length));
      const b = records.get(rowTarget);
      return !!parsed && readable({ ...parsed, owner: b?.ownerRef, entityRef: b?.entityRef });
    };
    res.json({ items: items.filter(i => mayRead(i.target)) });
  });

  router.get('/tracing', async (req, res) => {
    const credentials = await authz.authorizeAny(req, skywalkingBackendReadPermission);
    const entityRef = String(req.query.entityRef ?? '');
    if (!entityRef) throw new InputError('entityRef query parameter is required');
    if (!options.tracing) throw new ServiceUnavailableError('tracing is not configured in this portal');
    res.json(await options.tracing.getStatus(entityRef, credentials));
  });

  router.put('/tracing', async (req, res) => {
    const entityRef = req.body?.entityRef;
    if (typeof entityRef !== 'string' || !entityRef) throw new InputError('entityRef is required');
    if (typeof req.body?.enabled !== 'boolean') throw new InputError('enabled must be true or false');
    await audited(req, 'tracing-toggle', `entity:${entityRef}`, async (note, setActor) => {
      const credentials = await authz.authorize(req, skywalkingTracingTogglePermission, { resourceRef: entityRef, write: true });
      setActor(credentials);
      note({ enabled: req.body.enabled, backend: req.body.backend });
      if (!options.tracing) throw new ServiceUnavailableError('tracing is not configured in this portal');
      const result = await options.tracing.setTracing({ entityRef, enabled: req.body.enabled, backend: req.body.backend }, actorOf(credentials), credentials);
      res.json(result);
      // TracingService writes the toggle's /audit row itself (with what it changed)
    }, { projectSuccess: false });
  });

  router.get('/topology', async (req, res) => {
    const credentials = await authz.authorizeAny(req, skywalkingBackendReadPermission);
    const entityRef = String(req.query.entityRef ?? '');
    if (!entityRef) throw new InputError('entityRef query parameter is required');
    const to = req.query.to ? new Date(String(req.query.to)) : new Date();
    const from = req.query.from ? new Date(String(req.query.from)) : new Date(to.getTime() - 15 * 60_000);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new InputError('from and to must be ISO timestamps with from before to');
    }
    if (!options.topology) throw new ServiceUnavailableError('topology is not configured in this portal');
    res.json(await options.topology.getTopology({ entityRef, from, to }, credentials));
  });

  // field errors travel in the body so the UI and the scaffolder can show them
  router.use(((err, _req, res, next) => {
    if (err instanceof SpecValidationError || err instanceof BackupInputError) {
      res.status(400).json({ error: { name: 'InputError', message: err.message }, fields: err.fields });
      return;
    }
    // Backstage's error handler knows no 412
    if (err instanceof PreconditionFailedError) {
      res.status(412).json({ error: { name: err.name, message: err.message } });
      return;
    }
    // express.json()'s SyntaxError would be answered as is: named SyntaxError and echoing the whole body
    if (err?.type === 'entity.parse.failed') {
      next(new InputError(`Request body is not valid JSON: ${err.message}`));
      return;
    }
    next(err);
  }) as express.ErrorRequestHandler);

  return router;
}
