import { FIELD_MANAGER, replicasHandoff } from './apply';

const desired = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo-oap', namespace: 'sw' }, spec: { minReadySeconds: 5 } };
const owned = (manager: string, fields: any) => [{ manager, operation: 'Apply', fieldsV1: fields }];
const live = (replicas: number, managedFields: any[]) => ({ metadata: { name: 'demo-oap', namespace: 'sw', managedFields }, spec: { replicas } });

describe('replicasHandoff', () => {
  it('hands the live replicas to another manager when we stop setting replicas we own', () => {
    const mf = owned(FIELD_MANAGER, { 'f:spec': { 'f:replicas': {}, 'f:minReadySeconds': {} } });
    expect(replicasHandoff(desired, live(3, mf))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'demo-oap', namespace: 'sw' },
      spec: { replicas: 3 },
    });
    // scaled to zero (paused): handed over at 1, the HPA raises it to its minimum
    expect(replicasHandoff(desired, live(0, mf))?.spec.replicas).toBe(1);
  });

  it('does nothing when we set replicas, do not own them (the HPA does), or the object is not a Deployment', () => {
    const mf = owned(FIELD_MANAGER, { 'f:spec': { 'f:replicas': {} } });
    expect(replicasHandoff({ ...desired, spec: { replicas: 2 } }, live(3, mf))).toBeUndefined();
    expect(replicasHandoff(desired, live(5, [{ manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }]))).toBeUndefined();
    expect(replicasHandoff(desired, live(5, owned(FIELD_MANAGER, { 'f:spec': { 'f:minReadySeconds': {} } })))).toBeUndefined();
    expect(replicasHandoff(desired, undefined)).toBeUndefined();
    expect(replicasHandoff({ ...desired, kind: 'StatefulSet' }, live(3, mf))).toBeUndefined();
  });
});
