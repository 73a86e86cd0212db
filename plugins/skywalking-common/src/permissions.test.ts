import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  backendResourceRef,
  parseBackendResourceRef,
  skywalkingBackendBackupPermission,
  skywalkingPermissions,
  skywalkingTracingTogglePermission,
} from './permissions';

describe('skywalkingPermissions', () => {
  it('defines the permissions with their actions; every per-backend one is a skywalking-backend resource permission', () => {
    expect(skywalkingPermissions.map(p => [p.name, p.attributes.action, (p as any).resourceType])).toEqual([
      ['skywalking.backend.read', 'read', 'skywalking-backend'],
      ['skywalking.backend.create', 'create', undefined],
      ['skywalking.backend.update', 'update', 'skywalking-backend'],
      ['skywalking.backend.delete', 'delete', 'skywalking-backend'],
      ['skywalking.tracing.toggle', 'update', 'catalog-entity'],
      ['skywalking.backend.backup', 'update', 'skywalking-backend'],
      ['skywalking.backend.restore', 'update', 'skywalking-backend'],
      ['skywalking.backend.rover', 'update', undefined],
    ]);
    expect(isResourcePermission(skywalkingBackendBackupPermission, 'skywalking-backend')).toBe(true);
    expect(isResourcePermission(skywalkingTracingTogglePermission, 'catalog-entity')).toBe(true);
    expect(new Set(skywalkingPermissions.map(p => p.name)).size).toBe(8);
  });

  it('round-trips a backend resourceRef and refuses refs that are not cluster/namespace/name', () => {
    const ref = { cluster: 'local', namespace: 'team-a', name: 'tracing' };
    expect(parseBackendResourceRef(backendResourceRef(ref))).toEqual(ref);
    for (const bad of ['', 'a/b', 'a/b/c/d', 'a//c', '/b/c']) expect(parseBackendResourceRef(bad)).toBeUndefined();
  });
});
