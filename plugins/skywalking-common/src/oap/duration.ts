/**
 * `Duration` helpers for OAP's GraphQL API.
 *
 * Facts from apache/skywalking-query-protocol `common.graphqls`:
 * - `input Duration { start: String!, end: String!, step: Step!, coldStage: Boolean }`
 * - time formats: SECOND `yyyy-MM-dd HHmmss`, MINUTE `yyyy-MM-dd HHmm`,
 *   HOUR `yyyy-MM-dd HH`, DAY `yyyy-MM-dd` (MONTH is documented but not in `enum Step`).
 * - `start` and `end` are both inclusive time points of the step
 *   (HOUR 09..19 is 11 points).
 * - `coldStage` is only for BanyanDB (query the cold stage), default false.
 * - There is no UTC flag: OAP reads the strings in its own time zone, which
 *   `getTimeInfo { timezone }` reports as e.g. `+0800`. Pass that offset as
 *   `utcOffsetMinutes` (see {@link parseOapTimezone}); the default is UTC.
 */

/** @public */
export type OapStep = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';

/** @public */
export interface OapDuration {
  start: string;
  end: string;
  step: OapStep;
  coldStage?: boolean;
}

/** @public */
export const STEP_MILLIS: Record<OapStep, number> = {
  SECOND: 1000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** @public */
export const STEP_FORMATS: Record<OapStep, string> = {
  SECOND: 'yyyy-MM-dd HHmmss',
  MINUTE: 'yyyy-MM-dd HHmm',
  HOUR: 'yyyy-MM-dd HH',
  DAY: 'yyyy-MM-dd',
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Formats an instant as OAP expects for the step, in the OAP server's time
 * zone given as minutes east of UTC (default 0 = UTC).
 * @public
 */
export function formatOapTime(
  instant: Date | number,
  step: OapStep,
  utcOffsetMinutes = 0,
): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) {
    throw new TypeError(`invalid instant: ${String(instant)}`);
  }
  const d = new Date(ms + utcOffsetMinutes * 60_000);
  const day = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(
    d.getUTCDate(),
  )}`;
  switch (step) {
    case 'DAY':
      return day;
    case 'HOUR':
      return `${day} ${pad(d.getUTCHours())}`;
    case 'MINUTE':
      return `${day} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
    case 'SECOND':
      return `${day} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(
        d.getUTCSeconds(),
      )}`;
    default:
      throw new TypeError(`unknown step: ${String(step)}`);
  }
}

const TIME_PATTERNS: Record<OapStep, RegExp> = {
  DAY: /^(\d{4})-(\d{2})-(\d{2})$/,
  HOUR: /^(\d{4})-(\d{2})-(\d{2}) (\d{2})$/,
  MINUTE: /^(\d{4})-(\d{2})-(\d{2}) (\d{2})(\d{2})$/,
  SECOND: /^(\d{4})-(\d{2})-(\d{2}) (\d{2})(\d{2})(\d{2})$/,
};

/**
 * Parses an OAP time string of the given step back to epoch milliseconds
 * (the start of that time point). Throws on a string that does not match the
 * step's format exactly.
 * @public
 */
export function parseOapTime(
  text: string,
  step: OapStep,
  utcOffsetMinutes = 0,
): number {
  const m = TIME_PATTERNS[step]?.exec(text);
  if (!m) {
    throw new TypeError(
      `"${text}" does not match the ${step} format ${STEP_FORMATS[step]}`,
    );
  }
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1);
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== +y ||
    check.getUTCMonth() !== +mo - 1 ||
    check.getUTCDate() !== +d ||
    +h > 23 ||
    +mi > 59 ||
    +s > 59
  ) {
    throw new TypeError(`"${text}" is not a valid ${step} time`);
  }
  return ms - utcOffsetMinutes * 60_000;
}

/**
 * Chooses the step for a time range the way SkyWalking's UI does: MINUTE up
 * to one day, HOUR up to 30 days, DAY beyond. SECOND is never chosen
 * automatically (OAP's metrics are minute-bucketed); ask for it explicitly.
 * @public
 */
export function chooseStep(fromMs: number, toMs: number): OapStep {
  const span = toMs - fromMs;
  if (span <= STEP_MILLIS.DAY) return 'MINUTE';
  if (span <= 30 * STEP_MILLIS.DAY) return 'HOUR';
  return 'DAY';
}

/** @public */
export interface DurationOptions {
  step?: OapStep;
  /** Minutes east of UTC of the OAP server's time zone; default 0 (UTC). */
  utcOffsetMinutes?: number;
  /** BanyanDB only: read from the cold stage. Sent only when true. */
  coldStage?: boolean;
}

/**
 * Builds an OAP `Duration` for `[from, to]`. Both ends are truncated to the
 * step; `end` is inclusive, as in OAP.
 * @public
 */
export function makeDuration(
  from: Date | number,
  to: Date | number,
  options: DurationOptions = {},
): OapDuration {
  const fromMs = typeof from === 'number' ? from : from.getTime();
  const toMs = typeof to === 'number' ? to : to.getTime();
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
    throw new TypeError('makeDuration: from and to must be valid instants');
  }
  if (toMs < fromMs) {
    throw new RangeError(
      `makeDuration: "to" (${new Date(
        toMs,
      ).toISOString()}) is before "from" (${new Date(fromMs).toISOString()})`,
    );
  }
  const step = options.step ?? chooseStep(fromMs, toMs);
  const offset = options.utcOffsetMinutes ?? 0;
  const duration: OapDuration = {
    start: formatOapTime(fromMs, step, offset),
    end: formatOapTime(toMs, step, offset),
    step,
  };
  if (options.coldStage) duration.coldStage = true;
  return duration;
}

/**
 * The time points (epoch ms, start of each step) a duration covers, both ends
 * inclusive, as OAP returns them for TIME_SERIES_VALUES.
 * @public
 */
export function durationPoints(
  duration: OapDuration,
  utcOffsetMinutes = 0,
): number[] {
  const start = parseOapTime(duration.start, duration.step, utcOffsetMinutes);
  const end = parseOapTime(duration.end, duration.step, utcOffsetMinutes);
  const points: number[] = [];
  for (let t = start; t <= end; t += STEP_MILLIS[duration.step]) {
    points.push(t);
  }
  return points;
}

/**
 * Parses OAP's `getTimeInfo.timezone` (`+0800`, `-0530`) to minutes east of
 * UTC.
 * @public
 */
export function parseOapTimezone(timezone: string | null | undefined): number {
  if (!timezone) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(timezone.trim());
  if (!m) throw new TypeError(`unrecognised OAP timezone "${timezone}"`);
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}
