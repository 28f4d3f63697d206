/**
 * When each recipient of a campaign is due: the campaign's `schedule` read from JSON, and the
 * one rule that turns it into an instant per recipient. Pure: the launch time is passed in.
 *
 *   "schedule": {
 *     "at": "2026-03-09T13:00:00Z",                       one instant for everyone, or
 *     "local_time": {"time": "10:00", "weekday": "monday"}  a time on each recipient's clock
 *                   (or "date": "2026-03-09" instead of "weekday"),
 *     "quiet_hours": {"from": "21:00", "to": "09:00"},     never inside, on the recipient's clock
 *     "expires_at": "2026-03-09T23:00:00-03:00",            unsent by then: expired, never late
 *     "fallback_time_zone": "America/Argentina/Buenos_Aires"  for contacts without a time zone
 *   }
 *
 * sendTimeFor applies, in this order:
 *   1. The moment: `at`; or `local_time` in the contact's zone (else the fallback zone, else
 *      UTC); or, with neither, the launch.
 *   2. Never before the launch. A `weekday` time that has already passed in the recipient's
 *      zone means the next such weekday. A `date` time that has passed means "at launch": the
 *      operator chose that day, and a recipient east of them for whom 10:00 went by an hour ago
 *      should still hear today rather than never; `expires_at` is the tool for "not after".
 *   3. Out of quiet hours, to the next allowed minute on the recipient's clock. Quiet hours are
 *      [from, to): "21:00"–"09:00" holds 21:00 and releases at 09:00.
 *   4. Expired if that instant is at or after `expires_at`.
 *
 * Daylight saving: a local time that does not exist (02:30 on a spring-forward night) means the
 * first minute after the gap (03:00); one that happens twice (fall back) means the earlier.
 *
 * Zones are converted with Intl alone (formatToParts, then an offset search), at about 10 µs a
 * call, and a campaign asks for a million recipients. So each zone's UTC offset is measured once
 * per UTC hour and kept (bounded): a repeated zone then costs a few Map lookups. This assumes a
 * zone changes its offset at most once in any hour and once within a day of a given moment, which
 * every zone of the tz database has done since long before anyone sent a WhatsApp message.
 */

import { checkTimeZone } from '../contacts/contact-fields';
import { cut, isRecord as isObject, typeName } from '../input-words';
import { isoTime } from '../iso-time';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The easternmost offset in use (Kiribati, UTC+14): no local time starts earlier than this. */
const MAX_OFFSET = 14 * HOUR;

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A time on each recipient's clock: minutes after local midnight, on a date or a weekday. */
export type LocalTime =
  | { on: 'date'; date: string; minuteOfDay: number }
  | { on: 'weekday'; weekday: Weekday; minuteOfDay: number };

/** Minutes after local midnight; quiet over [from, to), across midnight when from > to. */
export interface QuietHours {
  from: number;
  to: number;
}

export interface Schedule {
  /** Epoch ms; null: as soon as launched (or local_time). */
  at: number | null;
  localTime: LocalTime | null;
  quietHours: QuietHours | null;
  expiresAt: number | null;
  /** For contacts without a (known) time zone; null: UTC. */
  fallbackTimeZone: string | null;
}

/** No `schedule` given: every recipient is due at launch. */
export const SEND_AT_LAUNCH: Schedule = Object.freeze({
  at: null,
  localTime: null,
  quietHours: null,
  expiresAt: null,
  fallbackTimeZone: null,
});

export type SendTime = { kind: 'at'; at: number } | { kind: 'expired' };

export interface Problem {
  path: string;
  message: string;
}

export type CheckedSchedule = { ok: true; value: Schedule } | { ok: false; problems: Problem[] };

const KEYS = ['at', 'local_time', 'quiet_hours', 'expires_at', 'fallback_time_zone'];
const LOCAL_TIME_KEYS = ['time', 'date', 'weekday'];
const QUIET_HOURS_KEYS = ['from', 'to'];

