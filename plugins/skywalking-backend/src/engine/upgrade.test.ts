import { CustomObject } from '@skywalking-backstage/plugin-skywalking-common';
import { compareVersions, newUpgradeRecord, notRolled, UPGRADE_ANNOTATION, upgradeConditions, upgradeRefusal, validateUpgradeRequest } from './upgrade';

const now = new Date('2026-01-01T00:00:00Z');
const oap = (version: string, record?: unknown): CustomObject => ({
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind: 'OAPServer',
  metadata: { name: 'demo', namespace: 'sw', ...(record ? { annotations: { [UPGRADE_ANNOTATION]: JSON.stringify(record) } } : {}) },
  spec: { version },
});

describe('upgrade request', () => {
  it('orders semantic versions, pre-releases before their release', () => {
    expect(compareVersions('10.2.0', '10.10.0')).toBeLessThan(0);
    expect(compareVersions('10.3.0', '10.3.0-rc.1')).toBeGreaterThan(0);
    expect(compareVersions('v9.7.0', '9.7.0')).toBe(0);
  });

  it('validates version, storageVersion, deadlineSeconds and allowDowngrade with field paths', () => {
    expect(validateUpgradeRequest({ version: '10.3.0' })).toEqual([]);
    expect(validateUpgradeRequest({})).toEqual([{ path: 'version', message: 'is required' }]);
    expect(validateUpgradeRequest({ version: 'latest', storageVersion: '0.9', deadlineSeconds: 10, allowDowngrade: 'yes' }).map(e => e.path)).toEqual([
      'version',
      'storageVersion',
      'deadlineSeconds',
      'allowDowngrade',
    ]);
    expect(validateUpgradeRequest({ version: '10.3.0', deadlineSeconds: 30 })).toEqual([]);
  });

  it('refuses a downgrade unless allowed, a storage version without BanyanDB, and a second upgrade while one runs', () => {
    expect(upgradeRefusal({ oap: oap('10.2.0') }, { version: '10.1.0' })).toMatchObject({ path: 'version', message: expect.stringContaining('older than the running 10.2.0') });
    expect(upgradeRefusal({ oap: oap('10.2.0') }, { version: '10.1.0', allowDowngrade: true })).toBeUndefined();
    expect(upgradeRefusal({ oap: oap('10.2.0'), banyandb: { spec: { version: '0.9.0' } } }, { version: '10.3.0', storageVersion: '0.8.0' })).toMatchObject({ path: 'storageVersion' });
    expect(upgradeRefusal({ oap: oap('10.2.0') }, { version: '10.3.0', storageVersion: '0.9.0' })).toMatchObject({ path: 'storageVersion', message: 'the backend has no BanyanDB storage' });
    const running = newUpgradeRecord({ version: '10.3.0' }, { oap: '10.2.0' }, now);
    expect(upgradeRefusal({ oap: oap('10.2.0', running) }, { version: '10.4.0' })).toMatchObject({ conflict: true });
  });
});

describe('upgrade status', () => {
  it('shows the step while under way, then Succeeded or RolledBack', () => {
    const r = newUpgradeRecord({ version: '10.3.0', deadlineSeconds: 60 }, { oap: '10.2.0', ui: '10.2.0' }, now);
    expect(r).toMatchObject({ phase: 'storage', deadline: '2026-01-01T00:01:00.000Z', startedAt: now.toISOString() });
    const during = upgradeConditions(oap('10.2.0', { ...r, phase: 'oap' }), now);
    expect(during).toEqual([
      expect.objectContaining({ type: 'Upgrading', status: 'True', reason: 'UpgradingOAP', message: expect.stringContaining('OAP (step 2 of 3)') }),
      expect.objectContaining({ type: 'Upgraded', status: 'False', reason: 'InProgress' }),
    ]);
    expect(upgradeConditions(oap('10.3.0', { ...r, phase: 'Succeeded', message: 'upgraded to 10.3.0' }), now)[1]).toMatchObject({ type: 'Upgraded', status: 'True', reason: 'Succeeded' });
    expect(upgradeConditions(oap('10.2.0', { ...r, phase: 'RolledBack', message: 'rolled back: OAP not Ready' }), now)[1]).toMatchObject({
      type: 'Upgraded',
      status: 'False',
      reason: 'RolledBack',
      message: 'rolled back: OAP not Ready',
    });
    expect(upgradeConditions(oap('10.2.0'), now)).toEqual([]);
  });
});

describe('rollout readiness', () => {
  const image = 'apache/skywalking-oap-server:10.3.0';
  const deployment = (status: Record<string, number>, img = image) => ({
    metadata: { generation: 2 },
    spec: { replicas: 2, template: { spec: { containers: [{ image: img }] } } },
    status: { observedGeneration: 2, ...status },
  });

  it('counts only the new pods of a Deployment as Ready, and waits for the old ones to go', () => {
    expect(notRolled('Deployment', 'demo-oap', deployment({}, 'apache/skywalking-oap-server:10.2.0'), image)).toContain('does not run');
    // two old pods available, one new not ready
    expect(notRolled('Deployment', 'demo-oap', deployment({ replicas: 3, updatedReplicas: 1, availableReplicas: 2 }), image)).toBe(
      `Deployment demo-oap: 0/2 new pods (${image}) Ready`,
    );
    expect(notRolled('Deployment', 'demo-oap', deployment({ replicas: 3, updatedReplicas: 2, availableReplicas: 3 }), image)).toContain('old pods still running');
    expect(notRolled('Deployment', 'demo-oap', deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), image)).toBeUndefined();
  });

  it('waits for a StatefulSet to finish its rolling update', () => {
    const sts = (status: Record<string, unknown>) => ({ ...deployment({}), status: { observedGeneration: 2, ...status } });
    expect(notRolled('StatefulSet', 'demo-banyandb', sts({ updatedReplicas: 2, readyReplicas: 2, currentRevision: 'a', updateRevision: 'b' }), image)).toContain('not complete');
    expect(notRolled('StatefulSet', 'demo-banyandb', sts({ updatedReplicas: 2, readyReplicas: 2, currentRevision: 'b', updateRevision: 'b' }), image)).toBeUndefined();
  });
});
