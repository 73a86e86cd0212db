/** Minimal structural Kubernetes shapes the injector reads and writes. */

export interface EnvVarLike {
  name: string;
  value?: string;
  valueFrom?: unknown;
  [k: string]: unknown;
}

export interface VolumeMountLike {
  name: string;
  mountPath: string;
  [k: string]: unknown;
}

export interface ContainerLike {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVarLike[];
  volumeMounts?: VolumeMountLike[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  [k: string]: unknown;
}

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface PodSpecLike {
  containers: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: Array<{ name: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

/** A Pod (`apiVersion`/`kind` present) ... */
export interface PodLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  spec: PodSpecLike;
  [k: string]: unknown;
}

/** ... or the pod template of a workload (`spec.template`). Same shape for the injector. */
export interface PodTemplateSpecLike {
  metadata?: ObjectMetaLike;
  spec: PodSpecLike;
}

/**
 * Per-namespace agent defaults: the spec of SWCK's `SwAgent` custom resource
 * (operator.skywalking.apache.org/v1alpha1), as far as injection uses it.
 * Precedence, as in SWCK: pod annotations > these defaults > SWCK defaults.
 */
export interface SwAgentDefaults {
  /** Regular expression of container names to inject; unset: all containers. */
  containerMatcher?: string;
  javaSidecar?: {
    name?: string;
    image?: string;
    command?: string[];
    args?: string[];
    env?: EnvVarLike[];
    resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  };
  sharedVolumeName?: string;
  optionalPlugins?: string[];
  optionalReporterPlugins?: string[];
  bootstrapPlugins?: string[];
}

/** The SkyWalking backend the catalog entity is bound to. */
export interface AgentBackend {
  /** `host:port[,host:port]`, e.g. `oap-name-oap.ns:11800` or a Satellite address. */
  collectorAddress?: string;
  /** Service name shown in SkyWalking (from the catalog entity). */
  agentServiceName?: string;
  /**
   * ConfigMap (in the pod's namespace) whose `ca.crt` is the backend's CA:
   * mounted as the agent's `ca/ca.crt`, which turns the agent's TLS on
   * (skywalking-java docs, setup/service-agent/java-agent/TLS.md: "Agent
   * enables TLS automatically after the ca.crt (by default /ca folder in
   * agent package) file is detected").
   */
  caConfigMap?: string;
}

export interface InjectAgentInput {
  pod: PodLike | PodTemplateSpecLike;
  /**
   * Labels of the pod's namespace. When given, `swck-injection: enabled` is
   * required (without `force`); `swck-injection: disabled` always prevents
   * injection. When omitted the namespace is not checked.
   */
  namespaceLabels?: Record<string, string>;
  defaults?: SwAgentDefaults;
  backend?: AgentBackend;
  /**
   * Annotations applied over the pod's own (same keys and validation as the
   * pod annotations; these win). They are not written into the pod.
   */
  annotations?: Record<string, string>;
  /**
   * Inject although the pod lacks the opt-in label `swck-java-agent-injected: "true"`
   * (explicit requests: CLI, patch mode). An explicit `"false"` is still respected.
   */
  force?: boolean;
  /**
   * Image patterns (`*` any run of characters) the agent init container may
   * use (skywalking.allowedImages with the default agent image); an
   * annotation or SwAgent naming another image injects nothing, with an
   * error. Unset: not checked (the CLI).
   */
  allowedImages?: string[];
}

export interface InjectionError {
  /** where the bad input is, e.g. `metadata.annotations["agent.skywalking.apache.org/agent.x"]` */
  path: string;
  message: string;
}

export interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export interface InjectAgentResult<P = PodLike | PodTemplateSpecLike> {
  /** patched copy; the input object is never modified */
  pod: P;
  /** RFC 6902 operations turning the input into `pod` (empty when nothing changed) */
  patch: JsonPatchOperation[];
  /** true when this call added the agent */
  injected: boolean;
  /** why nothing was injected (or what was only partly possible) */
  reason?: string;
  /** rejected inputs; they were not applied, everything valid still was */
  errors: InjectionError[];
  /** non-fatal notes (e.g. an env var kept because the container already sets it) */
  warnings: string[];
}

/** What injectAgent added; stored as JSON in the marker annotation. */
export interface InjectionRecord {
  v: 1;
  initContainer: string;
  volume: string;
  /** the CA ConfigMap volume, when one was added */
  caVolume?: string;
  /** arrays/maps that did not exist before and are dropped again when empty */
  created: string[];
  /** annotations added to the pod */
  annotations: string[];
  containers: Array<{
    name: string;
    volumeMount: { name: string; mountPath: string };
    /** the CA mount in the agent's ca/ directory, when added */
    caMount?: { name: string; mountPath: string };
    /** env vars added (by name) */
    env: string[];
    /** text appended to an existing env var (JAVA_TOOL_OPTIONS) */
    appended?: { name: string; text: string };
  }>;
}
