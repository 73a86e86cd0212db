/*
 * Pure SkyWalking java agent injection, compatible with the SWCK injector:
 * same opt-in labels, same annotations, same init container, volume and
 * JAVA_TOOL_OPTIONS option. Differences on purpose: existing
 * JAVA_TOOL_OPTIONS values are appended to (SWCK adds a second env entry that
 * hides the first), annotation values are validated strictly, service-mesh
 * sidecars are never injected, and every addition is recorded in a marker
 * annotation so that removeAgent can undo exactly that.
 */
import { matchesAny } from '../specPolicy';
import { compare } from 'fast-json-patch';
import { compileContainerMatcher, MAX_CONTAINER_NAME_LENGTH } from './containerMatcher';
import {
  AGENT_OVERLAY_ANNOTATION,
  BOOTSTRAP_PLUGINS_ANNOTATION,
  DEFAULT_AGENT_IMAGE,
  DEFAULT_CA_VOLUME_NAME,
  DEFAULT_ENV_NAME,
  DEFAULT_INIT_ARGS_OPTION,
  DEFAULT_INIT_COMMAND,
  DEFAULT_INIT_CONTAINER_NAME,
  DEFAULT_MOUNT_PATH,
  DEFAULT_SHARED_VOLUME_NAME,
  defaultInitArgsCommand,
  defaultJavaAgentOption,
  ENV_AGENT_NAME,
  ENV_COLLECTOR_BACKEND_SERVICES,
  INJECT_CONTAINER_ANNOTATION,
  INJECTED_MARKER_ANNOTATION,
  ISTIO_STATUS_ANNOTATION,
  NAMESPACE_INJECT_LABEL,
  NEVER_INJECTED_CONTAINERS,
  OPTIONAL_PLUGINS_ANNOTATION,
  OPTIONAL_REPORTER_PLUGINS_ANNOTATION,
  POD_INJECT_LABEL,
  SWCK_SUCCEED_ANNOTATION,
} from './constants';
import type {
  ContainerLike,
  EnvVarLike,
  InjectAgentInput,
  InjectAgentResult,
  InjectionError,
  InjectionRecord,
  PodLike,
  PodTemplateSpecLike,
  SwAgentDefaults,
} from './types';
import {
  AgentAnnotationConfig,
  checkBackendServices,
  checkContainerMatcher,
  checkDnsLabel,
  checkImage,
  checkPluginName,
  checkResources,
  checkServiceName,
  formatAgentOptionValue,
  parseAgentAnnotations,
  parseResources,
} from './validate';

type AnyPod = PodLike | PodTemplateSpecLike;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function unchanged<P extends AnyPod>(
  pod: P,
  reason: string,
  errors: InjectionError[] = [],
  warnings: string[] = [],
): InjectAgentResult<P> {
  return { pod: clone(pod), patch: [], injected: false, reason, errors, warnings };
}

/** True when the pod runs an Istio sidecar (container or injection status annotation). */
export function isIstioPod(pod: AnyPod): boolean {
  const names = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map(c => c?.name);
  return names.includes('istio-proxy') || !!pod.metadata?.annotations?.[ISTIO_STATUS_ANNOTATION];
}

/** True when the pod carries the injection of this module or of SWCK. */
export function isAgentInjected(pod: AnyPod): boolean {
  const a = pod.metadata?.annotations ?? {};
  return INJECTED_MARKER_ANNOTATION in a || String(a[SWCK_SUCCEED_ANNOTATION]).toLowerCase() === 'true';
}

function mergeConfigs(base: AgentAnnotationConfig, over: AgentAnnotationConfig, overKeys: string[]): AgentAnnotationConfig {
  const merge = (a: Array<[string, string]>, b: Array<[string, string]>) =>
    [...new Map([...a, ...b]).entries()].sort(([x], [y]) => Number(x > y) - Number(x < y));
  return {
    sidecar: { ...base.sidecar, ...over.sidecar },
    agentOptions: merge(base.agentOptions, over.agentOptions),
    pluginOptions: merge(base.pluginOptions, over.pluginOptions),
    optionalPlugins: over.optionalPlugins ?? base.optionalPlugins,
    optionalReporterPlugins: over.optionalReporterPlugins ?? base.optionalReporterPlugins,
    bootstrapPlugins: over.bootstrapPlugins ?? base.bootstrapPlugins,
    containerMatcher: over.containerMatcher ?? base.containerMatcher,
    overlay: overKeys.includes(AGENT_OVERLAY_ANNOTATION) ? over.overlay : base.overlay,
  };
}

