export * from './constants';
export type {
  AgentBackend,
  ContainerLike,
  EnvVarLike,
  InjectAgentInput,
  InjectAgentResult,
  InjectionError,
  InjectionRecord,
  JsonPatchOperation,
  ObjectMetaLike,
  PodLike,
  PodSpecLike,
  PodTemplateSpecLike,
  SwAgentDefaults,
  VolumeMountLike,
} from './types';
export { injectAgent, removeAgent, isAgentInjected, isIstioPod, OVERRIDE_KEYS } from './inject';
export type { RemoveAgentResult } from './inject';
export { parseAgentAnnotations, isInjectorAnnotation, formatAgentOptionValue, MAX_VALUE_LENGTH } from './validate';
export type { AgentAnnotationConfig } from './validate';
export { compileContainerMatcher, MAX_CONTAINER_MATCHER_LENGTH, MAX_CONTAINER_NAME_LENGTH } from './containerMatcher';
export type { CompiledMatcher, ContainerMatcher } from './containerMatcher';
export { injectWorkload, removeWorkload, podTemplatePath, WORKLOAD_POD_PATHS } from './workload';
export type { WorkloadResult } from './workload';
