import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, TextField, Typography } from '@material-ui/core';
import {
  backendResourceRef,
  BackendSummary,
  skywalkingBackendDeletePermission,
  skywalkingBackendUpdatePermission,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { useState } from 'react';
import { skyWalkingApiRef } from '../../api';
import { ConfirmDialog } from './ConfirmDialog';

type Action = 'scale' | 'pause' | 'resume' | 'upgrade' | 'delete';
type Role = '' | 'receiver' | 'aggregator';

/**
 * The backend's upgrade as its status tells: the step under way (Upgrading),
 * or how the last upgrade ended (Upgraded: Succeeded, or RolledBack and why).
 */
export const UpgradeProgress = ({ backend }: { backend: BackendSummary }) => {
  const upgrading = backend.conditions.find(c => c.type === 'Upgrading');
  const upgraded = backend.conditions.find(c => c.type === 'Upgraded');
  if (upgrading?.status === 'True') {
    return (
      <Typography variant="body2" role="status">
        Upgrade in progress: {upgrading.message}
      </Typography>
    );
  }
  if (!upgraded) return null;
  return (
    <Typography variant="body2" role="status" color={upgraded.status === 'True' ? 'textPrimary' : 'error'}>
      Last upgrade {upgraded.status === 'True' ? 'succeeded' : `rolled back (${upgraded.reason})`}: {upgraded.message}
    </Typography>
  );
};

/** Lifecycle actions for one backend; hidden when the permission framework denies them. */
export const BackendActions = ({
  backend,
  onChanged,
}: {
  backend: BackendSummary;
  onChanged: () => void;
}) => {
  const api = useApi(skyWalkingApiRef);
  const alertApi = useApi(alertApiRef);
  const canUpdate = usePermission({ permission: skywalkingBackendUpdatePermission, resourceRef: backendResourceRef(backend) });
  const canDelete = usePermission({ permission: skywalkingBackendDeletePermission, resourceRef: backendResourceRef(backend) });
  const [action, setAction] = useState<Action | undefined>();
  const [replicas, setReplicas] = useState(String(backend.oap.desired || 1));
  // with role split: both roles by the ratio (''), or one role alone
  const roles = backend.oap.roles;
  const autoscaling = backend.oap.autoscaling;
  const [role, setRole] = useState<Role>('');
  const chooseRole = (r: Role) => {
    setRole(r);
    const counts: Record<Role, number | undefined> = { '': backend.oap.desired || 1, receiver: roles?.receivers, aggregator: roles?.aggregators };
    setReplicas(String(counts[r]));
  };
  const [version, setVersion] = useState(backend.version);
  const [storageVersion, setStorageVersion] = useState('');
  const [deadline, setDeadline] = useState('600');

  const run = async () => {
    let result: WriteResult;
    try {
      switch (action) {
        case 'scale':
          result = role ? await api.scaleBackend(backend, Number(replicas), role) : await api.scaleBackend(backend, Number(replicas));
          break;
        case 'pause':
          result = await api.pauseBackend(backend);
          break;
        case 'resume':
          result = await api.resumeBackend(backend);
          break;
        case 'upgrade':
          result = await api.upgradeBackend(backend, version, {
            ...(storageVersion ? { storageVersion } : {}),
            deadlineSeconds: Number(deadline),
          });
          break;
        default:
          result = await api.deleteBackend(backend);
      }
      alertApi.post({
        message: result.queued
          ? `${action} of ${backend.name} queued: ${result.message ?? 'cluster unreachable'}`
          : `${action} of ${backend.name} requested`,
        severity: result.queued ? 'warning' : 'success',
        display: 'transient',
      });
      setAction(undefined);
      onChanged();
    } catch (e: any) {
      alertApi.post({ message: `${action} failed: ${e.message}`, severity: 'error' });
    }
  };

  const titles: Record<Action, string> = {
    scale: `Scale OAP of ${backend.name}`,
    pause: `Pause ${backend.name}`,
    resume: `Resume ${backend.name}`,
    upgrade: `Upgrade ${backend.name}`,
    delete: `Delete ${backend.name}`,
  };
  const bodies: Record<Action, JSX.Element> = {
    scale: (
      <Box display="flex" flexDirection="column" style={{ gap: 8 }}>
        {roles && (
          <TextField
            select
            label="OAP role"
            value={role}
            SelectProps={{ native: true }}
            inputProps={{ 'aria-label': 'OAP role' }}
            onChange={e => chooseRole(e.target.value as Role)}
            helperText={`${roles.receivers} Receivers, ${roles.aggregators} Aggregators`}
          >
            <option value="">Both roles (shared by the split)</option>
            <option value="receiver">Receivers</option>
            <option value="aggregator">Aggregators</option>
          </TextField>
        )}
        <TextField
          label="OAP replicas"
          type="number"
          value={replicas}
          inputProps={{ min: 0, max: 100, 'aria-label': 'OAP replicas' }}
          onChange={e => setReplicas(e.target.value)}
          helperText={
            autoscaling && role !== 'aggregator'
              ? `${autoscaling.role === 'receiver' ? 'The Receivers are' : 'OAP is'} autoscaled (${autoscaling.minReplicas} to ${autoscaling.maxReplicas}): change oap.autoscaling instead${roles ? ', or scale the Aggregators' : ''}`
              : undefined
          }
        />
      </Box>
    ),
    pause: <>Every component scales to zero. Storage and configuration are kept.</>,
    resume: <>Components come back to the replicas they had before the pause.</>,
    upgrade: (
      <Box display="flex" flexDirection="column" style={{ gap: 8 }}>
        <UpgradeProgress backend={backend} />
        <TextField
          label="SkyWalking version"
          value={version}
          inputProps={{ 'aria-label': 'SkyWalking version' }}
          onChange={e => setVersion(e.target.value)}
          helperText="Storage, then OAP, then UI roll; a version that never becomes ready is rolled back."
        />
        {backend.storage === 'banyandb' && (
          <TextField
            label="BanyanDB version"
            value={storageVersion}
            inputProps={{ 'aria-label': 'BanyanDB version' }}
            onChange={e => setStorageVersion(e.target.value)}
            helperText="Empty: the storage keeps its version."
          />
        )}
        <TextField
          label="Deadline per step (seconds)"
          type="number"
          value={deadline}
          inputProps={{ min: 30, 'aria-label': 'Deadline per step (seconds)' }}
          onChange={e => setDeadline(e.target.value)}
        />
      </Box>
    ),
    delete: (
      <>
        This deletes {backend.namespace}/{backend.name} in cluster {backend.cluster} and
        every object it owns.
      </>
    ),
  };

  return (
    <Box display="flex" style={{ gap: 4 }} flexWrap="wrap">
      {canUpdate.allowed && (
        <>
          <Button size="small" onClick={() => setAction('scale')}>Scale</Button>
          {backend.paused ? (
            <Button size="small" onClick={() => setAction('resume')}>Resume</Button>
          ) : (
            <Button size="small" onClick={() => setAction('pause')}>Pause</Button>
          )}
          <Button size="small" onClick={() => setAction('upgrade')}>Upgrade</Button>
        </>
      )}
      {canDelete.allowed && (
        <Button size="small" color="secondary" onClick={() => setAction('delete')}>
          Delete
        </Button>
      )}
      {action && (
        <ConfirmDialog
          open
          title={titles[action]}
          body={bodies[action]}
          confirmLabel={action === 'delete' ? 'Delete' : 'Confirm'}
          danger={action === 'delete'}
          onConfirm={run}
          onClose={() => setAction(undefined)}
        />
      )}
    </Box>
  );
};
