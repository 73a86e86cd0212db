import { ConflictError } from '@backstage/errors';
import { AUTOSCALING_ANNOTATION, ROLE_SPLIT_ANNOTATION } from '@skywalking-backstage/plugin-skywalking-common';
import { oapScalingSummary, planScale, recordedScaling, ScaleInputError, scalingAnnotations } from './scaling';

const oap = (instances: number, annotations: Record<string, unknown> = {}, managedFields: any[] = []) => ({
  metadata: { name: 'demo', namespace: 'sw', annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, JSON.stringify(v)])), managedFields },
  spec: { instances },
});
const split = { enabled: true };
const auto = { enabled: true, minReplicas: 2, maxReplicas: 6 };

describe('planScale', () => {
  it('sets the replicas of an unsplit OAP', () => {
    expect(planScale(oap(2), 5)).toEqual({ instances: 5 });
  });

  it('scales one role: its new count, the other keeps its own; the ratio gives way to counts', () => {
    // 5 by ratio 0.6: 3 Receivers, 2 Aggregators
    const cr = oap(5, { [ROLE_SPLIT_ANNOTATION]: { enabled: true, receiverRatio: 0.6 } });
    const r = planScale(cr, 4, 'aggregator');
    expect(r.instances).toBe(7);
    expect(JSON.parse(r.annotations![ROLE_SPLIT_ANNOTATION])).toEqual({ enabled: true, receivers: 3, aggregators: 4 });
    const r2 = planScale(oap(4, { [ROLE_SPLIT_ANNOTATION]: { enabled: true, receivers: 2, aggregators: 2 } }), 5, 'receiver');
    expect(r2.instances).toBe(7);
    expect(JSON.parse(r2.annotations![ROLE_SPLIT_ANNOTATION])).toEqual({ enabled: true, receivers: 5, aggregators: 2 });
  });

  it('scales the total of a split OAP by its ratio, keeping a role split record the scale manager applied before', () => {
    expect(planScale(oap(4, { [ROLE_SPLIT_ANNOTATION]: split }), 6)).toEqual({ instances: 6 });
    const owned = [{ manager: 'skywalking-backstage-scale', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:annotations': { [`f:${ROLE_SPLIT_ANNOTATION}`]: {} } } } }];
    const rs = { enabled: true, receivers: 3, aggregators: 1 };
    expect(planScale(oap(4, { [ROLE_SPLIT_ANNOTATION]: rs }, owned), 8)).toEqual({ instances: 8, annotations: { [ROLE_SPLIT_ANNOTATION]: JSON.stringify(rs) } });
  });

  it('refuses with the field: an unknown role, a role without split, counts a role cannot have', () => {
    const refusal = (f: () => unknown) => {
      let error: any;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScaleInputError);
      return [error.path, error.detail];
    };
    expect(refusal(() => planScale(oap(2, { [ROLE_SPLIT_ANNOTATION]: split }), 2, 'mixed'))).toEqual(['role', '"mixed" must be receiver or aggregator']);
    expect(refusal(() => planScale(oap(2), 2, 'receiver'))).toEqual(['role', 'backend sw/demo has no role split: scale its OAP without a role']);
    expect(refusal(() => planScale(oap(2, { [ROLE_SPLIT_ANNOTATION]: split }), 0, 'receiver'))[0]).toBe('replicas');
    expect(refusal(() => planScale(oap(2, { [ROLE_SPLIT_ANNOTATION]: split }), 1))[0]).toBe('replicas');
  });

  it('refuses replicas an HPA owns with a conflict that says what to do; the Aggregators still scale', () => {
    expect(() => planScale(oap(2, { [AUTOSCALING_ANNOTATION]: auto }), 4)).toThrow(ConflictError);
    expect(() => planScale(oap(2, { [AUTOSCALING_ANNOTATION]: auto }), 4)).toThrow(/autoscaled by a HorizontalPodAutoscaler \(2 to 6 replicas\): change oap.autoscaling/);
    const both = { [AUTOSCALING_ANNOTATION]: auto, [ROLE_SPLIT_ANNOTATION]: { enabled: true, receivers: 2, aggregators: 2 } };
    expect(() => planScale(oap(4, both), 3, 'receiver')).toThrow(/Receivers .* the Aggregators scale with role "aggregator"/);
    expect(() => planScale(oap(4, both), 6)).toThrow(ConflictError);
    expect(planScale(oap(4, both), 3, 'aggregator').instances).toBe(5);
    // switched off: scaled by hand again
    expect(planScale(oap(2, { [AUTOSCALING_ANNOTATION]: { ...auto, enabled: false } }), 4)).toEqual({ instances: 4 });
  });
});

describe('recorded scaling', () => {
  it('records the spec as annotations and reads it back', () => {
    const spec = { autoscaling: auto, disruptionBudget: { maxUnavailable: '50%' }, topologySpread: { zoneKey: 'topology.kubernetes.io/zone' } };
    const annotations = scalingAnnotations(spec);
    expect(Object.keys(annotations)).toHaveLength(3);
    expect(recordedScaling({ metadata: { annotations } })).toEqual(spec);
    expect(scalingAnnotations({ replicas: 2 })).toEqual({});
  });

  it('summarizes the roles and the autoscaled Deployment', () => {
    expect(oapScalingSummary(oap(5, { [ROLE_SPLIT_ANNOTATION]: { enabled: true, receivers: 3, aggregators: 2 }, [AUTOSCALING_ANNOTATION]: auto }))).toEqual({
      roles: { receivers: 3, aggregators: 2 },
      autoscaling: { ...auto, role: 'receiver' },
    });
    expect(oapScalingSummary(oap(2))).toEqual({});
  });
});
