import { isResourcePermission } from '@backstage/plugin-permission-common';
import { skywalkingBackendBackupPermission, skywalkingPermissions, skywalkingTracingTogglePermission } from './permissions';

describe('skywalkingPermissions', () => {
  it('defines the six permissions with their actions', () => {
    expect(skywalkingPermissions.map(p => [p.name, p.attributes.action, (p as any).resourceType])).toEqual([
      ['skywalking.backend.read', 'read', undefined],
      ['skywalking.backend.create', 'create', undefined],
      ['skywalking.backend.update', 'update', undefined],
      ['skywalking.backend.delete', 'delete', undefined],
      ['skywalking.tracing.toggle', 'update', 'catalog-entity'],
      ['skywalking.backend.backup', 'update', 'skywalking-backend'],
    ]);
    expect(isResourcePermission(skywalkingBackendBackupPermission, 'skywalking-backend')).toBe(true);
    expect(isResourcePermission(skywalkingTracingTogglePermission, 'catalog-entity')).toBe(true);
    expect(new Set(skywalkingPermissions.map(p => p.name)).size).toBe(6);
  });
});
