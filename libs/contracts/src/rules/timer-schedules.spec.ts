import { checkTimerParams, fireAt, latestDueTick, TimerTriggers, timerEventPayload } from './timer-schedules';

const at = (iso: string) => new Date(iso);

describe('latestDueTick', () => {
  const anchor = at('2026-01-01T00:00:00.000Z');

  it('interval: ticks every interval after the anchor, the latest one due', () => {
    const p = { unit: 'seconds', interval: 2 };
    expect(latestDueTick(TimerTriggers.interval, p, anchor, at('2026-01-01T00:00:01.999Z'))).toBeNull();
    expect(latestDueTick(TimerTriggers.interval, p, anchor, at('2026-01-01T00:00:02.000Z'))).toEqual(at('2026-01-01T00:00:02.000Z'));
    expect(latestDueTick(TimerTriggers.interval, p, anchor, at('2026-01-01T00:00:05.100Z'))).toEqual(at('2026-01-01T00:00:04.000Z'));
    expect(latestDueTick(TimerTriggers.interval, { unit: 'minutes', interval: 5 }, anchor, at('2026-01-01T01:02:00Z'))).toEqual(at('2026-01-01T01:00:00Z'));
    expect(latestDueTick(TimerTriggers.interval, { unit: 'hours', interval: 1 }, anchor, at('2026-01-01T00:59:59Z'))).toBeNull();
    expect(latestDueTick(TimerTriggers.interval, { interval: 1 }, anchor, at('2026-01-01T00:00:03.5Z'))).toEqual(at('2026-01-01T00:00:03Z'));
  });

  it('cron: the latest occurrence not after now and after the anchor, in the time zone', () => {
    const p = { expression: '*/15 * * * * *' };
    expect(latestDueTick(TimerTriggers.cron, p, anchor, at('2026-01-01T00:00:14.999Z'))).toBeNull();
    expect(latestDueTick(TimerTriggers.cron, p, anchor, at('2026-01-01T00:00:15.000Z'))).toEqual(at('2026-01-01T00:00:15.000Z'));
    expect(latestDueTick(TimerTriggers.cron, p, anchor, at('2026-01-01T00:00:44.000Z'))).toEqual(at('2026-01-01T00:00:30.000Z'));
    const paris = { expression: '0 9 * * *', timezone: 'Europe/Paris' };
    expect(latestDueTick(TimerTriggers.cron, paris, anchor, at('2026-01-02T10:00:00Z'))).toEqual(at('2026-01-02T08:00:00Z'));
  });

  it('datetime: once, at fire_at, when it is after the anchor', () => {
    const p = { fire_at: '2026-01-01T00:10:00Z' };
    expect(latestDueTick(TimerTriggers.datetime, p, anchor, at('2026-01-01T00:09:59Z'))).toBeNull();
    expect(latestDueTick(TimerTriggers.datetime, p, anchor, at('2026-01-01T00:10:00Z'))).toEqual(at('2026-01-01T00:10:00Z'));
    expect(latestDueTick(TimerTriggers.datetime, p, anchor, at('2026-02-01T00:00:00Z'))).toEqual(at('2026-01-01T00:10:00Z'));
    expect(latestDueTick(TimerTriggers.datetime, p, at('2026-01-01T00:10:00Z'), at('2026-02-01T00:00:00Z'))).toBeNull();
  });

  it('answers the same tick whoever asks while it is the latest (the key of the lease)', () => {
    const p = { interval: 10 };
    const a = latestDueTick(TimerTriggers.interval, p, anchor, at('2026-01-01T00:00:10.010Z'));
    const b = latestDueTick(TimerTriggers.interval, p, anchor, at('2026-01-01T00:00:19.990Z'));
    expect(a).toEqual(b);
  });

  it('answers null for another trigger', () => {
    expect(latestDueTick('mon.alert', {}, anchor, at('2027-01-01T00:00:00Z'))).toBeNull();
  });
});

