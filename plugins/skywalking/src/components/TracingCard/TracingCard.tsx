import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  FormControl,
  FormControlLabel,
  InputLabel,
  LinearProgress,
  List,
  ListItem,
  ListItemText,
  MenuItem,
  Select,
  Switch,
  Typography,
} from '@material-ui/core';
import {
  BackendRef,
  isSkyWalkingAvailable,
  skywalkingTracingTogglePermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { skyWalkingApiRef } from '../../api';

const refKey = (r?: BackendRef) => (r ? `${r.cluster}/${r.namespace}/${r.name}` : '');

/**
 * The backend the card offers first when the entity's tracing names none:
 * the one its `skywalking.apache.org/backend` annotation names, else one its
 * owner owns (another team's backend would be refused by tenancy), else the first.
 */
export function preferredBackend<B extends BackendRef & { owner?: string }>(backends: B[], annotation: string | undefined, owner: string | undefined): B | undefined {
  return (
    (annotation ? backends.find(b => refKey(b) === annotation) : undefined) ??
    (owner ? backends.find(b => b.owner === owner) : undefined) ??
    backends[0]
  );
}

/** Tracing toggle for the entity's workloads, with injection status and history. */
export const TracingCard = () => {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(skyWalkingApiRef);
  const alertApi = useApi(alertApiRef);
  const toggle = usePermission({ permission: skywalkingTracingTogglePermission, resourceRef: entityRef });
  const status = useAsyncRetry(() => api.getTracing(entityRef), [api, entityRef]);
  const backends = useAsyncRetry(() => api.listBackends(), [api]);
  const [backendKey, setBackendKey] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (status.value?.backend) setBackendKey(refKey(status.value.backend));
    else if (!backendKey && backends.value?.length) {
      const owner = entity.relations?.find(r => r.type === 'ownedBy')?.targetRef ?? (typeof entity.spec?.owner === 'string' ? entity.spec.owner : undefined);
      const ownerRef = owner && !owner.includes(':') ? `group:default/${owner}` : owner;
      setBackendKey(refKey(preferredBackend(backends.value, entity.metadata.annotations?.['skywalking.apache.org/backend'], ownerRef)));
    }
  }, [status.value, backends.value, backendKey, entity]);

  // while pods roll, keep the injected/total counts fresh
  const rolling = status.value?.workloads.some(w =>
    status.value?.enabled ? w.injectedPods < w.totalPods : w.injectedPods > 0,
  );
  useInterval(status.retry, rolling ? 3000 : null);

  if (!isSkyWalkingAvailable(entity)) {
    return (
      <InfoCard title="SkyWalking tracing">
        <EmptyState
          missing="field"
          title="No Kubernetes annotations"
          description="Add backstage.io/kubernetes-id or backstage.io/kubernetes-label-selector to this entity to trace its workloads."
        />
      </InfoCard>
    );
  }
  if (status.loading && !status.value) return <InfoCard title="SkyWalking tracing"><Progress /></InfoCard>;
  if (status.error) {
    return (
      <InfoCard title="SkyWalking tracing">
        <ResponseErrorPanel error={status.error} />
      </InfoCard>
    );
  }
  const s = status.value!;
  const backend = backends.value?.find(b => refKey(b) === backendKey);

  const onToggle = async (enabled: boolean) => {
    if (enabled && !backend) {
      alertApi.post({ message: 'Choose a SkyWalking backend first', severity: 'warning' });
      return;
    }
    setBusy(true);
    try {
      await api.setTracing(
        entityRef,
        enabled,
        backend && { cluster: backend.cluster, namespace: backend.namespace, name: backend.name },
      );
      status.retry();
    } catch (e: any) {
      alertApi.post({ message: `Could not change tracing: ${e.message}`, severity: 'error' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <InfoCard title="SkyWalking tracing" subheader="Java agent injection for this entity's workloads">
      {busy && <LinearProgress />}
      <Box display="flex" alignItems="center" style={{ gap: 16 }} flexWrap="wrap">
        <FormControlLabel
          control={
            <Switch
              checked={s.enabled}
              disabled={busy || !toggle.allowed}
              onChange={e => onToggle(e.target.checked)}
              inputProps={{ 'aria-label': 'Tracing' }}
              color="primary"
            />
          }
          label={s.enabled ? 'Tracing on' : 'Tracing off'}
        />
        <FormControl style={{ minWidth: 240 }} disabled={busy || !toggle.allowed}>
          <InputLabel id="sw-backend-label">Backend</InputLabel>
          <Select
            labelId="sw-backend-label"
            value={backendKey}
            onChange={e => setBackendKey(String(e.target.value))}
          >
            {(backends.value ?? []).map(b => (
              <MenuItem key={refKey(b)} value={refKey(b)}>
                {b.name} ({b.cluster}/{b.namespace})
              </MenuItem>
            ))}
          </Select>
        </FormControl>
      </Box>
      {!toggle.loading && !toggle.allowed && (
        <Typography variant="caption" color="textSecondary">
          Only the entity's owners may change tracing.
        </Typography>
      )}
      {backends.value?.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No SkyWalking backend exists yet: create one from the software template.
        </Typography>
      )}
      {s.clusters.filter(c => !c.reachable).map(c => (
        <Typography key={c.name} variant="body2" color="error">
          Cluster {c.name} unreachable: {c.error}
        </Typography>
      ))}
      <Typography variant="subtitle2" style={{ marginTop: 16 }}>
        Workloads
      </Typography>
      {s.workloads.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No workloads match this entity's Kubernetes annotations.
        </Typography>
      ) : (
        <List dense>
          {s.workloads.map(w => (
            <ListItem key={`${w.cluster}/${w.namespace}/${w.kind}/${w.name}`} data-testid="sw-workload">
              <ListItemText
                primary={`${w.kind} ${w.namespace}/${w.name}`}
                secondary={`${w.injectedPods}/${w.totalPods} pods injected · ${w.mode} mode${w.agentVersion ? ` · agent ${w.agentVersion}` : ''}${w.error ? ` · ${w.error}` : ''}`}
              />
            </ListItem>
          ))}
        </List>
      )}
      {s.history.length > 0 && (
        <>
          <Typography variant="subtitle2">Recent changes</Typography>
          <List dense>
            {s.history.slice(0, 5).map(h => (
              <ListItem key={h.id}>
                <ListItemText primary={`${h.action} by ${h.actor}`} secondary={new Date(h.at).toLocaleString()} />
              </ListItem>
            ))}
          </List>
        </>
      )}
    </InfoCard>
  );
};
