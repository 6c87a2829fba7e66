import { CronExpressionParser } from 'cron-parser';
import type { JsonSchemaObject } from '../action';

/**
 * The built-in timer triggers. A rule on one of them carries its schedule in `trigger_params`;
 * the executor fires one event per tick (see docs/architecture.md, "Timers").
 */
export const TimerTriggers = {
  interval: 'core.intervaltimer',
  cron: 'core.crontimer',
  datetime: 'core.datetimetimer',
} as const;
export type TimerTriggerRef = (typeof TimerTriggers)[keyof typeof TimerTriggers];
export const TIMER_TRIGGER_REFS: readonly TimerTriggerRef[] = Object.values(TimerTriggers);

export function isTimerTrigger(ref: string): ref is TimerTriggerRef {
  return (TIMER_TRIGGER_REFS as readonly string[]).includes(ref);
}

export const INTERVAL_UNITS = { seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;
export type IntervalUnit = keyof typeof INTERVAL_UNITS;

export interface TimerTriggerDefinition {
  ref: TimerTriggerRef;
  label: string;
  description: string;
  /** The schema of a rule's `trigger_params`. */
  paramSchema: JsonSchemaObject;
  /** The schema of the event payload each tick produces. */
  outSchema: JsonSchemaObject;
}

/**
 * A timer's definition from its parameters: `trigger_params` takes exactly those (`required` among
 * them), and each tick's payload says which timer fired, the parameters it fired with (their
 * types alone) and when it fired.
 */
function timerDefinition(
  kind: keyof typeof TimerTriggers,
  label: string,
  description: string,
  params: Record<string, Record<string, unknown>>,
  required: string[],
): TimerTriggerDefinition {
  const paramTypes = Object.fromEntries(Object.entries(params).map(([name, schema]) => [name, { type: schema.type }]));
  return {
    ref: TimerTriggers[kind],
    label,
    description,
    paramSchema: { type: 'object', properties: params, required, additionalProperties: false },
    outSchema: {
      type: 'object',
      properties: { type: { const: kind }, ...paramTypes, executed_at: { type: 'string', format: 'date-time' } },
    },
  };
}

const TIMEZONE_PARAM = { type: 'string', minLength: 1, maxLength: 64, default: 'UTC' };

export const TIMER_TRIGGER_DEFINITIONS: readonly TimerTriggerDefinition[] = [
  timerDefinition(
    'interval',
    'Interval timer',
    'Fires every `interval` `unit`s, counted from when the rule was last created, updated or enabled',
    {
      unit: { type: 'string', enum: Object.keys(INTERVAL_UNITS), default: 'seconds' },
      interval: { type: 'integer', minimum: 1, maximum: 10_000_000 },
    },
    ['interval'],
  ),
  timerDefinition(
    'cron',
    'Cron timer',
    'Fires on a cron schedule: 5 fields (minute hour day month weekday) or 6 with seconds first; `timezone` is an IANA name (default UTC)',
    { expression: { type: 'string', minLength: 1, maxLength: 200 }, timezone: TIMEZONE_PARAM },
    ['expression'],
  ),
  timerDefinition(
    'datetime',
    'Date and time timer',
    'Fires once at `fire_at` (ISO-8601, in the future when the rule is saved). Without an offset, `fire_at` is a wall-clock ' +
      'time in `timezone` (an IANA name, default UTC), as in Attune; with one, the offset wins',
    { fire_at: { type: 'string', minLength: 1, maxLength: 64 }, timezone: TIMEZONE_PARAM },
    ['fire_at'],
  ),
];

export interface TimerProblem {
  field: string;
  message: string;
}

/**
 * Checks what a JSON Schema cannot: a parsable cron expression, a known time zone, a
 * `fire_at` in the future. Run after the schema check, on parameters with defaults applied.
 */
export function checkTimerParams(ref: TimerTriggerRef, params: Record<string, unknown>, now: Date, field = 'trigger_params'): TimerProblem[] {
  switch (ref) {
    case TimerTriggers.interval:
      return [];
    case TimerTriggers.cron: {
      const timezone = typeof params.timezone === 'string' ? params.timezone : 'UTC';
      if (!isTimeZone(timezone)) return [{ field: `${field}.timezone`, message: `"${timezone}" is not a known IANA time zone` }];
      try {
        CronExpressionParser.parse(String(params.expression), { tz: timezone, strict: false }).next();
      } catch (err) {
        return [{ field: `${field}.expression`, message: `is not a valid cron expression: ${(err as Error).message}` }];
      }
      return [];
    }
    case TimerTriggers.datetime: {
      const timezone = typeof params.timezone === 'string' ? params.timezone : 'UTC';
      if (!isTimeZone(timezone)) return [{ field: `${field}.timezone`, message: `"${timezone}" is not a known IANA time zone` }];
      const at = fireAt(params);
      if (Number.isNaN(at)) return [{ field: `${field}.fire_at`, message: 'is not a valid ISO-8601 date-time' }];
      return at > now.getTime() ? [] : [{ field: `${field}.fire_at`, message: 'must be in the future' }];
    }
  }
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * When a datetime timer fires (ms since the epoch; NaN when unreadable). An ISO-8601 time with an
 * offset (or Z) is that instant; without one it is a wall-clock time in `params.timezone`.
 */
export function fireAt(params: Record<string, unknown>): number {
  const m = ISO_DATE_TIME.exec(String(params.fire_at ?? '').trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s = '0', frac = '0', offset] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== Number(d)) return Number.NaN;
  if (offset) {
    if (/^z$/i.test(offset)) return wall;
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const tz = typeof params.timezone === 'string' ? params.timezone : 'UTC';
  if (!isTimeZone(tz)) return Number.NaN;
  // The instant whose wall clock in tz reads `wall`: correct the guess by the zone's offset, twice
  // so that a guess on the other side of a DST change settles.
  let t = wall - zoneOffset(wall, tz);
  t = wall - zoneOffset(t, tz);
  return t;
}

/** How far the wall clock in `tz` is ahead of UTC at instant `t`, in ms. */
function zoneOffset(t: number, tz: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - (t - (t % 1000));
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The tick that is due now: the latest scheduled time `t` with `anchor < t <= now`, or null.
 * `anchor` is when the rule last changed (created, updated, enabled): ticks scheduled before
 * it never fire, and a schedule restarts from it. Every executor computes the same ticks from
 * the same rule row, which is what lets a (rule, tick) row in Postgres make each tick fire once.
 * Ticks missed while no executor ran are not replayed one by one: only the latest fires.
 */
export function latestDueTick(ref: string, params: Record<string, unknown>, anchor: Date, now: Date): Date | null {
  const a = anchor.getTime();
  const n = now.getTime();
  if (n <= a) return null;
  switch (ref) {
    case TimerTriggers.interval: {
      const unit = INTERVAL_UNITS[(params.unit as IntervalUnit) ?? 'seconds'] ?? INTERVAL_UNITS.seconds;
      const every = Number(params.interval) * unit;
      if (!Number.isFinite(every) || every < 1000) return null;
      const k = Math.floor((n - a) / every);
      return k >= 1 ? new Date(a + k * every) : null;
    }
    case TimerTriggers.cron: {
      const tz = typeof params.timezone === 'string' ? params.timezone : 'UTC';
      // prev() answers the occurrence strictly before currentDate: +1 ms makes `now` itself count.
      const t = CronExpressionParser.parse(String(params.expression), { currentDate: new Date(n + 1), tz }).prev().toDate();
      return t.getTime() > a ? t : null;
    }
    case TimerTriggers.datetime: {
      const t = fireAt(params);
      return !Number.isNaN(t) && t > a && t <= n ? new Date(t) : null;
    }
    default:
      return null;
  }
}

/** The payload of the event a tick produces. */
export function timerEventPayload(ref: string, params: Record<string, unknown>, tick: Date): Record<string, unknown> {
  const executed_at = tick.toISOString();
  switch (ref) {
    case TimerTriggers.interval:
      return { type: 'interval', unit: params.unit ?? 'seconds', interval: params.interval, executed_at };
    case TimerTriggers.cron:
      return { type: 'cron', expression: params.expression, timezone: params.timezone ?? 'UTC', executed_at };
    default:
      return { type: 'datetime', fire_at: params.fire_at, timezone: params.timezone ?? 'UTC', executed_at };
  }
}
