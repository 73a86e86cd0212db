import { ConflictError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import {
  BackendRef,
  backendResourceRef,
  FieldError,
  isBackupTimeDir,
  isSnapshotName,
  skywalkingBackendBackupPermission,
  skywalkingBackendCreatePermission,
  skywalkingBackendReadPermission,
  skywalkingBackendRestorePermission,
  skywalkingBackendRoverPermission,
  validateSpecPolicy,
} from '@skywalking-backstage/plugin-skywalking-common';
import { Router } from 'express';
import { BackupOperations } from './BackupService';
import { actorOf } from './audit';
import { DNS1123_LABEL, refFrom, RouteContext, SpecValidationError } from './routerContext';

/** BanyanDB backups and restores (BackupService): list, start, restore in place or into a new backend. */
export function backupRoutes(router: Router, ctx: RouteContext) {
  const { options, policy, authz, audited, authorizeOn, target, mayAct } = ctx;
  const { store, backends } = options;

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
}
