import {
  chooseStep,
  durationPoints,
  formatOapTime,
  makeDuration,
  parseOapTime,
  parseOapTimezone,
} from './duration';

const t = Date.UTC(2026, 0, 5, 9, 7, 3); // 2026-01-05 09:07:03Z

describe('OAP Duration', () => {
  it('formats each step exactly as common.graphqls says', () => {
    expect(formatOapTime(t, 'SECOND')).toBe('2026-01-05 090703');
    expect(formatOapTime(t, 'MINUTE')).toBe('2026-01-05 0907');
    expect(formatOapTime(t, 'HOUR')).toBe('2026-01-05 09');
    expect(formatOapTime(t, 'DAY')).toBe('2026-01-05');
  });

  it('formats in the OAP server time zone', () => {
    expect(formatOapTime(t, 'MINUTE', 480)).toBe('2026-01-05 1707');
    expect(formatOapTime(Date.UTC(2026, 0, 5, 20), 'DAY', 480)).toBe(
      '2026-01-06',
    );
    expect(formatOapTime(t, 'HOUR', -330)).toBe('2026-01-05 03');
  });

  it('parses back, and rejects wrong formats', () => {
    expect(parseOapTime('2026-01-05 0907', 'MINUTE')).toBe(
      Date.UTC(2026, 0, 5, 9, 7),
    );
    expect(parseOapTime('2026-01-05 1707', 'MINUTE', 480)).toBe(
      Date.UTC(2026, 0, 5, 9, 7),
    );
    expect(() => parseOapTime('2026-01-05 09:07', 'MINUTE')).toThrow(
      /yyyy-MM-dd HHmm/,
    );
    expect(() => parseOapTime('2026-02-30', 'DAY')).toThrow(/not a valid/);
    expect(() => parseOapTime('2026-01-05 2460', 'MINUTE')).toThrow(
      /not a valid/,
    );
  });

  it('chooses the step from the range', () => {
    const h = 3_600_000;
    expect(chooseStep(0, 30 * 60_000)).toBe('MINUTE');
    expect(chooseStep(0, 24 * h)).toBe('MINUTE');
    expect(chooseStep(0, 24 * h + 1)).toBe('HOUR');
    expect(chooseStep(0, 30 * 24 * h)).toBe('HOUR');
    expect(chooseStep(0, 31 * 24 * h)).toBe('DAY');
  });

  it('makes a duration, coldStage only when asked', () => {
    expect(makeDuration(t - 15 * 60_000, t)).toEqual({
      start: '2026-01-05 0852',
      end: '2026-01-05 0907',
      step: 'MINUTE',
    });
    expect(makeDuration(t, t, { step: 'HOUR', coldStage: true })).toEqual({
      start: '2026-01-05 09',
      end: '2026-01-05 09',
      step: 'HOUR',
      coldStage: true,
    });
    expect(() => makeDuration(t, t - 1)).toThrow(RangeError);
    expect(() => makeDuration(NaN, t)).toThrow(TypeError);
  });

  it('lists inclusive time points', () => {
    const d = makeDuration(t - 5 * 60_000, t);
    const points = durationPoints(d);
    expect(points).toHaveLength(6);
    expect(points[0]).toBe(Date.UTC(2026, 0, 5, 9, 2));
    expect(
      durationPoints({
        start: '2017-11-08 09',
        end: '2017-11-08 19',
        step: 'HOUR',
      }),
    ).toHaveLength(11);
  });

  it('parses getTimeInfo time zones', () => {
    expect(parseOapTimezone('+0800')).toBe(480);
    expect(parseOapTimezone('-0530')).toBe(-330);
    expect(parseOapTimezone(null)).toBe(0);
    expect(() => parseOapTimezone('CET')).toThrow();
  });
});
