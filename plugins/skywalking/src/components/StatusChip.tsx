import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { BackendPhase } from '@skywalking-backstage/plugin-skywalking-common';

/** A backend's phase as Backstage's status indicators. */
export const PhaseStatus = ({ phase }: { phase: BackendPhase }) => {
  switch (phase) {
    case 'Ready':
      return <StatusOK>Ready</StatusOK>;
    case 'Progressing':
      return <StatusPending>Progressing</StatusPending>;
    case 'Queued':
      return <StatusPending>Queued (cluster unreachable)</StatusPending>;
    case 'Degraded':
      return <StatusError>Degraded</StatusError>;
    case 'Upgrading':
      return <StatusPending>Upgrading</StatusPending>;
    case 'Paused':
      return <StatusAborted>Paused</StatusAborted>;
    default:
      return <StatusWarning>Unknown</StatusWarning>;
  }
};
