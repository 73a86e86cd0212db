import { BackendPhase, SkyWalkingBackendSpec, StatusCondition } from '@skywalking-backstage/plugin-skywalking-common';
import { upgradeInProgress, upgradeOf } from '../engine/upgrade';
import { Obj, PAUSED_ANNOTATION, recorded, ROVER_ANNOTATION } from './backendObjects';

function condition(o: Obj | undefined, type: string) {
  return (o?.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** Phase of a backend from its custom objects' spec and status. */
export function phaseOf(oap: Obj, ui?: Obj, storage?: Obj): BackendPhase {
  if (oap.metadata?.annotations?.[PAUSED_ANNOTATION]) return 'Paused';
  // the engine advances it, or rolls it back (engine/upgrade.ts)
  if (upgradeInProgress(upgradeOf(oap))) return 'Upgrading';
  const parts = [oap, ui, storage].filter(Boolean) as Obj[];
  if (parts.some(p => condition(p, 'Degraded')?.status === 'True')) return 'Degraded';
  if (!oap.status) return 'Progressing';
  const oapReady = (oap.status?.availableReplicas ?? 0) >= (oap.spec?.instances ?? 1) && condition(oap, 'Ready')?.status !== 'False';
  const uiReady = !ui || ((ui.status?.availableReplicas ?? 0) >= (ui.spec?.instances ?? 1) && condition(ui, 'Ready')?.status !== 'False');
  const storageReady = !storage || condition(storage, 'Ready')?.status === 'True';
  return oapReady && uiReady && storageReady ? 'Ready' : 'Progressing';
}

/** The `rover` a backend was created or updated with (recorded on its OAPServer). */
export function roverOf(oap: Obj): SkyWalkingBackendSpec['rover'] | undefined {
  return recorded(oap, ROVER_ANNOTATION);
}

/**
 * RoverReady of a backend from its Rover DaemonSet: True when a pod is ready
 * on every node it is scheduled to (and at least one); none when Rover is
 * neither asked for nor deployed.
 */
export function roverCondition(oap: Obj, daemonSet?: { metadata?: any; status?: any }): StatusCondition | undefined {
  const enabled = roverOf(oap)?.enabled === true;
  if (!daemonSet) {
    return enabled ? { type: 'RoverReady', status: 'False', reason: 'NotDeployed', message: 'the Rover DaemonSet does not exist (yet)' } : undefined;
  }
  const st = daemonSet.status ?? {};
  const desired = st.desiredNumberScheduled ?? 0;
  const ready = st.numberReady ?? 0;
  const current = (st.observedGeneration ?? 0) >= (daemonSet.metadata?.generation ?? 0) && (st.updatedNumberScheduled ?? desired) >= desired;
  if (desired > 0 && ready === desired && current) {
    return { type: 'RoverReady', status: 'True', reason: 'AllNodesReady', message: `Rover ready on ${ready}/${desired} nodes` };
  }
  return {
    type: 'RoverReady',
    status: 'False',
    reason: 'Progressing',
    message: desired === 0 ? 'Rover is scheduled to no node yet' : `Rover ready on ${ready}/${desired} nodes${current ? '' : ', rollout in progress'}`,
  };
}

