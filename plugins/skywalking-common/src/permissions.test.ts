import { isResourcePermission } from '@backstage/plugin-permission-common';
import { skywalkingPermissions, skywalkingTracingTogglePermission } from './permissions';

describe('skywalkingPermissions', () => {
  it('defines the five permissions with their actions', () => {
    expect(skywalkingPermissions.map(p => [p.name, p.attributes.action, (p as any).resourceType])).toEqual([
      ['skywalking.backend.read', 'read', undefined],
      ['skywalking.backend.create', 'create', undefined],
      ['skywalking.backend.update', 'update', undefined],
      ['skywalking.backend.delete', 'delete', undefined],
      ['skywalking.tracing.toggle', 'update', 'catalog-entity'],
    ]);
    expect(isResourcePermission(skywalkingTracingTogglePermission, 'catalog-entity')).toBe(true);
    expect(new Set(skywalkingPermissions.map(p => p.name)).size).toBe(5);
  });
});
