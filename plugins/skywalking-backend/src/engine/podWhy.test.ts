import { newPodsWhy } from './podWhy';

const NEW = 'apache/skywalking-oap-server:10.2.0';
const OLD = 'apache/skywalking-oap-server:10.1.0';
const pod = (name: string, image: string, status: any, extra: any = {}) => ({ metadata: { name, ...extra }, spec: { containers: [{ name: 'oap', image }] }, status });

describe('why the new pods of a rollout are not ready', () => {
  it('says the waiting reason of a pod whose image cannot be pulled, and leaves the old pods out', () => {
    const pods = [
      pod('b-oap-new', NEW, { phase: 'Pending', containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"\n  (no registry)' } } }] }),
      pod('b-oap-old', OLD, { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0, state: { running: {} } }] }),
    ];
    expect(newPodsWhy(pods, [], NEW)).toBe('b-oap-new: ImagePullBackOff (Back-off pulling image "x" (no registry))');
  });

  it('says the waiting reason of an init container of the new image rather than the main container\'s PodInitializing', () => {
    const pods = [
      pod('b-oap-new', NEW, {
        initContainerStatuses: [{ name: 'ui-templates', ready: false, state: { waiting: { reason: 'ErrImagePull', message: 'failed to pull' } } }],
        containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      }),
    ];
    expect(newPodsWhy(pods, [], NEW)).toBe('b-oap-new: init container ui-templates: ErrImagePull (failed to pull)');
    const failed = [pod('p', NEW, { initContainerStatuses: [{ name: 'ui-templates', state: { terminated: { reason: 'Error', exitCode: 1 } } }], containerStatuses: [{ ready: false, state: { waiting: { reason: 'PodInitializing' } } }] })];
    expect(newPodsWhy(failed, [], NEW)).toBe('p: init container ui-templates: Error, exit code 1');
  });

  it('says the latest failing probe and the restarts of a pod that runs and is not ready', () => {
    const pods = [pod('b-oap-new', NEW, { containerStatuses: [{ ready: false, restartCount: 2, state: { running: {} }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }] })];
    const events = [
      { involvedObject: { kind: 'Pod', name: 'b-oap-new' }, reason: 'Unhealthy', message: 'Readiness probe failed: old', lastTimestamp: '2026-01-01T00:00:00Z' },
      { involvedObject: { kind: 'Pod', name: 'b-oap-new' }, reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', lastTimestamp: '2026-01-01T00:01:00Z' },
      { involvedObject: { kind: 'Pod', name: 'other' }, reason: 'Unhealthy', message: 'not this pod', lastTimestamp: '2026-01-01T00:02:00Z' },
    ];
    expect(newPodsWhy(pods, events, NEW)).toBe('b-oap-new: running, not ready: Readiness probe failed: HTTP probe failed with statuscode: 503: 2 restarts, last Error (exit code 1)');
  });

  it('says a pod is not scheduled, and a terminated container, once per reason', () => {
    const unscheduled = { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] };
    const crashed = { containerStatuses: [{ ready: false, restartCount: 0, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] };
    const pods = [pod('p1', NEW, unscheduled), pod('p2', NEW, unscheduled), pod('p3', NEW, crashed)];
    expect(newPodsWhy(pods, [], NEW)).toBe('p1: not scheduled (0/1 nodes are available); p3: terminated: OOMKilled, exit code 137');
  });

  it('tells nothing when no new pod is there or the new ones are ready, and ignores pods being deleted', () => {
    expect(newPodsWhy([], [], NEW)).toBeUndefined();
    expect(newPodsWhy([pod('a', NEW, { containerStatuses: [{ ready: true, state: { running: {} } }] })], [], NEW)).toBeUndefined();
    const going = pod('a', NEW, { containerStatuses: [{ ready: false, state: { waiting: { reason: 'ErrImagePull' } } }] }, { deletionTimestamp: '2026-01-01T00:00:00Z' });
    expect(newPodsWhy([going], [], NEW)).toBeUndefined();
  });

  it('keeps the message short', () => {
    const pods = Array.from({ length: 20 }, (_, i) => pod(`pod-${i}`, NEW, { containerStatuses: [{ ready: false, state: { waiting: { reason: `Reason${i}`, message: 'x'.repeat(300) } } }] }));
    const why = newPodsWhy(pods, [], NEW)!;
    expect(why.length).toBeLessThanOrEqual(400);
    expect(why.endsWith('…')).toBe(true);
  });
});