/**
 * Reads a `schedule` as JSON gives it. Absent or null (the whole or any key) means "not set".
 * Every problem is named with its path under `base` ("schedule.quiet_hours.from").
 */
export function parseSchedule(input: unknown, base = 'schedule'): CheckedSchedule {
  if (input === undefined || input === null) return { ok: true, value: SEND_AT_LAUNCH };
  if (!isObject(input)) {
    return {
      ok: false,
      problems: [
        {
          path: base,
          message: `must be an object such as {"local_time": {"time": "10:00", "weekday": "monday"}}, not ${typeName(input)}`,
        },
      ],
    };
  }
  const problems: Problem[] = [];
  const path = (p: string) => `${base}.${p}`;
  unknownKeys(input, KEYS, base, problems);

  const at = given(input.at) ? instant(input.at, path('at'), problems) : null;
  const localTime = given(input.local_time)
    ? readLocalTime(input.local_time, path('local_time'), problems)
    : null;
  if (given(input.at) && given(input.local_time)) {
    problems.push({
      path: path('local_time'),
      message:
        'cannot be given with "at": "at" is one instant for everyone, "local_time" a time on each recipient\'s clock; keep one of them',
    });
  }
  const quietHours = given(input.quiet_hours)
    ? readQuietHours(input.quiet_hours, path('quiet_hours'), problems)
    : null;
  const expiresAt = given(input.expires_at) ? instant(input.expires_at, path('expires_at'), problems) : null;
  if (expiresAt !== null && at !== null && expiresAt <= at) {
    problems.push({
      path: path('expires_at'),
      message: `${isoTime(expiresAt)} is not after "at" (${isoTime(at)}): every recipient would expire before the start`,
    });
  }
  if (expiresAt !== null && localTime?.on === 'date') {
    const earliest = wallOf(localTime.date, localTime.minuteOfDay) - MAX_OFFSET;
    if (expiresAt <= earliest) {
      problems.push({
        path: path('expires_at'),
        message: `${isoTime(expiresAt)} comes before ${localTime.date} ${clock(localTime.minuteOfDay)} has begun in any time zone (the first is ${isoTime(earliest)}, at UTC+14): every recipient would expire`,
      });
    }
  }
  let fallbackTimeZone: string | null = null;
  if (given(input.fallback_time_zone)) {
    const zone = checkTimeZone(input.fallback_time_zone);
    if (zone.ok) fallbackTimeZone = zone.value;
    else problems.push({ path: path('fallback_time_zone'), message: zone.problem });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { at, localTime, quietHours, expiresAt, fallbackTimeZone } };
}

/**
 * The account's quiet hours (CAMPAIGN_QUIET_HOURS) apply to a campaign whose schedule says
 * nothing about them. A schedule that writes `"quiet_hours": null` chose none: that overrides the
 * account's default, as any key the campaign gives does. `raw` is the schedule as written (JSON),
 * since parseSchedule reads a missing key and a null one alike.
 */
export function withAccountQuietHours(
  schedule: Schedule,
  raw: unknown,
  accountQuietHours: QuietHours | null,
): Schedule {
  if (accountQuietHours === null || schedule.quietHours !== null) return schedule;
  if (isObject(raw) && Object.hasOwn(raw, 'quiet_hours')) return schedule;
  return { ...schedule, quietHours: accountQuietHours };
}

/**
 * Quiet hours written in one string, as a setting gives them: "21:00-09:00" (from-to, on each
 * recipient's clock), or "none" / "" for none.
 */
