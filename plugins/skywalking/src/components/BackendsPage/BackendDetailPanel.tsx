import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
  Table,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Grid } from '@material-ui/core';
import {
  BackendRef,
  BackendSummary,
  EventSummary,
  PodSummary,
  StatusCondition,
} from '@skywalking-backstage/plugin-skywalking-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { skyWalkingApiRef } from '../../api';
import { PhaseStatus } from '../StatusChip';
import { BackupsSection } from './BackupsSection';

/** Storage (the OAP's SW_STORAGE) with backups: BanyanDB's, or snapshots of external storage (mysql is also TiDB). */
const BACKED_UP_STORAGE = ['banyandb', 'postgresql', 'mysql', 'elasticsearch'];

/**
 * Pods, conditions and events of one backend; refreshes while it is not
 * Ready, and when the backends list shows it changed (`listed`: e.g. paused
 * or scaled from the table's actions while the panel is open).
 */
export const BackendDetailPanel = ({ backendRef, listed }: { backendRef: BackendRef; listed?: BackendSummary }) => {
  const api = useApi(skyWalkingApiRef);
  const listedState = listed && [listed.phase, listed.paused, listed.version, listed.oap.desired, listed.oap.ready].join('/');
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getBackend(backendRef),
    [api, backendRef.cluster, backendRef.namespace, backendRef.name, listedState],
  );
  useInterval(retry, value && value.phase === 'Ready' ? null : 5000);

  if (!value && loading) return <Progress />;
  if (!value && error) return <ResponseErrorPanel error={error} />;
  if (!value) return null;

  return (
    <Grid container spacing={2}>
      <Grid item xs={12} md={4}>
        <InfoCard title={`${value.namespace}/${value.name}`} subheader={`cluster ${value.cluster}`}>
          <StructuredMetadataTable
            metadata={{
              status: <PhaseStatus phase={value.phase} />,
              version: value.version,
              storage: value.storage,
              OAP: `${value.oap.ready}/${value.oap.desired} ready`,
              UI: value.ui ? `${value.ui.ready}/${value.ui.desired} ready` : 'disabled',
              owner: value.owner ?? '-',
            }}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={8}>
        <Table<StatusCondition>
          title="Conditions"
          options={{ paging: false, search: false, padding: 'dense' }}
          data={value.conditions}
          columns={[
            { title: 'Type', field: 'type' },
            { title: 'Status', field: 'status' },
            { title: 'Reason', field: 'reason' },
            { title: 'Message', field: 'message' },
            { title: 'Since', field: 'lastTransitionTime' },
          ]}
        />
      </Grid>
      <Grid item xs={12}>
        <Table<PodSummary>
          title={`Pods (${value.pods.length})`}
          options={{ paging: false, search: false, padding: 'dense' }}
          data={value.pods}
          columns={[
            { title: 'Pod', field: 'name' },
            { title: 'Component', field: 'component' },
            { title: 'Phase', field: 'phase' },
            { title: 'Ready', render: p => (p.ready ? 'yes' : 'no') },
            { title: 'Restarts', field: 'restarts' },
            { title: 'Node', field: 'node' },
            { title: 'IP', field: 'ip' },
          ]}
        />
      </Grid>
      {BACKED_UP_STORAGE.includes(value.storage) && (
        <Grid item xs={12}>
          <BackupsSection backendRef={backendRef} paused={value.paused} storage={value.storage} />
        </Grid>
      )}
      <Grid item xs={12}>
        <Table<EventSummary>
          title="Events"
          options={{ paging: false, search: false, padding: 'dense' }}
          data={value.events}
          columns={[
            { title: 'Type', field: 'type' },
            { title: 'Reason', field: 'reason' },
            { title: 'Object', field: 'object' },
            { title: 'Message', field: 'message' },
            { title: 'Count', field: 'count' },
            { title: 'Last seen', field: 'lastSeen' },
          ]}
        />
      </Grid>
    </Grid>
  );
};
