/*
 * Names and defaults of the SWCK java agent injector
 * (apache/skywalking-swck, operator/pkg/operator/injector and
 * operator/pkg/operator/manifests/injector/templates/annotations.yaml),
 * so that workloads annotated for SWCK behave the same here.
 */

/** Pod label that opts a pod in: `swck-java-agent-injected: "true"`. */
export const POD_INJECT_LABEL = 'swck-java-agent-injected';
/** Namespace label that enables injection: `swck-injection: enabled`. */
export const NAMESPACE_INJECT_LABEL = 'swck-injection';

export const SIDECAR_ANNOTATION_PREFIX = 'sidecar.skywalking.apache.org/';
export const AGENT_ANNOTATION_PREFIX = 'agent.skywalking.apache.org/';
export const PLUGINS_ANNOTATION_PREFIX = 'plugins.skywalking.apache.org/';
export const STRATEGY_ANNOTATION_PREFIX = 'strategy.skywalking.apache.org/';
export const OPTIONAL_PLUGINS_ANNOTATION = 'optional.skywalking.apache.org';
export const OPTIONAL_REPORTER_PLUGINS_ANNOTATION = 'optional-reporter.skywalking.apache.org';
export const BOOTSTRAP_PLUGINS_ANNOTATION = 'bootstrap.skywalking.apache.org';
/** Regular expression selecting the containers that get the agent. */
export const INJECT_CONTAINER_ANNOTATION = 'strategy.skywalking.apache.org/inject.Container';
/** Legacy SWCK (<= 0.6) switch; `"false"` turns agent/plugin annotations off. */
export const AGENT_OVERLAY_ANNOTATION = 'strategy.skywalking.apache.org/agent.Overlay';
/** Set by SWCK (and by us) on injected pods; SWCK skips pods that carry it. */
export const SWCK_SUCCEED_ANNOTATION = 'sidecar.skywalking.apache.org/succeed';
/** Written by SWCK when its injection failed. */
export const SWCK_ERROR_ANNOTATION = 'sidecar.skywalking.apache.org/error';
/** Records exactly what injectAgent added, so that removeAgent can take it out again. */
export const INJECTED_MARKER_ANNOTATION = 'skywalking-backstage.io/injected';

/**
 * The agent image the injector uses when nothing names one. SWCK's SwAgent CRD
 * defaults to 8.16.0-java8; ours is 9.3.0-java17, the image the local image
 * factory builds (tools/images/recipes/java-agent.sh), so injected pods on the
 * real node run an agent that exists here.
 */
export const DEFAULT_AGENT_IMAGE = 'apache/skywalking-java-agent:9.3.0-java17';
export const DEFAULT_INIT_CONTAINER_NAME = 'inject-skywalking-agent';
export const DEFAULT_SHARED_VOLUME_NAME = 'sky-agent';
export const DEFAULT_MOUNT_PATH = '/sky/agent';
/** Volume of the backend's CA (a ConfigMap with ca.crt), mounted at `<mount path>/ca`. */
export const DEFAULT_CA_VOLUME_NAME = 'sky-agent-ca';
export const DEFAULT_INIT_COMMAND = 'sh';
export const DEFAULT_INIT_ARGS_OPTION = '-c';
export const defaultInitArgsCommand = (mountPath: string) =>
  `mkdir -p ${mountPath} && cp -r /skywalking/agent/* ${mountPath}`;
export const DEFAULT_ENV_NAME = 'JAVA_TOOL_OPTIONS';
export const defaultJavaAgentOption = (mountPath: string) => `-javaagent:${mountPath}/skywalking-agent.jar`;

/** Env vars the agent reads for its two essential settings (agent.config). */
export const ENV_AGENT_NAME = 'SW_AGENT_NAME';
export const ENV_COLLECTOR_BACKEND_SERVICES = 'SW_AGENT_COLLECTOR_BACKEND_SERVICES';

/**
 * The sidecar annotations SWCK knows (key after `sidecar.skywalking.apache.org/`).
 */
export const SIDECAR_KEYS = [
  'initcontainer.Name',
  'initcontainer.Image',
  'initcontainer.Command',
  'initcontainer.args.Option',
  'initcontainer.args.Command',
  'initcontainer.resources.limits',
  'initcontainer.resources.requests',
  'sidecarVolume.Name',
  'sidecarVolumeMount.MountPath',
  'env.Name',
  'env.Value',
] as const;
export type SidecarKey = (typeof SIDECAR_KEYS)[number];

/**
 * agent.config sections SWCK documents for `agent.skywalking.apache.org/{option}`
 * (docs/java-agent-injector.md, "agent configuration").
 */
export const AGENT_CONFIG_SECTIONS = [
  'agent',
  'osinfo',
  'collector',
  'logging',
  'statuscheck',
  'correlation',
  'jvm',
  'buffer',
  'profile',
  'meter',
  'log',
] as const;

/** Containers that never get the agent (service-mesh sidecars and their init containers). */
export const NEVER_INJECTED_CONTAINERS = [
  'istio-proxy',
  'istio-init',
  'istio-validation',
  'linkerd-proxy',
  'linkerd-init',
];
export const ISTIO_STATUS_ANNOTATION = 'sidecar.istio.io/status';