export function parseQuietHoursText(
  text: string,
  path: string,
): { ok: true; value: QuietHours | null } | { ok: false; problems: Problem[] } {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'none') return { ok: true, value: null };
  const m = /^(\S+?)\s*[-–]\s*(\S+)$/.exec(t);
  if (!m) {
    return {
      ok: false,
      problems: [
        {
          path,
          message: `"${cut(t)}" is not a span of quiet hours; write "FROM-TO" on a 24-hour clock, e.g. "21:00-09:00", or "none"`,
        },
      ],
    };
  }
  const problems: Problem[] = [];
  const value = readQuietHours({ from: m[1], to: m[2] }, path, problems);
  return value === null ? { ok: false, problems } : { ok: true, value };
}

/** The JSON form parseSchedule reads back to the same Schedule (for API answers and storage). */
export function scheduleJson(schedule: Schedule): Record<string, unknown> {
  const { at, localTime, quietHours, expiresAt, fallbackTimeZone } = schedule;
  return {
    at: at === null ? null : isoTime(at),
    local_time:
      localTime === null
        ? null
        : localTime.on === 'date'
          ? { time: clock(localTime.minuteOfDay), date: localTime.date }
          : { time: clock(localTime.minuteOfDay), weekday: localTime.weekday },
    quiet_hours: quietHours === null ? null : { from: clock(quietHours.from), to: clock(quietHours.to) },
    expires_at: expiresAt === null ? null : isoTime(expiresAt),
    fallback_time_zone: fallbackTimeZone,
  };
}

/**
 * The zone a recipient's local times and quiet hours are read in: their own if the runtime knows
 * it, else the schedule's fallback, else UTC. The dispatcher passes it to nextAllowed.
 */
export function recipientTimeZone(schedule: Schedule, timeZone: string | null): string {
  return zoneFor(schedule, timeZone).name;
}

/** The instant (epoch ms) this recipient's message becomes due, or `expired`: see the top. */
export function sendTimeFor(
  schedule: Schedule,
  contact: { timeZone: string | null },
  launchedAt: number,
): SendTime {
  const z = zoneFor(schedule, contact.timeZone);
  let t = launchedAt;
  if (schedule.at !== null) t = Math.max(schedule.at, launchedAt);
  else if (schedule.localTime !== null) t = localMoment(schedule.localTime, z, launchedAt);
  if (schedule.quietHours !== null) t = leaveQuiet(t, schedule.quietHours, z);
  if (schedule.expiresAt !== null && t >= schedule.expiresAt) return EXPIRED;
  return { kind: 'at', at: t };
}

const EXPIRED: SendTime = Object.freeze({ kind: 'expired' });

/**
 * `at` if it is outside quiet hours on the clock of `timeZone`, else the first allowed minute
 * after it. The dispatcher asks again at send time: a message held by a pause, a back-off or
 * the messaging limit may come due inside quiet hours long after sendTimeFor placed it. An
 * unknown zone (or null) reads quiet hours in UTC rather than failing the send.
 */
export function nextAllowed(at: number, quietHours: QuietHours | null, timeZone: string | null): number {
  if (quietHours === null) return at;
  return leaveQuiet(at, quietHours, (timeZone === null ? null : zone(timeZone)) ?? UTC);
}

// ---- the moment on the recipient's clock ----

function localMoment(local: LocalTime, z: Zone, launchedAt: number): number {
  if (local.on === 'date') {
    return Math.max(
      resolveLocal(z, wallOf(local.date, local.minuteOfDay), Number.NEGATIVE_INFINITY),
      launchedAt,
    );
  }
  const today = Math.floor((launchedAt + offsetAt(z, launchedAt)) / DAY);
  const ahead = mod(WEEKDAYS.indexOf(local.weekday) - weekdayIndex(today), 7);
  const wall = (today + ahead) * DAY + local.minuteOfDay * MINUTE;
  const t = resolveLocal(z, wall, Number.NEGATIVE_INFINITY);
  return t >= launchedAt ? t : resolveLocal(z, wall + 7 * DAY, Number.NEGATIVE_INFINITY);
}

