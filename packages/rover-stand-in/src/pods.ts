/**
 * Which containers to follow, and how Rover would name each as a process:
 * the Running pods the label selector picks, each under the Service that
 * selects it (Rover's K8S_SERVICE analyzer only takes pods with a Service,
 * and picks among several the shortest name, then the first in ASCII:
 * apache/skywalking-rover pkg/process/finders/kubernetes/registry.go).
 */
import * as path from 'path';
import { ServingProcess, roverServiceName } from './messages';

/** One container whose log is followed. */
export interface Target {
  /** pod uid and container name: a new pod of the same name is a new target */
  key: string;
  namespace: string;
  pod: string;
  container: string;
  nodeName: string;
  process: ServingProcess;
}

interface PodLike {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: {
    nodeName?: string;
    containers?: { name: string; command?: string[]; ports?: { containerPort: number; protocol?: string }[] }[];
  };
  status?: { phase?: string; podIP?: string; containerStatuses?: { name: string; state?: { running?: unknown } }[] };
}

interface ServiceLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { selector?: Record<string, string> };
}

/** Rover's choice among several Services selecting one pod. */
export function chooseServiceName(a: string, b: string): string {
  if (a.length !== b.length) return a.length < b.length ? a : b;
  return a < b ? a : b;
}

/** The Service Rover names a pod by, or undefined when no Service (with a selector) selects it. */
export function serviceOfPod(pod: PodLike, services: ServiceLike[]): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  let chosen: string | undefined;
  for (const s of services) {
    const sel = s.spec?.selector;
    if (!sel || Object.keys(sel).length === 0 || s.metadata?.namespace !== pod.metadata?.namespace) continue;
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
    const name = s.metadata!.name!;
    chosen = chosen ? chooseServiceName(chosen, name) : name;
  }
  return chosen;
}

/**
 * The containers to follow: running containers of Running pods (on a node)
 * with a Service. `skipped` names the pods left out because no Service
 * selects them, so the caller can say so once.
 */
export function targetsOf(pods: PodLike[], services: ServiceLike[], cluster?: string): { targets: Target[]; withoutService: string[] } {
  const targets: Target[] = [];
  const withoutService: string[] = [];
  for (const pod of pods) {
    const md = pod.metadata;
    if (!md?.name || !md.namespace || !md.uid || pod.status?.phase !== 'Running' || !pod.spec?.nodeName) continue;
    const service = serviceOfPod(pod, services);
    if (!service) {
      withoutService.push(`${md.namespace}/${md.name}`);
      continue;
    }
    for (const c of pod.spec.containers ?? []) {
      const running = pod.status.containerStatuses?.find(s => s.name === c.name)?.state?.running;
      if (!running) continue;
      const port = (c.ports ?? []).find(p => (p.protocol ?? 'TCP') === 'TCP')?.containerPort ?? 0;
      targets.push({
        key: `${md.uid}/${c.name}`,
        namespace: md.namespace,
        pod: md.name,
        container: c.name,
        nodeName: pod.spec.nodeName,
        process: {
          serviceName: roverServiceName(service, md.namespace, cluster),
          podName: md.name,
          containerName: c.name,
          // Rover's process name is the executable's; the image's own entrypoint is not known here
          processName: c.command?.[0] ? path.basename(c.command[0]) : c.name,
          port,
        },
      });
    }
  }
  return { targets, withoutService };
}
