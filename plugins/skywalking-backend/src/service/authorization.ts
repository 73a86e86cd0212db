import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import { backendResourceRef, FieldError } from '@skywalking-backstage/plugin-skywalking-common';
import { Request } from 'express';
import { skywalkingBackendPermissionRules } from '../permissions/rules';
import { SkyWalkingBackendResource } from '../permissions/resource';

export interface AuthorizerOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo?: UserInfoService;
  /** service principals (subjects such as `plugin:scaffolder` or `external:ci`) that may write; none by default */
  trustedServices?: string[];
  /** a catalog entity's owner (spec.owner), read with the caller's credentials; undefined when there is no such entity */
  entityOwner?: (entityRef: string, credentials: BackstageCredentials) => Promise<{ owner?: string } | undefined>;
}

const conditionAuthorizer = createConditionAuthorizer<SkyWalkingBackendResource, unknown>(Object.values(skywalkingBackendPermissionRules));

/**
 * Who may do what: resource permissions decided on the backend they act on,
 * writes from users only (or configured trusted services), the caller's
 * ownership for the owner a create records.
 */
export function createAuthorizer(o: AuthorizerOptions) {
  const trusted = new Set(o.trustedServices ?? []);

  async function credentialsFor(req: Request, write: boolean): Promise<BackstageCredentials> {
    const credentials = await o.httpAuth.credentials(req, { allow: ['user', 'service'] });
    const p: any = credentials.principal;
    if (write && p.type === 'service' && !trusted.has(p.subject)) {
      // M7: a service token is not a person; writes need a user unless the portal names the service
      throw new NotAllowedError(`writes take a user's token; service ${p.subject} is not in skywalking.permissions.trustedServices`);
    }
    return credentials;
  }

  return {
    credentialsFor,

    /** ALLOW or throws NotAllowedError naming the permission (and the backend). */
    async authorize(req: Request, permission: BasicPermission | ResourcePermission, opts: { resourceRef?: string; write?: boolean; credentials?: BackstageCredentials } = {}) {
      const credentials = opts.credentials ?? (await credentialsFor(req, !!opts.write));
      const { resourceRef } = opts;
      const [decision] = await o.permissions.authorize(
        [resourceRef ? { permission: permission as ResourcePermission, resourceRef } : { permission: permission as BasicPermission }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(`Not allowed: ${permission.name}${resourceRef ? ` on ${resourceRef}` : ''}`);
      }
      return credentials;
    },

    /**
     * Which backends of a list the caller may read under a resource
     * permission: all when ALLOW, none (403) when DENY, those matching the
     * conditions otherwise (evaluated here with the plugin's rules, as the
     * catalog does).
     */
    async readFilter(req: Request, permission: ResourcePermission): Promise<(b: SkyWalkingBackendResource) => boolean> {
      const credentials = await credentialsFor(req, false);
      const [decision] = await o.permissions.authorizeConditional([{ permission }], { credentials });
      if (decision.result === AuthorizeResult.ALLOW) return () => true;
      if (decision.result === AuthorizeResult.DENY) throw new NotAllowedError(`Not allowed: ${permission.name}`);
      return b => conditionAuthorizer(decision, b);
    },

    /** Whether any read is possible at all (for lists that are not of backends: clusters, audit, topology). */
    async authorizeAny(req: Request, permission: ResourcePermission) {
      const credentials = await credentialsFor(req, false);
      const [decision] = await o.permissions.authorizeConditional([{ permission }], { credentials });
      if (decision.result === AuthorizeResult.DENY) throw new NotAllowedError(`Not allowed: ${permission.name}`);
      return credentials;
    },

    /**
     * M4: the owner and entityRef a create or restore records must be among
     * the caller's ownership refs (a user), so nobody makes a backend
     * another team's. Trusted services may record any owner.
     */
    async ownershipErrors(credentials: BackstageCredentials, body: { owner?: unknown; entityRef?: unknown }): Promise<FieldError[]> {
      const errors: FieldError[] = [];
      const given = (['owner', 'entityRef'] as const).filter(k => body[k] !== undefined && body[k] !== null && body[k] !== '');
      for (const k of given) {
        const v = body[k];
        if (typeof v !== 'string' || v.length > 255 || !/^[A-Za-z0-9_.-]+:([A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]+$/.test(v)) {
          errors.push({ path: k, message: `${JSON.stringify(v)} is not an entity ref such as group:default/team-a` });
        }
      }
      const p: any = credentials.principal;
      if (errors.length || !given.length || p.type !== 'user') return errors;
      const refs = o.userInfo ? (await o.userInfo.getUserInfo(credentials)).ownershipEntityRefs : [p.userEntityRef];
      const mine = new Set(refs.map(r => r.toLocaleLowerCase('en-US')));
      const owner = typeof body.owner === 'string' && body.owner ? body.owner : undefined;
      if (owner && !mine.has(owner.toLocaleLowerCase('en-US'))) {
        errors.push({ path: 'owner', message: `${owner} is not among your ownership refs (${refs.join(', ')}): a backend can only be recorded as owned by you or your groups` });
      }
      const entityRef = typeof body.entityRef === 'string' && body.entityRef ? body.entityRef : undefined;
      if (entityRef && !mine.has(entityRef.toLocaleLowerCase('en-US'))) {
        // the catalog entity standing for the backend: new (the catalog module registers it), or one of yours
        const entity = o.entityOwner ? await o.entityOwner(entityRef, credentials) : { owner: undefined };
        if (entity && !(entity.owner && mine.has(entity.owner.toLocaleLowerCase('en-US')))) {
          errors.push({ path: 'entityRef', message: `${entityRef} exists and is not owned by you or your groups${entity.owner ? ` (its owner is ${entity.owner})` : ''}` });
        }
      }
      return errors;
    },
  };
}

export type Authorizer = ReturnType<typeof createAuthorizer>;

export { backendResourceRef };
