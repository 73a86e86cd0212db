import { entityWorkloadSelector, isSkyWalkingAvailable } from './entity';

const entity = (annotations?: Record<string, string>) => ({ metadata: { name: 'shop', annotations } });

describe('entityWorkloadSelector', () => {
  it('builds the selector from backstage.io/kubernetes-id like the Kubernetes plugin', () => {
    expect(entityWorkloadSelector(entity({ 'backstage.io/kubernetes-id': 'shop' }))).toEqual({
      labelSelector: 'backstage.io/kubernetes-id=shop',
      namespace: undefined,
      cluster: undefined,
    });
  });

  it('prefers the label-selector annotation and carries namespace and cluster', () => {
    expect(
      entityWorkloadSelector(
        entity({
          'backstage.io/kubernetes-id': 'ignored',
          'backstage.io/kubernetes-label-selector': 'app=shop,tier=web',
          'backstage.io/kubernetes-namespace': 'shop',
          'backstage.io/kubernetes-cluster': 'east',
        }),
      ),
    ).toEqual({ labelSelector: 'app=shop,tier=web', namespace: 'shop', cluster: 'east' });
  });

  it('reports entities without Kubernetes annotations as unavailable', () => {
    expect(entityWorkloadSelector(entity())).toBeUndefined();
    expect(isSkyWalkingAvailable(entity({ other: 'x' }))).toBe(false);
    expect(isSkyWalkingAvailable(entity({ 'backstage.io/kubernetes-id': 'a' }))).toBe(true);
  });
});