function leaveQuiet(at: number, quiet: QuietHours, z: Zone): number {
  let t = at;
  // One pass moves past quiet hours; a second is needed when a spring-forward gap swallows the
  // allowed span and lands the end back inside them (then the next day's end). The bound keeps
  // an odd zone from looping.
  for (let pass = 0; pass < 3; pass++) {
    const wall = t + offsetAt(z, t);
    const day = Math.floor(wall / DAY);
    const minute = Math.floor((wall - day * DAY) / MINUTE);
    let endDay: number;
    if (quiet.from < quiet.to) {
      if (minute < quiet.from || minute >= quiet.to) return t;
      endDay = day;
    } else if (minute >= quiet.from) endDay = day + 1;
    else if (minute < quiet.to) endDay = day;
    else return t;
    t = Math.max(resolveLocal(z, endDay * DAY + quiet.to * MINUTE, t), t);
  }
  return t;
}

// ---- zones: wall clock ↔ instant ----

/**
 * What one UTC hour of a zone is offset by: a number, or the moment inside the hour where it
 * changes (then `before` applies to instants before `change`).
 */
type HourOffset = number | { change: number; before: number; after: number };

interface Zone {
  name: string;
  /** null for UTC, which needs no measuring. */
  format: Intl.DateTimeFormat | null;
  hours: Map<number, HourOffset>;
}

const UTC: Zone = { name: 'UTC', format: null, hours: new Map() };
/** Bounds: the tz database has about 600 names; a zone's hours cover months of sends. */
const MAX_ZONES = 1024;
const MAX_HOURS = 8192;
const zones = new Map<string, Zone | null>();

function zoneFor(schedule: Schedule, timeZone: string | null): Zone {
  return (
    (timeZone === null ? null : zone(timeZone)) ??
    (schedule.fallbackTimeZone === null ? null : zone(schedule.fallbackTimeZone)) ??
    UTC
  );
}

/** The zone of that name, or null if the runtime does not know it. */
function zone(name: string): Zone | null {
  const known = zones.get(name);
  if (known !== undefined) return known;
  let z: Zone | null;
  try {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const canonical = format.resolvedOptions().timeZone;
    z = canonical === 'UTC' ? { ...UTC, name } : { name, format, hours: new Map() };
  } catch {
    z = null;
  }
  if (zones.size >= MAX_ZONES) zones.clear();
  zones.set(name, z);
  return z;
}

/** The zone's UTC offset (ms, east positive) at instant t. */
function offsetAt(z: Zone, t: number): number {
  if (z.format === null) return 0;
  const o = hourOffset(z, Math.floor(t / HOUR));
  return typeof o === 'number' ? o : t < o.change ? o.before : o.after;
}

function hourOffset(z: Zone, hour: number): HourOffset {
  let o = z.hours.get(hour);
  if (o === undefined) {
    o = measureHour(z, hour);
    if (z.hours.size >= MAX_HOURS) z.hours.clear();
    z.hours.set(hour, o);
  }
  return o;
}

function measureHour(z: Zone, hour: number): HourOffset {
  let lo = hour * HOUR;
  let hi = lo + HOUR - SECOND;
  const before = measure(z, lo);
  const after = measure(z, hi);
  if (before === after) return before;
  // Offsets change on whole seconds: 12 halvings find the one inside the hour.
  while (hi - lo > SECOND) {
    const mid = lo + Math.floor((hi - lo) / (2 * SECOND)) * SECOND;
    if (measure(z, mid) === before) lo = mid;
    else hi = mid;
  }
  return { change: hi, before, after };
}

/** The offset as Intl reports it: the wall clock read as if it were UTC, minus the instant. */
function measure(z: Zone, t: number): number {
  const whole = t - mod(t, SECOND);
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const part of z.format!.formatToParts(whole)) {
    switch (part.type) {
      case 'year':
        y = Number(part.value);
        break;
      case 'month':
        mo = Number(part.value);
        break;
      case 'day':
        d = Number(part.value);
        break;
      case 'hour':
        h = Number(part.value);
        break;
      case 'minute':
        mi = Number(part.value);
        break;
      case 'second':
        s = Number(part.value);
        break;
    }
  }
  return dayNumber(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * SECOND - whole;
}

