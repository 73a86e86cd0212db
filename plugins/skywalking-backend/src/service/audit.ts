import { AuditorService, BackstageCredentials, HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { redactSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { Request } from 'express';
import { SkyWalkingStore } from '../database/SkyWalkingStore';

/** The actor of a request as the audit names it. */
export function actorOf(credentials: BackstageCredentials | undefined): string {
  const p: any = credentials?.principal;
  if (p?.type === 'user') return p.userEntityRef;
  if (p?.type === 'service') return `service:${p.subject}`;
  return 'unknown';
}

export interface AuditTrailOptions {
  auditor?: AuditorService;
  store: Pick<SkyWalkingStore, 'appendAudit'>;
  logger: LoggerService;
  /** to name the actor of a denied request too */
  httpAuth?: HttpAuthService;
  /** env names whose literal values may be shown (the rest is redacted) */
  safeEnvNames?: string[];
}

/**
 * Every write of the API as one audit event of coreServices.auditor: opened
 * before anything is checked or written (so an event exists for the write
 * even if the process dies during it), closed as success or as failure with
 * the reason, denials included. The portal's own `/audit` table keeps a
 * projection for the backends page, with the same redaction.
 */
export function createAuditTrail(o: AuditTrailOptions) {
  const redact = (v: unknown) => redactSpec(v, o.safeEnvNames) as any;
  return async function audited<T>(
    req: Request,
    action: string,
    target: string,
    run: (note: (details: Record<string, unknown>) => void, setActor: (c: BackstageCredentials) => void) => Promise<T>,
    /** false: the operation writes its own /audit row on success (the tracing toggle) */
    opts: { projectSuccess?: boolean } = {},
  ): Promise<T> {
    const event = await o.auditor?.createEvent({
      eventId: `backend-${action}`,
      severityLevel: action === 'delete' || action === 'restore' ? 'high' : 'medium',
      request: req,
      meta: { action, target },
    });
    let details: Record<string, unknown> = {};
    let actor = o.httpAuth ? actorOf(await o.httpAuth.credentials(req, { allow: ['user', 'service'] }).catch(() => undefined)) : 'unknown';
    const note = (d: Record<string, unknown>) => {
      details = { ...details, ...redact(d) };
    };
    try {
      const result = await run(note, c => {
        actor = actorOf(c);
      });
      await event?.success({ meta: { action, target, ...(details as JsonObject) } });
      // the projection must not turn a done write into an error answer
      if (opts.projectSuccess !== false) {
        await o.store.appendAudit({ actor, action, target, details }).catch(err => o.logger.warn(`audit row for ${action} ${target} not written: ${err}`));
      }
      o.logger.info(`${action} ${target} by ${actor}`, { action, target, actor });
      return result;
    } catch (e: any) {
      const error = e instanceof Error ? e : new Error(String(e));
      const outcome = e instanceof NotAllowedError ? 'denied' : 'failed';
      await event?.fail({ error, meta: { action, target, outcome, reason: error.message, ...(details as JsonObject) } });
      // the backends page's table shows denials and failures beside the writes; refused input (400) is in the auditor's log only
      if (!(e instanceof InputError)) {
        await o.store
          .appendAudit({ actor, action, target, details: { ...details, outcome, error: error.message } })
          .catch(err => o.logger.warn(`audit row for ${action} ${target} not written: ${err}`));
      }
      throw e;
    }
  };
}
