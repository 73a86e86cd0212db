import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Box, Grid, MenuItem, Select, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useCallback, useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { skyWalkingApiRef } from '../../api';
import type { TopologyResponse } from '@skywalking-backstage/plugin-skywalking-common';
import { CALL_LAYERS, callLayer, CallLayer, layerRows, NODE_COLORS } from './elements';
import { TopologyGraph } from './TopologyGraph';

const RANGES: Record<string, number> = {
  'Last 15 minutes': 15,
  'Last hour': 60,
  'Last 6 hours': 360,
  'Last 24 hours': 1440,
};

const Legend = () => (
  <Box display="flex" style={{ gap: 12 }} flexWrap="wrap" data-testid="sw-topology-legend">
    {Object.entries(NODE_COLORS).map(([kind, color]) => (
      <Box key={kind} display="flex" alignItems="center" style={{ gap: 4 }}>
        <span style={{ width: 12, height: 12, borderRadius: 6, background: color, display: 'inline-block' }} />
        <Typography variant="caption">{kind}</Typography>
      </Box>
    ))}
    <Typography variant="caption">— arrows: calls (OAP), by the layer that saw them:</Typography>
    <Box display="flex" style={{ gap: 12 }} flexWrap="wrap" data-testid="sw-topology-legend-layers">
      {(['K8S_SERVICE', 'GENERAL', 'both'] as const).map(layer => (
        <Box key={layer} display="flex" alignItems="center" style={{ gap: 4 }}>
          <span style={{ width: 16, height: 3, background: CALL_LAYERS[layer].color, display: 'inline-block' }} />
          <Typography variant="caption">{CALL_LAYERS[layer].legend}</Typography>
        </Box>
      ))}
    </Box>
    <Typography variant="caption">; dashed: structure (Kubernetes API)</Typography>
  </Box>
);

/** The summary line: its first part is what the e2e reads; calls per layer after it. */
export function summary(t: TopologyResponse): string {
  const calls = t.edges.filter(e => e.kind === 'call');
  const head = `${t.nodes.length} nodes, ${calls.length} calls, ${t.unresolved.count} unresolved relations`;
  const count = (l: CallLayer) => calls.filter(e => callLayer(e) === l).length;
  const [k8s, general, both] = [count('K8S_SERVICE'), count('GENERAL'), count('both')];
  if (!k8s && !general && !both) return head;
  return `${head} · calls seen by K8S_SERVICE only: ${k8s}, GENERAL only: ${general}, both: ${both}`;
}

const keepTitle = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);

/** The entity's services, pods and calls between them, with metrics. */
export const TopologyContent = () => {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(skyWalkingApiRef);
  const [range, setRange] = useState('Last 15 minutes');
  const [selected, setSelected] = useState<string | undefined>();
  const { value, loading, error } = useAsyncRetry(() => {
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range] * 60_000);
    return api.getTopology(entityRef, from, to);
  }, [api, entityRef, range]);
  const onSelect = useCallback((id: string | undefined) => setSelected(id), []);
  const node = useMemo(() => value?.nodes.find(n => n.id === selected), [value, selected]);
  const edge = useMemo(() => value?.edges.find(e => e.id === selected), [value, selected]);
  const nameOf = (id: string) => value?.nodes.find(n => n.id === id)?.name ?? id;

  return (
    <Grid container spacing={2}>
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" justifyContent="space-between">
          <Legend />
          <Select value={range} onChange={e => setRange(String(e.target.value))} inputProps={{ 'aria-label': 'Time range' }}>
            {Object.keys(RANGES).map(r => (
              <MenuItem key={r} value={r}>{r}</MenuItem>
            ))}
          </Select>
        </Box>
      </Grid>
      {loading && (
        <Grid item xs={12}>
          <Progress />
        </Grid>
      )}
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel error={error} />
        </Grid>
      )}
      {value && (
        <>
          {(value.warnings ?? []).map(w => (
            <Grid item xs={12} key={w}>
              <Alert severity="warning">{w}</Alert>
            </Grid>
          ))}
          <Grid item xs={12} md={9}>
            <InfoCard
              title="Topology"
              subheader={summary(value)}
              noPadding
            >
              {value.nodes.length === 0 ? (
                <EmptyState missing="data" title="No workloads found" description="No Kubernetes objects match this entity's annotations." />
              ) : (
                <TopologyGraph topology={value} onSelect={onSelect} />
              )}
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={3}>
            <InfoCard title={node?.name ?? (edge ? `${nameOf(edge.source)} → ${nameOf(edge.target)}` : 'Details')}>
              {node && (
                <StructuredMetadataTable
                  metadata={{ kind: node.kind, namespace: node.namespace || '-', ...(node.details ?? {}), ...layerRows(node) }}
                  // keep "calls / min", "p99 latency" as written (startCase drops the slash and splits p99)
                  options={{ titleFormat: keepTitle }}
                />
              )}
              {edge && (
                <StructuredMetadataTable
                  metadata={{ kind: edge.kind, 'seen by': edge.seenBy?.join(', ') || '-', ...layerRows(edge) }}
                  options={{ titleFormat: keepTitle }}
                />
              )}
              {!node && !edge && <Typography variant="body2">Click a node to see its metrics.</Typography>}
              {value.unresolved.count > 0 && (
                <Box mt={2}>
                  <Typography variant="subtitle2">Unresolved relations ({value.unresolved.count})</Typography>
                  {value.unresolved.samples.map(s => (
                    <Typography key={`${s.source}>${s.target}`} variant="caption" display="block">
                      {s.source} → {s.target}: {s.reason}
                    </Typography>
                  ))}
                </Box>
              )}
            </InfoCard>
          </Grid>
        </>
      )}
    </Grid>
  );
};
