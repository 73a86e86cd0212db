import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  BackendRef,
  backendResourceRef,
  defaultSpecPolicy,
  FieldError,
  redactSpec,
  skywalkingBackendRoverPermission,
  skywalkingBackendUpdatePermission,
  SpecPolicy,
  validateSpecPolicy,
} from '@skywalking-backstage/plugin-skywalking-common';
import { Request } from 'express';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackupOperations } from './BackupService';
import { BackendOperations } from './types';
import { createAuthorizer } from './authorization';
import { createAuditTrail } from './audit';
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

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The backend a route's path names; a 400 naming the field when a part is not a DNS-1123 label. */
export function refFrom(req: Request): BackendRef {
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

/** What every group of routes shares: the options, the authorizer, the audit trail and the checks built on them. */
export function createRouteContext(options: RouterOptions) {
  const { httpAuth, permissions, store, logger } = options;
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

  return { options, policy, authz, audited, redact, authorizeOn, checkSpec, target, mayAct };
}

export type RouteContext = ReturnType<typeof createRouteContext>;
