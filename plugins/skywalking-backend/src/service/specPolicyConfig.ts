import { Config } from '@backstage/config';
import { defaultSpecPolicy, SpecPolicy } from '@skywalking-backstage/plugin-skywalking-common';

/**
 * The portal's SpecPolicy from config: each list extends the product's
 * defaults (skywalking.allowedImages, skywalking.oapConfig.allowedEnvNames,
 * skywalking.oapConfig.safeEnvNames), except the storage hosts, which are only
 * what is configured (skywalking.storage.allowedAddresses; none: no external
 * storage).
 */
export function specPolicyFromConfig(config: Config): SpecPolicy {
  const d = defaultSpecPolicy();
  const list = (key: string) => config.getOptionalStringArray(key) ?? [];
  return {
    allowedImages: [...d.allowedImages, ...list('skywalking.allowedImages')],
    allowedEnvNames: [...d.allowedEnvNames, ...list('skywalking.oapConfig.allowedEnvNames')],
    allowedStorageAddresses: list('skywalking.storage.allowedAddresses'),
    safeEnvNames: [...d.safeEnvNames, ...list('skywalking.oapConfig.safeEnvNames')],
  };
}

/** Service principals (subjects) that may write: skywalking.permissions.trustedServices. */
export const trustedServicesFromConfig = (config: Config) => config.getOptionalStringArray('skywalking.permissions.trustedServices') ?? [];
