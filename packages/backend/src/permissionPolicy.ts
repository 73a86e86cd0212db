import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { skywalkingTracingTogglePermission } from '@skywalking-backstage/plugin-skywalking-common';

/**
 * The demo portal's policy: everything is allowed, except that tracing for a
 * catalog entity may only be toggled by the entity's owners. Replace it with
 * your organisation's policy (see the README's "Permissions" section for a
 * stricter example that also limits backend deletion to platform admins).
 */
export class SkyWalkingDemoPolicy implements PermissionPolicy {
  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (isPermission(request.permission, skywalkingTracingTogglePermission)) {
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({
          claims: user?.info.ownershipEntityRefs ?? [],
        }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export const skywalkingDemoPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'skywalking-demo-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new SkyWalkingDemoPolicy());
      },
    });
  },
});