/** Drops invalid fields of the SwAgent defaults, reporting them. */
function checkDefaults(d: SwAgentDefaults | undefined, errors: InjectionError[]): SwAgentDefaults {
  if (!d || typeof d !== 'object') return {};
  const out: SwAgentDefaults = {};
  const str = (path: string, v: unknown, check: (s: string) => string | undefined): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    const problem = typeof v === 'string' ? check(v) : 'must be a string';
    if (problem) {
      errors.push({ path, message: problem });
      return undefined;
    }
    return v as string;
  };
  out.containerMatcher = str('defaults.containerMatcher', d.containerMatcher, checkContainerMatcher);
  out.sharedVolumeName = str('defaults.sharedVolumeName', d.sharedVolumeName, checkDnsLabel);
  const js = d.javaSidecar ?? {};
  const strings = (path: string, v: unknown): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) {
      errors.push({ path, message: 'must be a list of strings' });
      return undefined;
    }
    return v.length ? [...(v as string[])] : undefined;
  };
  out.javaSidecar = {
    name: str('defaults.javaSidecar.name', js.name, checkDnsLabel),
    image: str('defaults.javaSidecar.image', js.image, checkImage),
    // command/args of the SwAgent are set by the namespace administrator and used as given
    command: strings('defaults.javaSidecar.command', js.command),
    args: strings('defaults.javaSidecar.args', js.args),
  };
  if (js.resources && typeof js.resources === 'object') {
    const resources: { limits?: Record<string, string>; requests?: Record<string, string> } = {};
    for (const kind of ['limits', 'requests'] as const) {
      const r = js.resources[kind];
      if (r === undefined) continue;
      const problem = checkResources(JSON.stringify(r));
      if (problem) errors.push({ path: `defaults.javaSidecar.resources.${kind}`, message: problem });
      else resources[kind] = parseResources(JSON.stringify(r));
    }
    out.javaSidecar.resources = resources;
  }
  if (js.env !== undefined) {
    if (!Array.isArray(js.env)) errors.push({ path: 'defaults.javaSidecar.env', message: 'must be a list of env vars' });
    else {
      out.javaSidecar.env = js.env.filter((e, i) => {
        const ok = e && typeof e === 'object' && typeof e.name === 'string' && /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(e.name);
        if (!ok) errors.push({ path: `defaults.javaSidecar.env[${i}]`, message: 'is not an env var with a valid name' });
        return ok;
      });
    }
  }
  for (const key of ['optionalPlugins', 'optionalReporterPlugins', 'bootstrapPlugins'] as const) {
    const list = d[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errors.push({ path: `defaults.${key}`, message: 'must be a list of plugin names' });
      continue;
    }
    out[key] = list.filter((p, i) => {
      const problem = typeof p === 'string' ? checkPluginName(p) : 'must be a string';
      if (problem) errors.push({ path: `defaults.${key}[${i}]`, message: problem });
      return !problem;
    });
  }
  return out;
}

function lastIndexOfName<T extends { name?: unknown }>(list: T[] | undefined, name: string): number {
  if (!list) return -1;
  for (let i = list.length - 1; i >= 0; i--) if (list[i]?.name === name) return i;
  return -1;
}

/**
 * Injects the SkyWalking java agent into a Pod or a workload's pod template.
 * Pure: the input is not modified; the result holds a patched copy and the
 * RFC 6902 patch from input to copy. Invalid annotations, defaults or backend
 * values are reported in `errors` and left out; the rest is still applied.
 * Calling it on its own output changes nothing.
 */
