export { TracingService, TracingNotAppliedError, podHasAgent } from './TracingService';
export type { TracingServiceOptions, TracingCatalog, InjectionMode } from './TracingService';
export {
  admissionMutator,
  createAdmissionMutator,
  ensureWebhookConfiguration,
  deleteWebhookConfiguration,
  SERVICE_NAME_ANNOTATION,
  COLLECTOR_ANNOTATION,
} from './admissionMutator';
export type { EnsureWebhookOptions } from './admissionMutator';
export { TRACING_FIELD_MANAGER, entityFieldManager } from './kube';
