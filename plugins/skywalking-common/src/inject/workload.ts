/*
 * Injection into workload objects: finds the pod template of Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs (or the Pod itself)
 * and runs injectAgent / removeAgent on it.
 */
import { compare } from 'fast-json-patch';
import { injectAgent, removeAgent } from './inject';
import type { InjectAgentInput, InjectionError, JsonPatchOperation, PodTemplateSpecLike } from './types';

/** Where the pod (template) of each supported kind lives. */
export const WORKLOAD_POD_PATHS: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** The path of an object's pod template, or undefined for kinds that have none. */
export function podTemplatePath(obj: unknown): string[] | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const kind = (obj as { kind?: unknown }).kind;
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(WORKLOAD_POD_PATHS, kind)
    ? WORKLOAD_POD_PATHS[kind]
    : undefined;
}

export interface WorkloadResult<T = unknown> {
  object: T;
  patch: JsonPatchOperation[];
  /** false for kinds without a pod template */
  workload: boolean;
  changed: boolean;
  reason?: string;
  errors: InjectionError[];
  warnings: string[];
}

function getIn(obj: any, path: string[]): any {
  return path.reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function prefixErrors(errors: InjectionError[], path: string[]): InjectionError[] {
  if (!path.length) return errors;
  const prefix = path.join('.');
  return errors.map(e => (/^(metadata|spec)\b/.test(e.path) ? { ...e, path: `${prefix}.${e.path}` } : e));
}

function onTemplate<T>(
  obj: T,
  run: (template: PodTemplateSpecLike) => {
    pod: PodTemplateSpecLike;
    changed: boolean;
    reason?: string;
    errors: InjectionError[];
    warnings: string[];
  },
): WorkloadResult<T> {
  const path = podTemplatePath(obj);
  if (!path) {
    return { object: obj, patch: [], workload: false, changed: false, reason: 'not a workload kind', errors: [], warnings: [] };
  }
  const template = getIn(obj, path);
  if (!template || typeof template !== 'object') {
    return {
      object: obj,
      patch: [],
      workload: true,
      changed: false,
      reason: 'no pod template',
      errors: [{ path: path.join('.') || '.', message: 'is missing' }],
      warnings: [],
    };
  }
  const r = run(template);
  if (!r.changed) {
    return { object: obj, patch: [], workload: true, changed: false, reason: r.reason, errors: prefixErrors(r.errors, path), warnings: r.warnings };
  }
  let object: any;
  if (!path.length) object = r.pod;
  else {
    object = JSON.parse(JSON.stringify(obj));
    const parent = getIn(object, path.slice(0, -1));
    parent[path[path.length - 1]] = r.pod;
  }
  return {
    object,
    patch: compare(obj as object, object),
    workload: true,
    changed: true,
    reason: r.reason,
    errors: prefixErrors(r.errors, path),
    warnings: r.warnings,
  };
}

/** injectAgent on the pod template of a workload object (or on a Pod). */
export function injectWorkload<T>(obj: T, options: Omit<InjectAgentInput, 'pod'> = {}): WorkloadResult<T> {
  return onTemplate(obj, template => {
    const r = injectAgent({ ...options, pod: template });
    return { pod: r.pod, changed: r.injected, reason: r.reason, errors: r.errors, warnings: r.warnings };
  });
}

/** removeAgent on the pod template of a workload object (or on a Pod). */
export function removeWorkload<T>(obj: T): WorkloadResult<T> {
  return onTemplate(obj, template => {
    const r = removeAgent(template);
    return { pod: r.pod, changed: r.removed, reason: r.reason, errors: r.errors, warnings: r.warnings };
  });
}
