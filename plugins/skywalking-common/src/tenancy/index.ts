// named for tenancy: specPolicy has its own (star-only) globMatch for image and host allowlists
export { checkGlob as checkTenancyPattern, globMatch as matchTenancyPattern } from './glob';
export { normalizeRef, normalizeRefs } from './refs';
export {
  decideTenancy,
  mappedClusters,
  mappedSystems,
  namespaceOwnerApplies,
  namespaceOwnerRefs,
  readTenancyConfig,
  NAMESPACE_OWNER_KEY,
  TENANCY_NOT_CONFIGURED,
} from './model';
export type { NamespaceMeta, TenancyConfig, TenancyDecision, TenancyMapping } from './model';
export { checkTracingSelector } from './selector';
