/**
 * Answers "may this caller act on that namespace?" for the REST API and the
 * tracing toggle, from `skywalking.tenancy` (pure model in -common) and, where
 * namespaceOwner is on, the owner annotation of the live Namespace.
 *
 * A caller's refs are its Backstage ownership refs (user principals only: a
 * service principal owns nothing) plus the catalog Systems they own. The
 * periodic tracing reconcile has no caller: it asks for the refs of the user
 * who last toggled (read from the catalog: the user and its memberOf groups)
 * and for the entity's current owner.
 */
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  decideTenancy,
  mappedClusters,
  mappedSystems,
  namespaceOwnerApplies,
  NamespaceMeta,
  normalizeRef,
  readTenancyConfig,
  TenancyConfig,
  TenancyDecision,
} from '@skywalking-backstage/plugin-skywalking-common';

export interface TenancyCatalog {
  getEntityByRef(ref: string, options: { credentials: BackstageCredentials }): Promise<Entity | undefined>;
}

export interface TenancyServiceOptions {
  /** the parsed `skywalking.tenancy`; undefined: nothing is mapped to anyone */
  config: TenancyConfig | undefined;
  /** Backstage's UserInfoService */
  userInfo: { getUserInfo(credentials: BackstageCredentials): Promise<{ userEntityRef: string; ownershipEntityRefs: string[] }> };
  catalog: TenancyCatalog;
  auth: { getOwnServiceCredentials(): Promise<BackstageCredentials> };
  /** the live Namespace's labels and annotations, undefined when it does not exist */
  readNamespace: (cluster: string, namespace: string) => Promise<NamespaceMeta | undefined>;
  logger?: LoggerService;
}

/** The tenancy check the REST API's lifecycle routes make (one line each). */
export interface TenancyGuard {
  assertMayAct(credentials: BackstageCredentials, cluster: string, namespace: string): Promise<void>;
}

/** A 403 that names the namespace and why it is not the caller's. */
export class TenancyDeniedError extends NotAllowedError {}

const ownerOf = (e: Entity | undefined): string | undefined => {
  const rel = e?.relations?.find(r => r.type === 'ownedBy')?.targetRef;
  const spec = (e?.spec as { owner?: unknown } | undefined)?.owner;
  return rel ?? (typeof spec === 'string' ? normalizeRef(spec, 'group') : undefined);
};

export class TenancyService implements TenancyGuard {
  constructor(private readonly o: TenancyServiceOptions) {}

  /** Reads and checks `skywalking.tenancy`; a malformed mapping stops the plugin with every field named. */
  static fromConfig(config: { getOptional(key: string): unknown }, deps: Omit<TenancyServiceOptions, 'config'>): TenancyService {
    const { config: tenancy, errors } = readTenancyConfig(config.getOptional('skywalking.tenancy'));
    if (errors.length) throw new Error(`invalid skywalking.tenancy: ${errors.map(e => `${e.path}: ${e.message}`).join('; ')}`);
    if (!tenancy) deps.logger?.warn('skywalking.tenancy is not configured: every action on a cluster namespace is refused (see the README, Security)');
    return new TenancyService({ ...deps, config: tenancy });
  }

  get configured(): boolean {
    return Boolean(this.o.config);
  }

  /** `refs` plus the mapped catalog Systems one of them owns. */
  async withOwnedSystems(refs: readonly string[]): Promise<string[]> {
    const own = new Set(refs.map(r => normalizeRef(r) ?? r));
    const systems = mappedSystems(this.o.config);
    if (!systems.length) return [...own];
    const credentials = await this.o.auth.getOwnServiceCredentials();
    const owned = await Promise.all(
      systems.map(async s => {
        const owner = ownerOf(await this.o.catalog.getEntityByRef(s, { credentials }).catch(() => undefined));
        return owner && own.has(owner.toLowerCase()) ? s : undefined;
      }),
    );
    return [...own, ...owned.filter((s): s is string => Boolean(s))];
  }

  /** The caller's subject refs: ownership refs of a user principal (none for services) and owned Systems. */
  async callerRefs(credentials: BackstageCredentials): Promise<string[]> {
    if ((credentials.principal as { type?: string })?.type !== 'user') return [];
    const info = await this.o.userInfo.getUserInfo(credentials);
    return this.withOwnedSystems([info.userEntityRef, ...info.ownershipEntityRefs]);
  }

  /** A user's subject refs from the catalog (for work without a caller: the reconcile). */
  async userRefs(userRef: string): Promise<string[]> {
    const ref = normalizeRef(userRef, 'user');
    if (!ref || !ref.startsWith('user:')) return [];
    const credentials = await this.o.auth.getOwnServiceCredentials();
    const user = await this.o.catalog.getEntityByRef(ref, { credentials });
    if (!user) return [];
    const groups = (user.relations ?? []).filter(r => r.type === 'memberOf').map(r => r.targetRef);
    return this.withOwnedSystems([ref, ...groups]);
  }

  /** An entity owner's subject refs (its owner and the Systems that owner owns). */
  async entityOwnerRefs(entity: Entity): Promise<string[]> {
    const owner = ownerOf(entity);
    return owner ? this.withOwnedSystems([owner]) : [];
  }

  /** The configured clusters these refs have any mapping in. */
  clustersFor(refs: readonly string[], configured: readonly string[]): string[] {
    return mappedClusters(this.o.config, refs, configured);
  }

  /**
   * The decision for one namespace. The live Namespace is read only where
   * its owner annotation counts (and `meta` was not given).
   */
  async allowed(refs: readonly string[], cluster: string, namespace: string, meta?: NamespaceMeta): Promise<TenancyDecision> {
    const first = decideTenancy(this.o.config, refs, cluster, namespace);
    if (first.allowed || !namespaceOwnerApplies(this.o.config, cluster)) return first;
    const live = meta ?? (await this.o.readNamespace(cluster, namespace));
    return decideTenancy(this.o.config, refs, cluster, namespace, live);
  }

  async assertMayAct(credentials: BackstageCredentials, cluster: string, namespace: string): Promise<void> {
    const refs = await this.callerRefs(credentials);
    const d = await this.allowed(refs, cluster, namespace);
    if (!d.allowed) {
      const who = (credentials.principal as { type?: string })?.type === 'user' ? '' : ' (a service principal owns no namespace)';
      throw new TenancyDeniedError(`Not allowed in namespace ${namespace} of cluster ${cluster}: ${d.reason}${who}`);
    }
  }
}
