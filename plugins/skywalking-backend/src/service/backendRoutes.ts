import { NotFoundError } from '@backstage/errors';
import {
  backendResourceRef,
  OAP_SCALE_ROLES,
  skywalkingBackendCreatePermission,
  skywalkingBackendDeletePermission,
  skywalkingBackendReadPermission,
  skywalkingBackendUpdatePermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import { Router } from 'express';
import { ScaleInputError } from './scaling';
import { UpgradeInputError } from './upgradeInputError';
import { specETag } from './updateGuard';
import { validateUpgradeRequest } from '../engine/upgrade';
import { actorOf } from './audit';
import { refFrom, RouteContext, SpecValidationError } from './routerContext';

/** The backends and their lifecycle: list, read, create, update, scale, retry, pause, resume, upgrade, delete. */
export function backendRoutes(router: Router, ctx: RouteContext) {
  const { options, authz, audited, redact, authorizeOn, checkSpec, target, mayAct } = ctx;
  const { store, backends } = options;

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
}