/**
 * The instant at which the zone's clock reads `wall` (local time written as if UTC): the first
 * such instant after `after`. In a spring-forward gap, where no instant reads `wall`, the end of
 * the gap; at a fall back, the earlier of the two unless it is not after `after`.
 */
function resolveLocal(z: Zone, wall: number, after: number): number {
  const a = offsetAt(z, wall - DAY);
  const b = offsetAt(z, wall + DAY);
  if (a === b) return wall - a;
  const early = wall - Math.max(a, b);
  const late = wall - Math.min(a, b);
  const earlyValid = offsetAt(z, early) === Math.max(a, b);
  const lateValid = offsetAt(z, late) === Math.min(a, b);
  if (earlyValid && (early > after || !lateValid)) return early;
  if (lateValid) return late;
  return gapEnd(z, early, b);
}

/** The first instant from `from` on at which the zone is at offset `to` (the end of a gap). */
function gapEnd(z: Zone, from: number, to: number): number {
  const first = Math.floor(from / HOUR);
  for (let hour = first; hour < first + 48; hour++) {
    const o = hourOffset(z, hour);
    if (typeof o !== 'number') {
      if (o.after === to && o.change > from) return o.change;
    } else if (o === to) return Math.max(hour * HOUR, from);
  }
  return from;
}

// ---- calendar arithmetic (no Date: Date.UTC reads years 0–99 as 1900–1999) ----

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Monday = 0; 1970-01-01 was a Thursday. */
function weekdayIndex(day: number): number {
  return mod(day + 3, 7);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function wallOf(date: string, minuteOfDay: number): number {
  return (
    dayNumber(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))) * DAY +
    minuteOfDay * MINUTE
  );
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

// ---- reading the JSON ----

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const EXAMPLE_INSTANT = 'write e.g. "2026-03-09T13:00:00Z" or "2026-03-09T10:00:00-03:00"';

function instant(input: unknown, path: string, problems: Problem[]): number | null {
  if (typeof input !== 'string') {
    problems.push({
      path,
      message: `must be an ISO 8601 string; ${EXAMPLE_INSTANT}, not ${typeName(input)}`,
    });
    return null;
  }
  const m = INSTANT.exec(input.trim());
  if (!m) {
    problems.push({
      path,
      message: NO_OFFSET.test(input.trim())
        ? `"${cut(input)}" has no UTC offset, so it names no single instant; add "Z" or "±hh:mm" (e.g. "${input.trim().replace(' ', 'T')}-03:00"), or use "local_time" for each recipient's own clock`
        : `"${cut(input)}" is not an ISO 8601 instant; ${EXAMPLE_INSTANT}`,
    });
    return null;
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6] ?? 0);
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offset = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * HOUR + Number(m[11]) * MINUTE);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    problems.push({ path, message: `"${cut(input)}" has no such day (${m[1]}-${m[2]}-${m[3]})` });
    return null;
  }
  if (hour > 23 || minute > 59 || second > 59 || Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) {
    problems.push({
      path,
      message: `"${cut(input)}" has no such time of day (hours 00–23, minutes and seconds 00–59)`,
    });
    return null;
  }
  return dayNumber(year, month, day) * DAY + hour * HOUR + minute * MINUTE + second * SECOND + ms - offset;
}

const CLOCK = /^(\d{2}):(\d{2})$/;

