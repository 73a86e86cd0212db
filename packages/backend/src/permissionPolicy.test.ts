import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  skywalkingBackendDeletePermission,
  skywalkingTracingTogglePermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingDemoPolicy } from './permissionPolicy';

const user = {
  info: { userEntityRef: 'user:default/guest', ownershipEntityRefs: ['user:default/guest', 'group:default/guests'] },
  credentials: {} as any,
};

describe('SkyWalkingDemoPolicy', () => {
  it('grants the tracing toggle only on entities the user owns (catalog isEntityOwner condition)', async () => {
    const d: any = await new SkyWalkingDemoPolicy().handle({ permission: skywalkingTracingTogglePermission }, user);
    expect(d.result).toBe(AuthorizeResult.CONDITIONAL);
    expect(d.pluginId).toBe('catalog');
    expect(d.resourceType).toBe('catalog-entity');
    expect(d.conditions).toMatchObject({
      rule: 'IS_ENTITY_OWNER',
      params: { claims: ['user:default/guest', 'group:default/guests'] },
    });
  });

  it('allows everything else in the demo', async () => {
    const d = await new SkyWalkingDemoPolicy().handle({ permission: skywalkingBackendDeletePermission }, user);
    expect(d.result).toBe(AuthorizeResult.ALLOW);
  });
});
