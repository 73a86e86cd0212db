/**
 * Why the pods of a rollout are not ready, in a few words from their own
 * status and the kubelet's Events: what a rolled-back upgrade's message and
 * Event say beside "not Ready within the deadline" (an image no node has and
 * no registry serves, a crash loop, a failing readiness probe).
 */

const MAX = 400;

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * `pods`: the component's pods; only those running `image` (the new ones)
 * and not being deleted count. `events`: core/v1 Events of the namespace
 * (the kubelet's Unhealthy, the scheduler's FailedScheduling). Undefined
 * when there is nothing to tell.
 */
export function newPodsWhy(pods: any[], events: any[], image: string): string | undefined {
  const mine = pods.filter(p => !p?.metadata?.deletionTimestamp && (p?.spec?.containers ?? []).some((c: any) => c?.image === image));
  const latest = (pod: string, reason: string) =>
    events
      .filter(e => e?.involvedObject?.kind === 'Pod' && e.involvedObject.name === pod && e.reason === reason)
      .sort((a, b) => stamp(b) - stamp(a))[0]?.message;
  const parts = new Set<string>();
  for (const p of mine) {
    const name = p.metadata?.name ?? '?';
    const c = (p.status?.containerStatuses ?? [])[0];
    // an init container (same image) that cannot start or failed: the main one only says PodInitializing
    const init = (p.status?.initContainerStatuses ?? []).find((x: any) => (x.state?.waiting && x.state.waiting.reason !== 'PodInitializing') || (x.state?.terminated && x.state.terminated.exitCode !== 0));
    let why: string | undefined;
    if (init) {
      const w = init.state.waiting;
      const t = init.state.terminated;
      why = `init container ${init.name}: ${w ? `${w.reason ?? 'waiting'}${w.message ? ` (${clip(oneLine(w.message), 160)})` : ''}` : `${t.reason ?? 'exited'}, exit code ${t.exitCode}`}`;
    } else if (!c) {
      const unscheduled = (p.status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled' && x.status === 'False');
      why = unscheduled ? `not scheduled (${unscheduled.message ?? unscheduled.reason ?? 'no reason given'})` : `${p.status?.phase ?? 'Pending'}, no container started`;
    } else if (c.state?.waiting) {
      const w = c.state.waiting;
      why = `${w.reason ?? 'waiting'}${w.message ? ` (${clip(oneLine(w.message), 160)})` : ''}`;
    } else if (c.state?.terminated) {
      const t = c.state.terminated;
      why = `terminated: ${t.reason ?? 'exited'}, exit code ${t.exitCode}`;
    } else if (!c.ready) {
      const probe = latest(name, 'Unhealthy');
      const last = c.lastState?.terminated;
      why = [
        'running, not ready',
        ...(probe ? [clip(oneLine(probe), 160)] : []),
        ...(c.restartCount ? [`${c.restartCount} restart${c.restartCount === 1 ? '' : 's'}${last ? `, last ${last.reason ?? 'exit'} (exit code ${last.exitCode})` : ''}`] : []),
      ].join(': ');
    }
    // the same reason on several pods is said once, with the first pod's name
    if (why && ![...parts].some(x => x.endsWith(`: ${why}`))) parts.add(`${name}: ${why}`);
  }
  if (!parts.size) return undefined;
  return clip([...parts].join('; '), MAX);
}

function stamp(e: any): number {
  const t = e?.lastTimestamp ?? e?.eventTime ?? e?.metadata?.creationTimestamp;
  const ms = t ? new Date(t).getTime() : 0;
  return Number.isNaN(ms) ? 0 : ms;
}