function readClock(input: unknown, path: string, problems: Problem[]): number | null {
  const m = typeof input === 'string' ? CLOCK.exec(input) : null;
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    problems.push({
      path,
      message: `${typeof input === 'string' ? `"${cut(input)}"` : typeName(input)} is not a time of day; write "HH:MM" on a 24-hour clock, e.g. "09:00" or "21:30"`,
    });
    return null;
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function readLocalTime(input: unknown, path: string, problems: Problem[]): LocalTime | null {
  if (!isObject(input)) {
    problems.push({
      path,
      message: `must be an object: {"time": "10:00", "weekday": "monday"} or {"time": "10:00", "date": "2026-03-09"}, not ${typeName(input)}`,
    });
    return null;
  }
  unknownKeys(input, LOCAL_TIME_KEYS, path, problems);
  const time = given(input.time) ? readClock(input.time, `${path}.time`, problems) : null;
  if (!given(input.time)) {
    problems.push({
      path: `${path}.time`,
      message: 'is missing: the time on the recipient\'s clock, e.g. "10:00"',
    });
  }
  const hasDate = given(input.date);
  const hasWeekday = given(input.weekday);
  if (hasDate === hasWeekday) {
    problems.push({
      path,
      message: hasDate
        ? 'gives both "date" and "weekday"; give one: a date ("2026-03-09") or the next such weekday ("monday")'
        : 'names no day: add "date": "YYYY-MM-DD" or "weekday": "monday" … "sunday"',
    });
    return null;
  }
  if (hasDate) {
    const m = typeof input.date === 'string' ? DATE.exec(input.date) : null;
    const ok = m && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1;
    if (!m || !ok || Number(m[3]) > daysInMonth(Number(m[1]), Number(m[2]))) {
      problems.push({
        path: `${path}.date`,
        message: m
          ? `"${input.date}" has no such day`
          : `${typeof input.date === 'string' ? `"${cut(input.date)}"` : typeName(input.date)} is not a date; write "YYYY-MM-DD", e.g. "2026-03-09"`,
      });
      return null;
    }
    return time === null ? null : { on: 'date', date: input.date as string, minuteOfDay: time };
  }
  const weekday = typeof input.weekday === 'string' ? input.weekday.trim().toLowerCase() : '';
  if (!(WEEKDAYS as readonly string[]).includes(weekday)) {
    problems.push({
      path: `${path}.weekday`,
      message: `${typeof input.weekday === 'string' ? `"${cut(input.weekday)}"` : typeName(input.weekday)} is not a weekday; write one of ${WEEKDAYS.join(', ')}`,
    });
    return null;
  }
  return time === null ? null : { on: 'weekday', weekday: weekday as Weekday, minuteOfDay: time };
}

function readQuietHours(input: unknown, path: string, problems: Problem[]): QuietHours | null {
  if (!isObject(input)) {
    problems.push({
      path,
      message: `must be an object: {"from": "21:00", "to": "09:00"}, not ${typeName(input)}`,
    });
    return null;
  }
  unknownKeys(input, QUIET_HOURS_KEYS, path, problems);
  const ends = QUIET_HOURS_KEYS.map((key) => {
    if (given(input[key])) return readClock(input[key], `${path}.${key}`, problems);
    problems.push({
      path: `${path}.${key}`,
      message: `is missing: quiet hours need "from" and "to", e.g. {"from": "21:00", "to": "09:00"}`,
    });
    return null;
  });
  const [from, to] = ends;
  if (from == null || to == null) return null;
  if (from === to) {
    problems.push({
      path,
      message: `"from" and "to" are both "${clock(from)}", which is no span at all; write one such as {"from": "21:00", "to": "09:00"}, or leave quiet_hours out for none`,
    });
    return null;
  }
  return { from, to };
}

function unknownKeys(input: Record<string, unknown>, known: string[], path: string, problems: Problem[]) {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      problems.push({
        path: `${path}.${key}`,
        message: `unknown key; ${path} takes ${known.map((k) => `"${k}"`).join(', ')}`,
      });
    }
  }
}

function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function clock(minuteOfDay: number): string {
  const h = Math.floor(minuteOfDay / 60);
  const m = minuteOfDay % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
