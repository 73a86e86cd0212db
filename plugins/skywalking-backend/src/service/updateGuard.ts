import { createHash } from 'node:crypto';
import { ConflictError, CustomErrorBase } from '@backstage/errors';
import { BackendRef } from '@skywalking-backstage/plugin-skywalking-common';
import { upgradeInProgress, upgradeOf } from '../engine/upgrade';
import { UpgradeInputError } from './upgradeInputError';

/**
 * The rules of a full replace (PUT /backends/…), M8: it applies only to the
 * spec the caller read (If-Match against the ETag of GET), never while an
 * upgrade is under way, and never changes a version: that is an upgrade,
 * with its order, readiness checks, rollback and downgrade rule.
 */

/** The caller's If-Match names a spec that is no longer the live one (412). */
export class PreconditionFailedError extends CustomErrorBase {
  name = 'PreconditionFailedError' as const;
  /** an answer, not an outage: a queued update refused this way counts as an attempt (answeredByApiServer) */
  readonly statusCode = 412;
}

export interface UpdateOptions {
  /** the If-Match header: the update applies only while the backend's spec has this ETag (or any, `*`) */
  ifMatch?: string;
}

/** JSON with object keys sorted, so equal specs hash alike whatever order the API server keeps. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.sort(([a], [b]) => Number(a > b) - Number(a < b)).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * ETag of a backend: a hash of its spec as GET shows it (not the
 * resourceVersion, which every status write of the operator changes).
 */
export function specETag(spec: unknown): string {
  return `"${createHash('sha256').update(canonical(spec)).digest('base64url').slice(0, 32)}"`;
}

/** If-Match (RFC 9110 13.1.1): absent or `*` matches an existing backend; else one of the listed strong ETags must. */
export function ifMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined || header.trim() === '*') return true;
  return header.split(',').some(t => t.trim() === etag);
}

/** Where a component's version is in the spec. */
const VERSION_PATH: Record<string, string> = { OAPServer: 'version', UI: 'version', BanyanDB: 'storage.banyandb.version' };

type Obj = { kind?: string; spec?: any; metadata?: any };

/**
 * Throws when an update may not apply: 412 (If-Match), 409 (an upgrade under
 * way), 400 naming the field (a version change of OAP, UI or BanyanDB, which
 * goes through POST …/upgrade).
 */
export function assertUpdateAllowed(o: {
  ref: BackendRef;
  /** the live custom objects of the backend */
  live: { oap: Obj; ui?: Obj; banyandb?: Obj };
  /** what the update would apply */
  objects: Obj[];
  ifMatch?: string;
  /** ETag of the live spec, computed only when If-Match asks for it */
  etag: () => string;
}) {
  const { ref, live } = o;
  const where = `${ref.namespace}/${ref.name} in cluster ${ref.cluster}`;
  if (o.ifMatch !== undefined && !ifMatchHolds(o.ifMatch, o.etag())) {
    throw new PreconditionFailedError(`backend ${where} changed since it was read (If-Match ${o.ifMatch} is not its ETag ${o.etag()}): read it again and send the update with the new ETag`);
  }
  const upgrade = upgradeOf(live.oap);
  if (upgrade && upgradeInProgress(upgrade)) {
    throw new ConflictError(`backend ${where} is being upgraded to ${upgrade.version} (${upgrade.phase}); update it once the upgrade succeeded or was rolled back`);
  }
  const running: Record<string, Obj | undefined> = { OAPServer: live.oap, UI: live.ui, BanyanDB: live.banyandb };
  for (const kind of ['OAPServer', 'BanyanDB', 'UI']) {
    const was = running[kind]?.spec?.version;
    const wanted = o.objects.find(x => x.kind === kind)?.spec?.version;
    if (was === undefined || wanted === undefined || was === wanted) continue;
    const option = kind === 'BanyanDB' ? `{ "version": "${live.oap.spec?.version}", "storageVersion": "${wanted}" }` : `{ "version": "${wanted}" }`;
    throw new UpgradeInputError(
      VERSION_PATH[kind],
      `${kind} runs ${was}: a PUT keeps the running version (send "${was}"); change it with POST /backends/${ref.cluster}/${ref.namespace}/${ref.name}/upgrade ${option} (with "allowDowngrade": true for an older one)`,
    );
  }
}
