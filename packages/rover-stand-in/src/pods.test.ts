import { chooseServiceName, serviceOfPod, targetsOf } from './pods';

const pod = (name: string, labels: Record<string, string>, over: any = {}) => ({
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels },
  spec: { nodeName: 'real-node-0', containers: [{ name: 'web', command: ['java', '-jar', '/app/frontend.jar'], ports: [{ containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: '10.244.0.7', containerStatuses: [{ name: 'web', state: { running: {} } }] },
  ...over,
});
const svc = (name: string, selector?: Record<string, string>, namespace = 'shop') => ({ metadata: { name, namespace }, spec: { selector } });

describe('the Service Rover names a pod by', () => {
  it('is the one whose selector matches the pod labels, in its namespace', () => {
    const p = pod('f-1', { app: 'frontend', tier: 'web' });
    expect(serviceOfPod(p, [svc('shop-orders', { app: 'orders' }), svc('shop-frontend', { app: 'frontend' })])).toBe('shop-frontend');
    expect(serviceOfPod(p, [svc('shop-frontend', { app: 'frontend' }, 'other')])).toBeUndefined();
    // a Service without a selector selects nothing (Rover skips it)
    expect(serviceOfPod(p, [svc('headless'), svc('empty', {})])).toBeUndefined();
  });

  it('among several, the shortest name, then the first in ASCII (Rover chooseServiceName)', () => {
    expect(chooseServiceName('shop-frontend', 'web')).toBe('web');
    expect(chooseServiceName('b-svc', 'a-svc')).toBe('a-svc');
    const p = pod('f-1', { app: 'frontend' });
    expect(serviceOfPod(p, [svc('frontend-b', { app: 'frontend' }), svc('frontend-a', { app: 'frontend' }), svc('frontend-long', { app: 'frontend' })])).toBe('frontend-a');
  });
});

describe('targetsOf', () => {
  it('follows running containers of Running pods with a Service, named as Rover names the process', () => {
    const { targets, withoutService } = targetsOf([pod('f-1', { app: 'frontend' }), pod('lonely', { app: 'x' })], [svc('shop-frontend', { app: 'frontend' })]);
    expect(withoutService).toEqual(['shop/lonely']);
    expect(targets).toEqual([
      {
        key: 'uid-f-1/web',
        namespace: 'shop',
        pod: 'f-1',
        container: 'web',
        nodeName: 'real-node-0',
        process: { serviceName: 'shop-frontend.shop', podName: 'f-1', containerName: 'web', processName: 'java', port: 8080 },
      },
    ]);
  });

  it('prefixes the cluster name as Rover does', () => {
    const { targets } = targetsOf([pod('f-1', { app: 'frontend' })], [svc('shop-frontend', { app: 'frontend' })], 'local');
    expect(targets[0].process.serviceName).toBe('local::shop-frontend.shop');
  });

  it('skips pods not Running, not scheduled, and containers not running', () => {
    const services = [svc('s', { app: 'a' })];
    expect(targetsOf([pod('p', { app: 'a' }, { status: { phase: 'Pending' } })], services).targets).toEqual([]);
    expect(targetsOf([pod('p', { app: 'a' }, { spec: { containers: [{ name: 'web' }] } })], services).targets).toEqual([]);
    const waiting = pod('p', { app: 'a' });
    waiting.status.containerStatuses = [{ name: 'web', state: { waiting: {} } } as any];
    expect(targetsOf([waiting], services).targets).toEqual([]);
  });
});
