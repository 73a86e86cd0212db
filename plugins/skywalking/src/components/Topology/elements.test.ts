import type { TopologyResponse } from '@skywalking-backstage/plugin-skywalking-common';
import { CALL_LAYERS, callLabel, callLayer, callTooltip, layerRows, toElements } from './elements';

const both = {
  metrics: { cpm: 120, percentilesMs: { p99: 41.6 } },
  seenBy: ['K8S_SERVICE', 'GENERAL'],
  layers: { GENERAL: { cpm: 98.4, latencyMs: 12.5 } },
};

describe('what the graph draws for a call', () => {
  it('classifies a call by the layers that saw it', () => {
    expect(callLayer(both)).toBe('both');
    expect(callLayer({ seenBy: ['K8S_SERVICE'] })).toBe('K8S_SERVICE');
    expect(callLayer({ seenBy: ['GENERAL'] })).toBe('GENERAL');
    expect(callLayer({})).toBe('other');
  });

  it('labels a call with each layer\'s calls per minute and p99', () => {
    expect(callLabel(both)).toBe('k8s 120 cpm · p99 42 ms | agents 98 cpm');
    expect(callLabel({ metrics: { cpm: 7 } })).toBe('7 cpm');
    expect(callLabel({ metrics: {}, seenBy: ['GENERAL'] })).toBe('');
  });

  it('gives each layer a line of the tooltip, with all its metrics', () => {
    expect(callTooltip(both).split('\n')).toEqual([
      'K8S_SERVICE: calls / min 120.0, p99 latency 41.6 ms',
      'GENERAL: calls / min 98.4, avg latency 12.5 ms',
    ]);
    expect(callTooltip({ metrics: {}, seenBy: ['GENERAL'] })).toBe('GENERAL: no metrics in this window');
  });

  it('prefixes the detail rows with their layer', () => {
    expect(layerRows(both)).toEqual({
      'K8S_SERVICE · calls / min': '120.0',
      'K8S_SERVICE · p99 latency': '41.6 ms',
      'GENERAL · calls / min': '98.4',
      'GENERAL · avg latency': '12.5 ms',
    });
    expect(layerRows({ metrics: { cpm: 3 } })).toEqual({ 'calls / min': '3.0' });
  });

  it('colours call edges by layer and leaves structure edges alone', () => {
    const t = {
      nodes: [],
      edges: [
        { id: 'c1', source: 'a', target: 'b', kind: 'call', ...both },
        { id: 'c2', source: 'a', target: 'c', kind: 'call', metrics: { cpm: 1 }, seenBy: ['GENERAL'] },
        { id: 's1', source: 'a', target: 'p', kind: 'selects', metrics: {} },
      ],
    } as unknown as TopologyResponse;
    const data = Object.fromEntries(toElements(t).map(e => [e.data.id, e.data]));
    expect(data.c1).toMatchObject({ layer: 'both', color: CALL_LAYERS.both.color });
    expect(data.c2).toMatchObject({ layer: 'GENERAL', color: CALL_LAYERS.GENERAL.color, tooltip: 'GENERAL: calls / min 1.0' });
    expect(data.s1).toEqual({ id: 's1', source: 'a', target: 'p', kind: 'selects', label: '' });
    expect(new Set(Object.values(CALL_LAYERS).slice(0, 3).map(l => l.color)).size).toBe(3);
  });
});
