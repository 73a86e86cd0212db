import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { createPermissionIntegrationRouter } from '@backstage/plugin-permission-node';
import {
  BackendRef,
  backendResourceRef,
  FieldError,
  isBackupTimeDir,
  isSnapshotName,
  OAP_SCALE_ROLES,
  skywalkingBackendBackupPermission,
  skywalkingBackendCreatePermission,
  skywalkingBackendDeletePermission,
  skywalkingBackendReadPermission,
  skywalkingBackendUpdatePermission,
  skywalkingPermissions,
  skywalkingTracingTogglePermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackupInputError, BackupOperations } from './BackupService';
import { BackendOperations } from './types';
import { ScaleInputError } from './scaling';
import { UpgradeInputError } from './BackendService';
import { validateUpgradeRequest } from '../engine/upgrade';

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

function actorOf(credentials: BackstageCredentials): string {
  const p: any = credentials.principal;
  if (p?.type === 'user') return p.userEntityRef;
  if (p?.type === 'service') return `service:${p.subject}`;
  return 'unknown';
}

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { httpAuth, permissions, store, backends, logger } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  router.use(createPermissionIntegrationRouter({ permissions: skywalkingPermissions }));

  async function authorize(
    req: Request,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ) {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const [decision] = await permissions.authorize(
      [resourceRef ? { permission: permission as ResourcePermission, resourceRef } : { permission: permission as BasicPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}${resourceRef ? ` on ${resourceRef}` : ''}`);
    }
    return credentials;
  }

  async function audit(actor: string, action: string, target: string, details: Record<string, unknown>) {
    await store.appendAudit({ actor, action, target, details });
    logger.info(`${action} ${target} by ${actor}`, { action, target, actor });
  }

  const target = (r: BackendRef) => `backend:${r.cluster}/${r.namespace}/${r.name}`;

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/clusters', async (req, res) => {
    await authorize(req, skywalkingBackendReadPermission);
    res.json({ items: await backends.listClusters() });
  });

  router.get('/clusters/:cluster/namespaces', async (req, res) => {
    await authorize(req, skywalkingBackendReadPermission);
    res.json({ items: await backends.listNamespaces(req.params.cluster) });
  });

  router.get('/backends', async (req, res) => {
    await authorize(req, skywalkingBackendReadPermission);
    const [items, owners] = await Promise.all([backends.list(), store.listBackends()]);
    const byKey = new Map(owners.map(o => [`${o.cluster}/${o.namespace}/${o.name}`, o]));
    res.json({
      items: items.map(b => {
        const o = byKey.get(`${b.cluster}/${b.namespace}/${b.name}`);
        return { ...b, owner: o?.ownerRef ?? b.owner, entityRef: o?.entityRef ?? b.entityRef };
      }),
    });
  });

  router.get('/backends/:cluster/:namespace/:name', async (req, res) => {
    await authorize(req, skywalkingBackendReadPermission);
    const ref = refFrom(req);
    const detail = await backends.get(ref);
    const o = (await store.listBackends()).find(
      x => x.cluster === ref.cluster && x.namespace === ref.namespace && x.name === ref.name,
    );
    res.json({ ...detail, owner: o?.ownerRef ?? detail.owner, entityRef: o?.entityRef ?? detail.entityRef });
  });

  router.post('/backends', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendCreatePermission);
    const spec = req.body?.spec ?? req.body;
    const errors = options.validateBackendSpec(spec);
    if (errors.length) throw new SpecValidationError(errors);
    const actor = actorOf(credentials);
    const result = await backends.create(spec, actor);
    const ref = { cluster: spec.cluster, namespace: spec.namespace, name: spec.name };
    await store.recordBackend({
      ...ref,
      ownerRef: req.body?.owner ?? spec.owner,
      entityRef: req.body?.entityRef,
      createdBy: actor,
    });
    await audit(actor, 'create', target(ref), { spec, queued: result.queued });
    res.status(result.queued ? 202 : 201).json(result);
  });

  router.put('/backends/:cluster/:namespace/:name', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendUpdatePermission);
    const ref = refFrom(req);
    const spec = { ...(req.body?.spec ?? req.body), ...ref };
    const errors = options.validateBackendSpec(spec);
    if (errors.length) throw new SpecValidationError(errors);
    const actor = actorOf(credentials);
    const result = await backends.update(ref, spec, actor);
    await audit(actor, 'update', target(ref), { spec, queued: result.queued });
    res.status(result.queued ? 202 : 200).json(result);
  });

  router.post('/backends/:cluster/:namespace/:name/scale', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendUpdatePermission);
    const ref = refFrom(req);
    const replicas = req.body?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100) {
      throw new SpecValidationError([{ path: 'replicas', message: 'must be an integer from 0 to 100' }]);
    }
    const role = req.body?.role;
    if (role !== undefined && !OAP_SCALE_ROLES.includes(role)) {
      throw new SpecValidationError([{ path: 'role', message: `must be ${OAP_SCALE_ROLES.join(' or ')} (scales that role of a backend with role split)` }]);
    }
    const actor = actorOf(credentials);
    // a role without role split: 400 with the field; replicas an HPA owns: 409 (scaling.ts)
    const result = await (role === undefined ? backends.scale(ref, replicas, actor) : backends.scale(ref, replicas, actor, role)).catch(e => {
      throw e instanceof ScaleInputError ? new SpecValidationError([{ path: e.path, message: e.detail }]) : e;
    });
    await audit(actor, 'scale', target(ref), { replicas, ...(role !== undefined ? { role } : {}), queued: result.queued });
    res.status(result.queued ? 202 : 200).json(result);
  });

  for (const action of ['pause', 'resume'] as const) {
    router.post(`/backends/:cluster/:namespace/:name/${action}`, async (req, res) => {
      const credentials = await authorize(req, skywalkingBackendUpdatePermission);
      const ref = refFrom(req);
      const actor = actorOf(credentials);
      const result = await backends[action](ref, actor);
      await audit(actor, action, target(ref), { queued: result.queued });
      res.status(result.queued ? 202 : 200).json(result);
    });
  }

  router.post('/backends/:cluster/:namespace/:name/upgrade', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendUpdatePermission);
    const ref = refFrom(req);
    const { version, storageVersion, deadlineSeconds, allowDowngrade } = req.body ?? {};
    // semantic versions, deadline of at least 30 s (engine/upgrade.ts), then the spec's own version rules
    const upgradeErrors = validateUpgradeRequest(req.body);
    if (upgradeErrors.length) throw new SpecValidationError(upgradeErrors);
    const errors = options.validateBackendSpec({ ...ref, version, __versionOnly: true });
    const versionErrors = errors.filter(e => e.path === 'version' || e.path.endsWith('.version'));
    if (versionErrors.length) throw new SpecValidationError(versionErrors);
    const actor = actorOf(credentials);
    const upgradeOptions = { storageVersion, deadlineSeconds, allowDowngrade };
    const result = await backends.upgrade(ref, version, actor, upgradeOptions).catch(e => {
      // a downgrade without allowDowngrade: 400 with the field
      throw e instanceof UpgradeInputError ? new SpecValidationError([{ path: e.path, message: e.detail }]) : e;
    });
    await audit(actor, 'upgrade', target(ref), { version, ...upgradeOptions, queued: result.queued });
    res.status(result.queued ? 202 : 200).json(result);
  });

  router.delete('/backends/:cluster/:namespace/:name', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendDeletePermission);
    const ref = refFrom(req);
    const actor = actorOf(credentials);
    const result = await backends.delete(ref, actor);
    if (!result.queued) await store.removeBackend(ref);
    await audit(actor, 'delete', target(ref), { queued: result.queued });
    res.status(result.queued ? 202 : 200).json(result);
  });

  // ---------------------------------------------------------------- backups

  function backupsOrUnavailable(): BackupOperations {
    if (!options.backups) throw new ServiceUnavailableError('backups are not configured in this portal');
    return options.backups;
  }

  router.get('/backends/:cluster/:namespace/:name/backups', async (req, res) => {
    await authorize(req, skywalkingBackendReadPermission);
    const ref = refFrom(req);
    res.json(await backupsOrUnavailable().listBackups(ref));
  });

  router.post('/backends/:cluster/:namespace/:name/backups', async (req, res) => {
    const ref = refFrom(req);
    const credentials = await authorize(req, skywalkingBackendBackupPermission, backendResourceRef(ref));
    const actor = actorOf(credentials);
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new SpecValidationError([{ path: '', message: 'body must be an object such as {} or { "target": { "pvc": { "claimName": "…" } } }' }]);
    try {
      const run = await backupsOrUnavailable().startBackup(ref, { target: body.target }, actor);
      await audit(actor, 'backup', target(ref), { job: run.name, backup: run.backup, destination: run.target });
      res.status(201).json(run);
    } catch (e: any) {
      // refused requests are audited too: who tried to back up what
      await audit(actor, 'backup', target(ref), { error: e?.message ?? String(e) });
      throw e;
    }
  });

  router.post('/backends/:cluster/:namespace/:name/restore', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendCreatePermission);
    const ref = refFrom(req);
    const actor = actorOf(credentials);
    const body = req.body ?? {};
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
    if (errors.length) throw new SpecValidationError(errors);
    try {
      const result = await backupsOrUnavailable().restore(ref, { backup: body.backup, from: body.from, target: body.target, spec: body.spec }, actor);
      if (result.created) {
        await store.recordBackend({ ...ref, ownerRef: body.owner ?? result.spec?.owner, entityRef: body.entityRef, createdBy: actor });
      }
      await audit(actor, 'restore', target(ref), { backup: body.backup, from: body.from ?? ref, restore: result.restore, created: result.created, queued: result.queued });
      res.status(result.queued ? 202 : 201).json(result);
    } catch (e: any) {
      await audit(actor, 'restore', target(ref), { backup: body.backup, from: body.from ?? ref, error: e?.message ?? String(e) });
      throw e;
    }
  });

  router.get('/audit', async (req, res) => {
    await authorize(req, skywalkingBackendReadPermission);
    const t = typeof req.query.target === 'string' ? req.query.target : undefined;
    // a negative or non-numeric limit reached the database as is (a 500)
    const raw = req.query.limit;
    if (raw !== undefined && (typeof raw !== 'string' || !/^[0-9]{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 500)) {
      throw new SpecValidationError([{ path: 'limit', message: `${JSON.stringify(raw)} is not an integer from 1 to 500` }]);
    }
    res.json({ items: await store.listAudit({ target: t, limit: raw === undefined ? 50 : Number(raw) }) });
  });

  router.get('/tracing', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendReadPermission);
    const entityRef = String(req.query.entityRef ?? '');
    if (!entityRef) throw new InputError('entityRef query parameter is required');
    if (!options.tracing) throw new ServiceUnavailableError('tracing is not configured in this portal');
    res.json(await options.tracing.getStatus(entityRef, credentials));
  });

  router.put('/tracing', async (req, res) => {
    const entityRef = req.body?.entityRef;
    if (typeof entityRef !== 'string' || !entityRef) throw new InputError('entityRef is required');
    if (typeof req.body?.enabled !== 'boolean') throw new InputError('enabled must be true or false');
    const credentials = await authorize(req, skywalkingTracingTogglePermission, entityRef);
    if (!options.tracing) throw new ServiceUnavailableError('tracing is not configured in this portal');
    const actor = actorOf(credentials);
    const result = await options.tracing.setTracing(
      { entityRef, enabled: req.body.enabled, backend: req.body.backend },
      actor,
      credentials,
    );
    res.json(result);
  });

  router.get('/topology', async (req, res) => {
    const credentials = await authorize(req, skywalkingBackendReadPermission);
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
    // express.json()'s SyntaxError would be answered as is: named SyntaxError and echoing the whole body
    if (err?.type === 'entity.parse.failed') {
      next(new InputError(`Request body is not valid JSON: ${err.message}`));
      return;
    }
    next(err);
  }) as express.ErrorRequestHandler);

  return router;
}