export function injectAgent<P extends AnyPod>(input: InjectAgentInput & { pod: P }): InjectAgentResult<P & PodTemplateSpecLike> {
  const original = input.pod;
  const errors: InjectionError[] = [];
  const warnings: string[] = [];
  if (!original || typeof original !== 'object' || !original.spec || !Array.isArray(original.spec.containers)) {
    return unchanged(original ?? ({} as P), 'not a pod or pod template (no spec.containers)', [
      { path: 'spec.containers', message: 'is missing' },
    ]);
  }
  if (!original.spec.containers.length) return unchanged(original, 'the pod has no containers');
  const labels = original.metadata?.labels ?? {};
  const podAnnotations = original.metadata?.annotations ?? {};

  if (INJECTED_MARKER_ANNOTATION in podAnnotations) return unchanged(original, 'already injected');
  if (String(podAnnotations[SWCK_SUCCEED_ANNOTATION]).toLowerCase() === 'true') {
    return unchanged(original, `already injected by SWCK (${SWCK_SUCCEED_ANNOTATION})`);
  }
  const podOptIn = String(labels[POD_INJECT_LABEL] ?? '').toLowerCase();
  if (podOptIn === 'false') return unchanged(original, `the pod opted out (label ${POD_INJECT_LABEL}: "false")`);
  if (podOptIn !== 'true' && !input.force) {
    return unchanged(original, `the pod is not opted in (label ${POD_INJECT_LABEL}: "true")`);
  }
  if (input.namespaceLabels) {
    const ns = String(input.namespaceLabels[NAMESPACE_INJECT_LABEL] ?? '').toLowerCase();
    if (ns === 'disabled') return unchanged(original, `injection is disabled for the namespace (label ${NAMESPACE_INJECT_LABEL}: disabled)`);
    if (ns !== 'enabled' && !input.force) {
      return unchanged(original, `injection is not enabled for the namespace (label ${NAMESPACE_INJECT_LABEL}: enabled)`);
    }
  }

  // ---- configuration: annotations > SwAgent defaults > SWCK defaults
  const fromPod = parseAgentAnnotations(podAnnotations, 'metadata.annotations');
  const overrides = input.annotations ?? {};
  const fromInput = parseAgentAnnotations(overrides, 'annotations');
  errors.push(...fromPod.errors, ...fromInput.errors);
  const cfg = mergeConfigs(fromPod.config, fromInput.config, Object.keys(overrides));
  const defaults = checkDefaults(input.defaults, errors);
  const sidecarDefaults = defaults.javaSidecar ?? {};

  const backendEnv: EnvVarLike[] = [];
  const backend = input.backend ?? {};
  if (backend.agentServiceName !== undefined) {
    const problem = typeof backend.agentServiceName === 'string' ? checkServiceName(backend.agentServiceName) : 'must be a string';
    if (problem) errors.push({ path: 'backend.agentServiceName', message: problem });
    else backendEnv.push({ name: ENV_AGENT_NAME, value: backend.agentServiceName });
  }
  if (backend.collectorAddress !== undefined) {
    const problem = typeof backend.collectorAddress === 'string' ? checkBackendServices(backend.collectorAddress) : 'must be a string';
    if (problem) errors.push({ path: 'backend.collectorAddress', message: problem });
    else backendEnv.push({ name: ENV_COLLECTOR_BACKEND_SERVICES, value: backend.collectorAddress });
  }

  let caConfigMap: string | undefined;
  if (backend.caConfigMap !== undefined) {
    const v = backend.caConfigMap;
    if (typeof v !== 'string' || v.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v)) {
      errors.push({ path: 'backend.caConfigMap', message: `${JSON.stringify(v)} is not a ConfigMap name; the agent gets no CA` });
    } else caConfigMap = v;
  }

  const sc = cfg.sidecar;
  const mountPath = sc['sidecarVolumeMount.MountPath'] ?? DEFAULT_MOUNT_PATH;
  const volumeName = sc['sidecarVolume.Name'] ?? defaults.sharedVolumeName ?? DEFAULT_SHARED_VOLUME_NAME;
  const initName = sc['initcontainer.Name'] ?? sidecarDefaults.name ?? DEFAULT_INIT_CONTAINER_NAME;
  const image = sc['initcontainer.Image'] ?? sidecarDefaults.image ?? DEFAULT_AGENT_IMAGE;
  if (input.allowedImages && !matchesAny(input.allowedImages, image)) {
    errors.push({ path: 'initcontainer.Image', message: `${JSON.stringify(image)} is not an allowed agent image (skywalking.allowedImages)` });
    return unchanged(original, 'the agent image is not allowed', errors, warnings);
  }

  let command: string[];
  let args: string[];
  const annotatedCommand =
    sc['initcontainer.Command'] !== undefined || sc['initcontainer.args.Option'] !== undefined || sc['initcontainer.args.Command'] !== undefined;
  if (!annotatedCommand && sidecarDefaults.command?.length) {
    command = sidecarDefaults.command;
    args = sidecarDefaults.args ?? [];
    if (command.length === 1 && /\s/.test(command[0]) && !args.length) {
      // SWCK's SwAgent CRD defaults `command` to a shell snippet; run it through sh -c
      args = [DEFAULT_INIT_ARGS_OPTION, command[0]];
      command = [DEFAULT_INIT_COMMAND];
    }
  } else if (!annotatedCommand && sidecarDefaults.args?.length) {
    command = [DEFAULT_INIT_COMMAND];
    args = sidecarDefaults.args;
  } else {
    command = [sc['initcontainer.Command'] ?? DEFAULT_INIT_COMMAND];
    args = [
      sc['initcontainer.args.Option'] ?? DEFAULT_INIT_ARGS_OPTION,
      sc['initcontainer.args.Command'] ?? defaultInitArgsCommand(mountPath),
    ];
  }
  const copySteps: string[] = [];
  const pluginSets: Array<[string | undefined, string[] | undefined, string]> = [
    [cfg.optionalPlugins, defaults.optionalPlugins, 'optional-plugins'],
    [cfg.optionalReporterPlugins, defaults.optionalReporterPlugins, 'optional-reporter-plugins'],
    [cfg.bootstrapPlugins, defaults.bootstrapPlugins, 'bootstrap-plugins'],
  ];
  for (const [annotated, fromDefaults, dir] of pluginSets) {
    const selection = annotated ?? (fromDefaults?.length ? fromDefaults.join('|') : undefined);
    if (selection) {
      copySteps.push(`cd ${mountPath}/${dir}/ && ls | grep -E "${selection}"  | xargs -i cp {} ${mountPath}/plugins/`);
    }
  }
  if (copySteps.length) {
    if (args.length) args = [...args.slice(0, -1), [args[args.length - 1], ...copySteps].join(' && ')];
    else errors.push({ path: OPTIONAL_PLUGINS_ANNOTATION, message: 'the init container has no shell command to extend; plugins not selected' });
  }

  const resources: { limits?: Record<string, string>; requests?: Record<string, string> } = { ...(sidecarDefaults.resources ?? {}) };
  for (const kind of ['limits', 'requests'] as const) {
    const v = sc[`initcontainer.resources.${kind}`];
    if (v !== undefined) {
      const parsed = parseResources(v);
      if (parsed) resources[kind] = parsed;
      else delete resources[kind];
    }
  }

  const envName = sc['env.Name'] ?? DEFAULT_ENV_NAME;
  let agentOption = sc['env.Value'] ?? defaultJavaAgentOption(mountPath);
  const jarOption = agentOption;
  if (cfg.overlay) {
    const options = [...cfg.agentOptions, ...cfg.pluginOptions].map(([k, v]) => `${k}=${formatAgentOptionValue(v)}`);
    if (options.length) agentOption = `${agentOption}=${options.join(',')}`;
  } else if (cfg.agentOptions.length || cfg.pluginOptions.length) {
    warnings.push('agent and plugin annotations ignored: strategy.skywalking.apache.org/agent.Overlay is "false"');
  }
  const extraEnv: EnvVarLike[] = [...backendEnv];
  for (const e of sidecarDefaults.env ?? []) {
    if (!extraEnv.some(x => x.name.toLowerCase() === e.name.toLowerCase()) && e.name !== envName) extraEnv.push(clone(e));
  }

  // ---- where it goes
  const pod = clone(original);
  const spec = pod.spec;
  const allNames = [...spec.containers, ...(spec.initContainers ?? [])].map(c => c?.name);
  if (allNames.includes(initName)) {
    errors.push({ path: 'spec.initContainers', message: `a container named ${JSON.stringify(initName)} already exists` });
    return unchanged(original, 'init container name is taken', errors, warnings);
  }
  if ((spec.volumes ?? []).some(v => v?.name === volumeName)) {
    errors.push({ path: 'spec.volumes', message: `a volume named ${JSON.stringify(volumeName)} already exists` });
    return unchanged(original, 'shared volume name is taken', errors, warnings);
  }
  const caVolume = volumeName === DEFAULT_SHARED_VOLUME_NAME ? DEFAULT_CA_VOLUME_NAME : `${volumeName.slice(0, 60)}-ca`;
  if (caConfigMap && (spec.volumes ?? []).some(v => v?.name === caVolume)) {
    errors.push({ path: 'spec.volumes', message: `a volume named ${JSON.stringify(caVolume)} already exists` });
    return unchanged(original, 'CA volume name is taken', errors, warnings);
  }
  const caMountPath = `${mountPath.replace(/\/+$/, '')}/ca`;

  const candidates = spec.containers
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c && typeof c.name === 'string' && !NEVER_INJECTED_CONTAINERS.includes(c.name));
  let targets = candidates;
  const annotatedMatcherRejected =
    (INJECT_CONTAINER_ANNOTATION in podAnnotations || INJECT_CONTAINER_ANNOTATION in overrides) && cfg.containerMatcher === undefined;
  const matcher = cfg.containerMatcher ?? defaults.containerMatcher;
  if (annotatedMatcherRejected) {
    // SWCK injects the first container when the matcher does not compile
    targets = candidates.slice(0, 1);
    warnings.push(`invalid ${INJECT_CONTAINER_ANNOTATION}; injecting the first container only, as SWCK does`);
  } else if (matcher) {
    // checked above (annotation or defaults): compiles with RE2, linear-time matching
    const compiled = compileContainerMatcher(matcher);
    const re = compiled.ok ? compiled.matcher : { test: () => false };
    const tooLong = candidates.filter(({ c }) => c.name.length > MAX_CONTAINER_NAME_LENGTH);
    if (tooLong.length) {
      warnings.push(`${tooLong.length} container name(s) longer than ${MAX_CONTAINER_NAME_LENGTH} characters never match ${INJECT_CONTAINER_ANNOTATION}`);
    }
    targets = candidates.filter(({ c }) => re.test(c.name));
  }
  if (!targets.length) {
    return unchanged(
      original,
      matcher ? `no container matches ${JSON.stringify(matcher)}` : 'no container to inject (only service-mesh sidecars)',
      errors,
      warnings,
    );
  }

  const record: InjectionRecord = { v: 1, initContainer: initName, volume: volumeName, created: [], annotations: [], containers: [] };
  for (const { c, i } of targets) {
    const container = spec.containers[i] as ContainerLike;
    const base = `spec.containers[${i}]`;
    if ((container.volumeMounts ?? []).some(m => m?.mountPath === mountPath || m?.name === volumeName)) {
      errors.push({ path: `${base}.volumeMounts`, message: `${mountPath} or volume ${volumeName} is already mounted; container ${c.name} not injected` });
      continue;
    }
    const env = container.env;
    if (env !== undefined && !Array.isArray(env)) {
      errors.push({ path: `${base}.env`, message: 'is not a list; container not injected' });
      continue;
    }
    const optionIndex = lastIndexOfName(env, envName);
    const existing = optionIndex >= 0 ? env![optionIndex] : undefined;
    if (existing && existing.valueFrom !== undefined) {
      errors.push({
        path: `${base}.env[${optionIndex}]`,
        message: `${envName} of container ${c.name} comes from valueFrom; the agent option cannot be appended, container not injected`,
      });
      continue;
    }
    if (existing && typeof existing.value === 'string' && existing.value.includes(jarOption)) {
      warnings.push(`container ${c.name} already loads ${jarOption} through ${envName}; not injected`);
      continue;
    }
    const entry: InjectionRecord['containers'][number] = { name: c.name, volumeMount: { name: volumeName, mountPath }, env: [] };
    if (!container.volumeMounts) {
      container.volumeMounts = [];
      record.created.push(`containers/${c.name}/volumeMounts`);
    }
    container.volumeMounts.push({ name: volumeName, mountPath });
    if (caConfigMap) {
      // after the agent's volume: the CA directory is mounted inside it
      container.volumeMounts.push({ name: caVolume, mountPath: caMountPath, readOnly: true });
      entry.caMount = { name: caVolume, mountPath: caMountPath };
    }
    if (!container.env) {
      container.env = [];
      record.created.push(`containers/${c.name}/env`);
    }
    if (existing) {
      const had = typeof existing.value === 'string' && existing.value !== '';
      const text = had ? ` ${agentOption}` : agentOption;
      existing.value = `${existing.value ?? ''}${text}`;
      entry.appended = { name: envName, text };
    } else {
      container.env.push({ name: envName, value: agentOption });
      entry.env.push(envName);
    }
    for (const e of extraEnv) {
      if (container.env.some(x => x?.name?.toLowerCase() === e.name.toLowerCase())) {
        warnings.push(`container ${c.name} already sets ${e.name}; kept its value`);
        continue;
      }
      container.env.push(clone(e));
      entry.env.push(e.name);
    }
    record.containers.push(entry);
  }
  if (!record.containers.length) return unchanged(original, 'no container could be injected', errors, warnings);

  const init: ContainerLike = { name: initName, image, command, args, volumeMounts: [{ name: volumeName, mountPath }] };
  if (resources.limits || resources.requests) init.resources = resources;
  if (!spec.initContainers) {
    spec.initContainers = [];
    record.created.push('spec.initContainers');
  }
  spec.initContainers.push(init);
  if (!spec.volumes) {
    spec.volumes = [];
    record.created.push('spec.volumes');
  }
  spec.volumes.push({ name: volumeName, emptyDir: {} });
  if (caConfigMap) {
    // ca.crt only: the ConfigMap holds no key
    spec.volumes.push({ name: caVolume, configMap: { name: caConfigMap, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    record.caVolume = caVolume;
  }

  if (!pod.metadata) {
    pod.metadata = {};
    record.created.push('metadata');
  }
  if (!pod.metadata.annotations) {
    pod.metadata.annotations = {};
    record.created.push('metadata.annotations');
  }
  pod.metadata.annotations[SWCK_SUCCEED_ANNOTATION] = 'true';
  record.annotations.push(SWCK_SUCCEED_ANNOTATION);
  pod.metadata.annotations[INJECTED_MARKER_ANNOTATION] = JSON.stringify(record);

  const skipped = targets.length - record.containers.length;
  return {
    pod,
    patch: compare(original as object, pod as object),
    injected: true,
    ...(skipped ? { reason: `${skipped} of ${targets.length} selected containers could not be injected` } : {}),
    errors,
    warnings,
  };
}

export interface RemoveAgentResult<P = AnyPod> {
  pod: P;
  patch: InjectAgentResult['patch'];
  removed: boolean;
  reason?: string;
  errors: InjectionError[];
  warnings: string[];
}

function parseRecord(raw: unknown): InjectionRecord | string {
  if (typeof raw !== 'string') return 'is not a string';
  let r: any;
  try {
    r = JSON.parse(raw);
  } catch (e: any) {
    return `is not JSON (${e.message})`;
  }
  const strs = (v: unknown) => Array.isArray(v) && v.every(x => typeof x === 'string');
  if (
    !r ||
    r.v !== 1 ||
    typeof r.initContainer !== 'string' ||
    typeof r.volume !== 'string' ||
    (r.caVolume !== undefined && typeof r.caVolume !== 'string') ||
    !strs(r.created) ||
    !strs(r.annotations) ||
    !Array.isArray(r.containers) ||
    !r.containers.every(
      (c: any) =>
        c &&
        typeof c.name === 'string' &&
        c.volumeMount &&
        typeof c.volumeMount.name === 'string' &&
        strs(c.env) &&
        (c.appended === undefined || (typeof c.appended.name === 'string' && typeof c.appended.text === 'string')) &&
        (c.caMount === undefined || (typeof c.caMount.name === 'string' && typeof c.caMount.mountPath === 'string')),
    )
  ) {
    return 'does not describe an injection';
  }
  return r as InjectionRecord;
}

/**
 * Removes what injectAgent added, as recorded in its marker annotation, and
 * nothing else: `removeAgent(injectAgent(x).pod).pod` deep-equals `x`.
 * Pods without the marker (not injected, or injected by SWCK itself) are
 * returned unchanged.
 */
export function removeAgent<P extends AnyPod>(input: P): RemoveAgentResult<P & PodTemplateSpecLike> {
  const nothing = (reason: string, errors: InjectionError[] = []): RemoveAgentResult<P & PodTemplateSpecLike> => ({
    pod: clone(input ?? ({} as P)),
    patch: [],
    removed: false,
    reason,
    errors,
    warnings: [],
  });
  if (!input || typeof input !== 'object' || !input.spec) return nothing('not a pod or pod template');
  const annotations = input.metadata?.annotations ?? {};
  if (!(INJECTED_MARKER_ANNOTATION in annotations)) {
    return nothing(
      String(annotations[SWCK_SUCCEED_ANNOTATION]).toLowerCase() === 'true'
        ? 'injected by SWCK, not by skywalking-backstage; left as is'
        : 'not injected',
    );
  }
  const record = parseRecord(annotations[INJECTED_MARKER_ANNOTATION]);
  const markerPath = `metadata.annotations[${JSON.stringify(INJECTED_MARKER_ANNOTATION)}]`;
  if (typeof record === 'string') return nothing('unreadable injection marker', [{ path: markerPath, message: record }]);

  const warnings: string[] = [];
  const pod = clone(input);
  const spec = pod.spec;
  const created = new Set(record.created);
  const dropIfEmpty = (obj: any, key: string, tag: string) => {
    const v = obj?.[key];
    if (created.has(tag) && v && (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0)) delete obj[key];
  };
  const removeLast = <T extends { name?: unknown }>(list: T[] | undefined, pred: (x: T) => boolean, what: string) => {
    if (!list) return warnings.push(`${what} was not found`);
    for (let i = list.length - 1; i >= 0; i--) {
      if (pred(list[i])) {
        list.splice(i, 1);
        return undefined;
      }
    }
    return warnings.push(`${what} was not found`);
  };

  for (const entry of record.containers) {
    const container = spec.containers?.find(c => c?.name === entry.name);
    if (!container) {
      warnings.push(`container ${entry.name} no longer exists`);
      continue;
    }
    removeLast(
      container.volumeMounts,
      m => m.name === entry.volumeMount.name && m.mountPath === entry.volumeMount.mountPath,
      `volume mount ${entry.volumeMount.name} of container ${entry.name}`,
    );
    const ca = entry.caMount;
    if (ca) removeLast(container.volumeMounts, m => m.name === ca.name && m.mountPath === ca.mountPath, `volume mount ${ca.name} of container ${entry.name}`);
    for (const name of [...entry.env].reverse()) removeLast(container.env, e => e.name === name, `env ${name} of container ${entry.name}`);
    if (entry.appended) {
      const idx = lastIndexOfName(container.env, entry.appended.name);
      const e = idx >= 0 ? container.env![idx] : undefined;
      const at = typeof e?.value === 'string' ? e.value.lastIndexOf(entry.appended.text) : -1;
      if (!e || at < 0) warnings.push(`${entry.appended.name} of container ${entry.name} no longer holds the agent option`);
      else e.value = e.value!.slice(0, at) + e.value!.slice(at + entry.appended.text.length);
    }
    dropIfEmpty(container, 'volumeMounts', `containers/${entry.name}/volumeMounts`);
    dropIfEmpty(container, 'env', `containers/${entry.name}/env`);
  }
  removeLast(spec.initContainers, c => c.name === record.initContainer, `init container ${record.initContainer}`);
  removeLast(spec.volumes, v => v.name === record.volume, `volume ${record.volume}`);
  if (record.caVolume) removeLast(spec.volumes, v => v.name === record.caVolume, `volume ${record.caVolume}`);
  dropIfEmpty(spec, 'initContainers', 'spec.initContainers');
  dropIfEmpty(spec, 'volumes', 'spec.volumes');
  const meta = pod.metadata!;
  for (const a of record.annotations) delete meta.annotations![a];
  delete meta.annotations![INJECTED_MARKER_ANNOTATION];
  dropIfEmpty(meta, 'annotations', 'metadata.annotations');
  dropIfEmpty(pod, 'metadata', 'metadata');

  return { pod, patch: compare(input as object, pod as object), removed: true, errors: [], warnings };
}

/** Annotation keys a caller may pass to injectAgent's `annotations` for the common CLI options. */
export const OVERRIDE_KEYS = {
  container: INJECT_CONTAINER_ANNOTATION,
  agentImage: 'sidecar.skywalking.apache.org/initcontainer.Image',
  optionalPlugins: OPTIONAL_PLUGINS_ANNOTATION,
  optionalReporterPlugins: OPTIONAL_REPORTER_PLUGINS_ANNOTATION,
  bootstrapPlugins: BOOTSTRAP_PLUGINS_ANNOTATION,
} as const;