describe('checkTimerParams', () => {
  const now = at('2026-01-01T00:00:00Z');

  it('checks cron expressions and time zones', () => {
    expect(checkTimerParams(TimerTriggers.cron, { expression: '0 9 * * 1-5', timezone: 'America/New_York' }, now)).toEqual([]);
    expect(checkTimerParams(TimerTriggers.cron, { expression: 'every day' }, now)).toEqual([
      { field: 'trigger_params.expression', message: expect.stringContaining('not a valid cron expression') },
    ]);
    expect(checkTimerParams(TimerTriggers.cron, { expression: '61 * * * *' }, now)[0].field).toBe('trigger_params.expression');
    expect(checkTimerParams(TimerTriggers.cron, { expression: '* * * * *', timezone: 'Mars/Olympus' }, now)).toEqual([
      { field: 'trigger_params.timezone', message: '"Mars/Olympus" is not a known IANA time zone' },
    ]);
  });

  it('wants fire_at in the future', () => {
    expect(checkTimerParams(TimerTriggers.datetime, { fire_at: '2026-01-01T00:00:01Z' }, now)).toEqual([]);
    expect(checkTimerParams(TimerTriggers.datetime, { fire_at: '2025-12-31T23:59:59Z' }, now)).toEqual([
      { field: 'trigger_params.fire_at', message: 'must be in the future' },
    ]);
  });
});

describe('timerEventPayload', () => {
  it('describes the tick', () => {
    expect(timerEventPayload(TimerTriggers.interval, { interval: 2 }, at('2026-01-01T00:00:02Z'))).toEqual({
      type: 'interval',
      unit: 'seconds',
      interval: 2,
      executed_at: '2026-01-01T00:00:02.000Z',
    });
  });
});

describe('datetime timer fire_at and timezone (Attune)', () => {
  it('reads an offset as that instant, whatever the timezone', () => {
    expect(fireAt({ fire_at: '2030-01-02T03:04:05Z', timezone: 'America/New_York' })).toBe(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(fireAt({ fire_at: '2030-01-02T03:04:05+02:00' })).toBe(Date.UTC(2030, 0, 2, 1, 4, 5));
  });

  it('reads a time without offset as wall clock in the timezone, across DST', () => {
    expect(fireAt({ fire_at: '2030-01-15T09:00:00', timezone: 'Europe/Paris' })).toBe(Date.UTC(2030, 0, 15, 8, 0, 0));
    expect(fireAt({ fire_at: '2030-07-15T09:00:00', timezone: 'Europe/Paris' })).toBe(Date.UTC(2030, 6, 15, 7, 0, 0));
    expect(fireAt({ fire_at: '2030-07-15T09:00:00', timezone: 'America/Los_Angeles' })).toBe(Date.UTC(2030, 6, 15, 16, 0, 0));
    expect(fireAt({ fire_at: '2030-07-15T09:00:00' })).toBe(Date.UTC(2030, 6, 15, 9, 0, 0));
  });

  it('accepts timezone in trigger_params and refuses unknown zones and bad dates', () => {
    const now = new Date(Date.UTC(2029, 0, 1));
    expect(checkTimerParams(TimerTriggers.datetime, { fire_at: '2030-07-15T09:00:00', timezone: 'Asia/Tokyo' }, now)).toEqual([]);
    expect(checkTimerParams(TimerTriggers.datetime, { fire_at: '2030-07-15T09:00:00', timezone: 'Mars/Base' }, now)[0].field).toBe('trigger_params.timezone');
    expect(checkTimerParams(TimerTriggers.datetime, { fire_at: '2030-02-30T09:00:00' }, now)[0].field).toBe('trigger_params.fire_at');
    expect(checkTimerParams(TimerTriggers.datetime, { fire_at: 'tomorrow' }, now)[0].field).toBe('trigger_params.fire_at');
  });
});
