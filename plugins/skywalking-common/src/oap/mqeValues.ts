/* Reading MQE results: one value of a window, labelled percentiles. */
import type { OapExpressionResult } from './types';

/** The percentiles asked of OAP's `percentile2` metrics (label `p`). @public */
export const TRAFFIC_PERCENTILES = [50, 75, 90, 95, 99] as const;

/** Reads a SINGLE_VALUE (or the mean of TIME_SERIES_VALUES). @public */
export function singleValue(
  result: OapExpressionResult | undefined,
): number | undefined {
  if (!result || result.error || result.type === 'UNKNOWN') return undefined;
  const values = result.results[0]?.values ?? [];
  const nums = values
    .map(v =>
      v.value === null || v.value === undefined ? NaN : Number(v.value),
    )
    .filter(n => Number.isFinite(n));
  if (nums.length === 0) return undefined;
  return nums.reduce((a, b) => a + b, 0) / nums.length;
}

/** Reads labeled percentile values (label `p`). @public */
export function percentileValues(
  result: OapExpressionResult | undefined,
): Partial<Record<string, number>> | undefined {
  if (!result || result.error || result.type === 'UNKNOWN') return undefined;
  const out: Record<string, number> = {};
  for (const series of result.results) {
    const p = series.metric.labels.find(l => l.key === 'p')?.value;
    if (!p) continue;
    const v = singleValue({
      type: 'SINGLE_VALUE',
      error: null,
      results: [series],
    });
    if (v !== undefined) out[`p${p}`] = v;
  }
  return Object.keys(out).length ? out : undefined;
}
