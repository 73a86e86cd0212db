import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** `skywalking.outbox`: how long a queued change may wait and how many API refusals it gets (defaults: 7 days, 5). */
export function outboxLimitsFromConfig(config: Config): { maxAgeMs?: number; maxAttempts?: number } {
  const key = 'skywalking.outbox.maxAge';
  const maxAgeMs = config.has(key) ? durationToMilliseconds(readDurationFromConfig(config, { key })) : undefined;
  const maxAttempts = config.getOptionalNumber('skywalking.outbox.maxAttempts');
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) {
    throw new Error(`skywalking.outbox.maxAttempts: must be a whole number of at least 1, got ${maxAttempts}`);
  }
  return { ...(maxAgeMs !== undefined ? { maxAgeMs } : {}), ...(maxAttempts !== undefined ? { maxAttempts } : {}) };
}
