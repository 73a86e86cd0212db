import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { backendResourceRef, parseBackendResourceRef, skywalkingBackendReadPermission, skywalkingTracingTogglePermission } from '@skywalking-backstage/plugin-skywalking-common';
import express from 'express';
import Router from 'express-promise-router';
import { BackupInputError } from './BackupService';
import { PreconditionFailedError } from './updateGuard';
import { limitBodyDepth } from './jsonDepth';
import { actorOf } from './audit';
import { createRouteContext, RouterOptions, SpecValidationError } from './routerContext';
import { backendRoutes } from './backendRoutes';
import { backupRoutes } from './backupRoutes';

export { SpecValidationError } from './routerContext';
export type { RouterOptions, TopologyOperations, TracingOperations } from './routerContext';

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { store, backends } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  // a body nested thousands of levels deep overflowed a validator's stack (a 500)
  router.use(limitBodyDepth());
  const ctx = createRouteContext(options);
  const { authz, audited } = ctx;

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

  // the backends and their lifecycle (backendRoutes.ts), backups and restores (backupRoutes.ts)
  backendRoutes(router, ctx);
  backupRoutes(router, ctx);

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
