import { InfoCard, ResponseErrorPanel, Table } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, LinearProgress, TextField, Typography } from '@material-ui/core';
import {
  BackendRef,
  backendResourceRef,
  BackupRun,
  skywalkingBackendBackupPermission,
  skywalkingBackendRestorePermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { skyWalkingApiRef } from '../../api';
import { ConfirmDialog } from './ConfirmDialog';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The dump tool of a storage (the summary's SW_STORAGE), for the wording. */
const TOOLS: Record<string, string> = { postgresql: 'pg_dump', mysql: 'mysqldump' };

export interface BackupsSectionProps {
  backendRef: BackendRef;
  /** after a restore into a new backend (BanyanDB) */
  onRestored?: (ref: BackendRef) => void;
  /** the backend is paused: a snapshot can be restored into its database */
  paused?: boolean;
  /** the OAP's storage (SW_STORAGE: banyandb, postgresql, mysql, elasticsearch) */
  storage?: string;
}

/**
 * Backups of a BanyanDB backend: the recorded schedule and destination, the
 * history of on-demand backups, "Back up now" (skywalking.backend.backup on
 * this backend) and "Restore…" of a finished backup into a new backend
 * (skywalking.backend.create); each hidden when the permission is denied.
 *
 * Snapshots of external storage (the list's kind `snapshot`): the same with
 * "Take snapshot now"; "Restore…" of a SQL snapshot replaces the data in this
 * backend's own database and needs the backend paused; Elasticsearch
 * snapshots are restored with Elasticsearch's `_restore` API, not here. The
 * restore Jobs are listed under "Restores".
 */
export const BackupsSection = ({ backendRef, onRestored, paused, storage }: BackupsSectionProps) => {
  const api = useApi(skyWalkingApiRef);
  const alertApi = useApi(alertApiRef);
  const canBackup = usePermission({ permission: skywalkingBackendBackupPermission, resourceRef: backendResourceRef(backendRef) });
  const canCreate = usePermission({ permission: skywalkingBackendRestorePermission, resourceRef: backendResourceRef(backendRef) });
  const { value, error, retry } = useAsyncRetry(() => api.listBackups(backendRef), [api, backendRef.cluster, backendRef.namespace, backendRef.name]);
  const isActive = (r: BackupRun) => r.phase === 'Pending' || r.phase === 'Running';
  const running = (value?.items ?? []).some(isActive);
  const restores = value?.restores ?? [];
  const restoring = restores.some(isActive);
  useInterval(retry, running || restoring ? 3000 : null);
  // the list says which; before it is there, the storage does
  const snapshots = value?.kind ? value.kind === 'snapshot' : !!storage && storage !== 'banyandb';
  const elasticsearch = snapshots && storage === 'elasticsearch';
  const noun = snapshots ? 'snapshot' : 'backup';
  const [confirmBackup, setConfirmBackup] = useState(false);
  const [restoreOf, setRestoreOf] = useState<BackupRun | undefined>();
  const [newName, setNewName] = useState('');

  const backUp = async () => {
    try {
      const run = await api.startBackup(backendRef);
      alertApi.post({
        message: snapshots
          ? `snapshot ${run.name} of ${backendRef.name} started (to ${run.target})`
          : `backup ${run.name} of ${backendRef.name} started (${run.backup ?? ''} to ${run.target})`,
        severity: 'success',
        display: 'transient',
      });
      setConfirmBackup(false);
      retry();
    } catch (e: any) {
      alertApi.post({ message: `${noun} failed: ${e.message}`, severity: 'error' });
    }
  };

  /** a SQL snapshot into this backend's own database (the API refuses unless it is paused) */
  const restoreSnapshot = async () => {
    if (!restoreOf?.backup) return;
    try {
      const result = await api.restoreBackend(backendRef, { backup: restoreOf.backup });
      alertApi.post({
        message: result.queued
          ? `restore of snapshot ${restoreOf.backup} queued: ${result.message ?? 'cluster unreachable'}`
          : `snapshot ${restoreOf.backup} is being restored into ${backendRef.name}'s database${result.job ? ` (Job ${result.job})` : ''}; resume ${backendRef.name} when it has succeeded`,
        severity: result.queued ? 'warning' : 'success',
        display: 'transient',
      });
      setRestoreOf(undefined);
      retry();
    } catch (e: any) {
      alertApi.post({ message: `restore failed: ${e.message}`, severity: 'error' });
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

  const canRestore = (r: BackupRun) => canCreate.allowed && r.phase === 'Succeeded' && !!r.backup && !elasticsearch;
  const restoreDisabled = snapshots && (!paused || restoring);
  let restoreHint: string | undefined;
  if (snapshots && restoring) restoreHint = 'a restore is running';
  else if (snapshots && !paused) restoreHint = `pause ${backendRef.name} first`;

  return (
    <InfoCard title={snapshots ? 'Snapshots' : 'Backups'} subheader={subheader}>
      {error && <ResponseErrorPanel error={error} />}
      {running && (
        <Box mb={1}>
          <Typography variant="body2">{snapshots ? 'Taking a snapshot…' : 'Backing up…'}</Typography>
          <LinearProgress aria-label={`${noun} in progress`} />
        </Box>
      )}
      {restoring && (
        <Box mb={1}>
          <Typography variant="body2">Restoring a snapshot…</Typography>
          <LinearProgress aria-label="restore in progress" />
        </Box>
      )}
      {canBackup.allowed && (
        <Box mb={1}>
          <Button size="small" variant="outlined" disabled={running || !value?.target} onClick={() => setConfirmBackup(true)}>
            {snapshots ? 'Take snapshot now' : 'Back up now'}
          </Button>
        </Box>
      )}
      {snapshots && elasticsearch && (
        <Box mb={1}>
          <Typography variant="body2" color="textSecondary">
            Elasticsearch snapshots are restored with Elasticsearch's own <code>_restore</code> API (POST _snapshot/&lt;repository&gt;/&lt;snapshot&gt;/_restore, on
            closed or deleted indices); the portal takes them but does not restore them.
          </Typography>
        </Box>
      )}
      {snapshots && !elasticsearch && canCreate.allowed && !paused && (value?.items ?? []).some(canRestore) && (
        <Box mb={1}>
          <Typography variant="body2" color="textSecondary">
            Pause {backendRef.name} to restore a snapshot: OAP would keep writing into the tables the restore replaces.
          </Typography>
        </Box>
      )}
      <Table<BackupRun>
        title={`History (${value?.items.length ?? 0})`}
        options={{ paging: false, search: false, padding: 'dense' }}
        data={value?.items ?? []}
        columns={[
          { title: snapshots ? 'Snapshot' : 'Backup', field: 'backup' },
          { title: 'Phase', field: 'phase' },
          { title: 'Started', field: 'started' },
          { title: 'Finished', field: 'finished' },
          { title: 'Requested by', field: 'requestedBy' },
          { title: 'Job', field: 'name' },
          {
            title: '',
            render: r =>
              canRestore(r) ? (
                <Button
                  size="small"
                  disabled={restoreDisabled}
                  title={restoreHint}
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
      {restores.length > 0 && (
        <Box mt={2}>
          <Table<BackupRun>
            title={`Restores (${restores.length})`}
            options={{ paging: false, search: false, padding: 'dense' }}
            data={restores}
            columns={[
              { title: 'Restore', field: 'name' },
              { title: 'Snapshot', field: 'backup' },
              { title: 'Phase', field: 'phase' },
              { title: 'Started', field: 'started' },
              { title: 'Finished', field: 'finished' },
              { title: 'Requested by', field: 'requestedBy' },
            ]}
          />
        </Box>
      )}
      {confirmBackup && !snapshots && (
        <ConfirmDialog
          open
          title={`Back up ${backendRef.name} now`}
          body={<>BanyanDB snapshots its data and a Job copies it to {value?.target}. A backup in the same time directory replaces it.</>}
          confirmLabel="Back up"
          onConfirm={backUp}
          onClose={() => setConfirmBackup(false)}
        />
      )}
      {confirmBackup && snapshots && (
        <ConfirmDialog
          open
          title={`Take a snapshot of ${backendRef.name} now`}
          body={
            elasticsearch ? (
              <>A Job asks Elasticsearch to snapshot the backend's indices into {value?.target}.</>
            ) : (
              <>
                A Job dumps the backend's database with {TOOLS[storage ?? ''] ?? "the storage's dump tool"} to {value?.target}; the oldest dumps beyond the kept
                number are removed.
              </>
            )
          }
          confirmLabel="Take snapshot"
          onConfirm={backUp}
          onClose={() => setConfirmBackup(false)}
        />
      )}
      {restoreOf && snapshots && (
        <ConfirmDialog
          open
          danger
          title={`Restore snapshot ${restoreOf.backup} of ${backendRef.name}`}
          body={
            <>
              <Typography component="span" display="block" gutterBottom>
                The snapshot replaces the data in {backendRef.name}'s own database: what OAP stored since {restoreOf.finished ?? 'the snapshot'} is lost.
              </Typography>
              <Typography component="span" display="block" gutterBottom>
                The backend must be paused first, so that OAP does not write into the tables being replaced; resume it when the restore has succeeded.
              </Typography>
              <Typography component="span" display="block" color={paused ? 'textPrimary' : 'error'}>
                {paused ? `${backendRef.name} is paused.` : `${backendRef.name} is not paused: pause it first.`}
              </Typography>
            </>
          }
          confirmLabel="Restore"
          confirmDisabled={!paused}
          onConfirm={restoreSnapshot}
          onClose={() => setRestoreOf(undefined)}
        />
      )}
      {restoreOf && !snapshots && (
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
