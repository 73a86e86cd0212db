import { InfoCard, ResponseErrorPanel, Table } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, LinearProgress, TextField, Typography } from '@material-ui/core';
import {
  BackendRef,
  backendResourceRef,
  BackupRun,
  skywalkingBackendBackupPermission,
  skywalkingBackendCreatePermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { skyWalkingApiRef } from '../../api';
import { ConfirmDialog } from './ConfirmDialog';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Backups of a BanyanDB backend: the recorded schedule and destination, the
 * history of on-demand backups, "Back up now" (skywalking.backend.backup on
 * this backend) and "Restore…" of a finished backup into a new backend
 * (skywalking.backend.create); each hidden when the permission is denied.
 */
export const BackupsSection = ({ backendRef, onRestored }: { backendRef: BackendRef; onRestored?: (ref: BackendRef) => void }) => {
  const api = useApi(skyWalkingApiRef);
  const alertApi = useApi(alertApiRef);
  const canBackup = usePermission({ permission: skywalkingBackendBackupPermission, resourceRef: backendResourceRef(backendRef) });
  const canCreate = usePermission({ permission: skywalkingBackendCreatePermission });
  const { value, error, retry } = useAsyncRetry(() => api.listBackups(backendRef), [api, backendRef.cluster, backendRef.namespace, backendRef.name]);
  const running = (value?.items ?? []).some(r => r.phase === 'Pending' || r.phase === 'Running');
  useInterval(retry, running ? 3000 : null);
  const [confirmBackup, setConfirmBackup] = useState(false);
  const [restoreOf, setRestoreOf] = useState<BackupRun | undefined>();
  const [newName, setNewName] = useState('');

  const backUp = async () => {
    try {
      const run = await api.startBackup(backendRef);
      alertApi.post({ message: `backup ${run.name} of ${backendRef.name} started (${run.backup ?? ''} to ${run.target})`, severity: 'success', display: 'transient' });
      setConfirmBackup(false);
      retry();
    } catch (e: any) {
      alertApi.post({ message: `backup failed: ${e.message}`, severity: 'error' });
    }
  };

  const nameOk = DNS1123_LABEL.test(newName) && newName.length <= 40;
  const restore = async () => {
    if (!restoreOf?.backup || !nameOk) return;
    const target = { ...backendRef, name: newName };
    try {
      const result = await api.restoreBackend(target, { backup: restoreOf.backup, from: backendRef });
      alertApi.post({
        message: result.queued
          ? `restore into ${newName} queued: ${result.message ?? 'cluster unreachable'}`
          : `${newName} is being created from backup ${restoreOf.backup}; its Restored condition tells when the data is back`,
        severity: result.queued ? 'warning' : 'success',
        display: 'transient',
      });
      setRestoreOf(undefined);
      onRestored?.(target);
    } catch (e: any) {
      alertApi.post({ message: `restore failed: ${e.message}`, severity: 'error' });
    }
  };

  const subheader = value
    ? [value.schedule ? `scheduled ${value.schedule}` : 'no schedule (on demand only)', value.target ? `to ${value.target}` : 'no target recorded'].join(', ')
    : undefined;

  return (
    <InfoCard title="Backups" subheader={subheader}>
      {error && <ResponseErrorPanel error={error} />}
      {running && (
        <Box mb={1}>
          <Typography variant="body2">Backing up…</Typography>
          <LinearProgress aria-label="backup in progress" />
        </Box>
      )}
      {canBackup.allowed && (
        <Box mb={1}>
          <Button size="small" variant="outlined" disabled={running || !value?.target} onClick={() => setConfirmBackup(true)}>
            Back up now
          </Button>
        </Box>
      )}
      <Table<BackupRun>
        title={`History (${value?.items.length ?? 0})`}
        options={{ paging: false, search: false, padding: 'dense' }}
        data={value?.items ?? []}
        columns={[
          { title: 'Backup', field: 'backup' },
          { title: 'Phase', field: 'phase' },
          { title: 'Started', field: 'started' },
          { title: 'Finished', field: 'finished' },
          { title: 'Requested by', field: 'requestedBy' },
          { title: 'Job', field: 'name' },
          {
            title: '',
            render: r =>
              canCreate.allowed && r.phase === 'Succeeded' && r.backup ? (
                <Button
                  size="small"
                  onClick={() => {
                    setNewName(`${backendRef.name}-restored`.slice(0, 40));
                    setRestoreOf(r);
                  }}
                >
                  Restore…
                </Button>
              ) : null,
          },
        ]}
      />
      {confirmBackup && (
        <ConfirmDialog
          open
          title={`Back up ${backendRef.name} now`}
          body={<>BanyanDB snapshots its data and a Job copies it to {value?.target}. A backup in the same time directory replaces it.</>}
          confirmLabel="Back up"
          onConfirm={backUp}
          onClose={() => setConfirmBackup(false)}
        />
      )}
      {restoreOf && (
        <ConfirmDialog
          open
          title={`Restore backup ${restoreOf.backup} of ${backendRef.name}`}
          body={
            <>
              A new backend in {backendRef.namespace} starts from this backup: its BanyanDB restores it before it starts.
              <TextField
                fullWidth
                margin="dense"
                label="New backend name"
                value={newName}
                error={!nameOk}
                helperText={nameOk ? undefined : 'lowercase letters, digits and "-", at most 40 characters'}
                inputProps={{ 'aria-label': 'New backend name' }}
                onChange={e => setNewName(e.target.value)}
              />
            </>
          }
          confirmLabel="Restore"
          onConfirm={restore}
          onClose={() => setRestoreOf(undefined)}
        />
      )}
    </InfoCard>
  );
};
