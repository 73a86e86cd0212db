export { TenancyService, TenancyDeniedError } from './TenancyService';
export type { TenancyServiceOptions, TenancyGuard, TenancyCatalog } from './TenancyService';
