import {
  Content,
  ContentHeader,
  Header,
  Page,
  ResponseErrorPanel,
  SupportButton,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Chip, Link } from '@material-ui/core';
import {
  BackendRef,
  BackendSummary,
  ClusterSummary,
} from '@skywalking-backstage/plugin-skywalking-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { skyWalkingApiRef } from '../../api';
import { PhaseStatus } from '../StatusChip';
import { BackendActions } from './BackendActions';
import { BackendDetailPanel } from './BackendDetailPanel';
import { OutboxStatus } from './OutboxStatus';

const key = (r: BackendRef) => `${r.cluster}/${r.namespace}/${r.name}`;

const ClusterChips = ({ clusters }: { clusters: ClusterSummary[] }) => (
  <Box display="flex" style={{ gap: 8 }} mb={2} flexWrap="wrap">
    {clusters.map(c => (
      <Chip
        key={c.name}
        size="small"
        color={c.reachable ? 'primary' : 'secondary'}
        label={`${c.name}: ${c.reachable ? `reachable${c.serverVersion ? ` (${c.serverVersion})` : ''}` : `unreachable${c.error ? ` - ${c.error}` : ''}`}`}
      />
    ))}
  </Box>
);

/** Every SkyWalking backend across clusters, with status and lifecycle actions. */
export const BackendsPage = () => {
  const api = useApi(skyWalkingApiRef);
  const [selected, setSelected] = useState<BackendRef | undefined>();
  const backends = useAsyncRetry(() => api.listBackends(), [api]);
  const clusters = useAsyncRetry(() => api.listClusters(), [api]);
  // keep status live while anything is converging
  const converging = backends.value?.some(b => b.phase !== 'Ready' && b.phase !== 'Paused');
  useInterval(() => {
    backends.retry();
    clusters.retry();
  }, converging ? 5000 : 30000);

  const columns: TableColumn<BackendSummary>[] = [
    {
      title: 'Name',
      render: b => (
        <Link component="button" onClick={() => setSelected(b)} data-testid={`backend-${b.name}`}>
          {b.name}
        </Link>
      ),
    },
    { title: 'Cluster', field: 'cluster' },
    { title: 'Namespace', field: 'namespace' },
    { title: 'Status', render: b => <PhaseStatus phase={b.phase} /> },
    { title: 'Version', field: 'version' },
    { title: 'OAP', render: b => `${b.oap.ready}/${b.oap.desired}` },
    { title: 'UI', render: b => (b.ui ? `${b.ui.ready}/${b.ui.desired}` : '-') },
    { title: 'Storage', field: 'storage' },
    { title: 'Owner', render: b => b.owner ?? '-' },
    { title: 'Queued changes', render: b => <OutboxStatus backend={b} /> },
    { title: 'Actions', render: b => <BackendActions backend={b} onChanged={backends.retry} /> },
  ];

  return (
    <Page themeId="tool">
      <Header title="SkyWalking backends" subtitle="OAP servers, UIs and storage across your clusters" />
      <Content>
        <ContentHeader title="Backends">
          <SupportButton>
            Provision a backend from the "SkyWalking backend" software template; manage it here.
          </SupportButton>
        </ContentHeader>
        {clusters.value && <ClusterChips clusters={clusters.value} />}
        {clusters.error && <ResponseErrorPanel error={clusters.error} />}
        {backends.error ? (
          <ResponseErrorPanel error={backends.error} />
        ) : (
          <Table<BackendSummary>
            title={`Backends (${backends.value?.length ?? 0})`}
            isLoading={backends.loading && !backends.value}
            options={{ paging: false, padding: 'dense' }}
            data={backends.value ?? []}
            columns={columns}
            emptyContent={
              <Box p={2}>No SkyWalking backends yet. Create one from the software template.</Box>
            }
          />
        )}
        {selected && (
          <Box mt={3} key={key(selected)}>
            <BackendDetailPanel backendRef={selected} listed={backends.value?.find(b => key(b) === key(selected))} />
          </Box>
        )}
      </Content>
    </Page>
  );
};
