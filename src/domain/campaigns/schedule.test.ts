import { describe, expect, it } from 'vitest';
import {
  nextAllowed,
  parseQuietHoursText,
  parseSchedule,
  recipientTimeZone,
  type Schedule,
  SEND_AT_LAUNCH,
  scheduleJson,
  sendTimeFor,
  withAccountQuietHours,
} from './schedule';

const t = (iso: string) => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test time ${iso}`);
  return ms;
};

function schedule(input: unknown): Schedule {
  const r = parseSchedule(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function problems(input: unknown) {
  const r = parseSchedule(input);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

/** Runs sendTimeFor and answers the ISO instant, or "expired". */
function due(s: Schedule, timeZone: string | null, launchedAt: string): string {
  const r = sendTimeFor(s, { timeZone }, t(launchedAt));
  return r.kind === 'at' ? new Date(r.at).toISOString() : 'expired';
}

/** The wall clock of `zone` at `ms`, as "YYYY-MM-DD HH:MM", read straight from Intl. */
const formats = new Map<string, Intl.DateTimeFormat>();
function wallIn(zone: string, ms: number): string {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(ms);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

const BA = 'America/Argentina/Buenos_Aires';
const NY = 'America/New_York';
const MADRID = 'Europe/Madrid';
const KOLKATA = 'Asia/Kolkata';
const CHATHAM = 'Pacific/Chatham';
const LORD_HOWE = 'Australia/Lord_Howe';

describe('parseSchedule', () => {
  it('reads no schedule as "due at launch"', () => {
    expect(parseSchedule(undefined)).toEqual({ ok: true, value: SEND_AT_LAUNCH });
    expect(parseSchedule(null)).toEqual({ ok: true, value: SEND_AT_LAUNCH });
    expect(parseSchedule({})).toEqual({ ok: true, value: SEND_AT_LAUNCH });
    expect(parseSchedule({ at: null, local_time: null, quiet_hours: null })).toEqual({
      ok: true,
      value: SEND_AT_LAUNCH,
    });
  });

  it('reads every field', () => {
    expect(
      schedule({
        local_time: { time: '10:00', weekday: 'monday' },
        quiet_hours: { from: '21:00', to: '09:00' },
        expires_at: '2026-03-10T03:00:00Z',
        fallback_time_zone: BA,
      }),
    ).toEqual({
      at: null,
      localTime: { on: 'weekday', weekday: 'monday', minuteOfDay: 600 },
      quietHours: { from: 21 * 60, to: 9 * 60 },
      expiresAt: t('2026-03-10T03:00:00Z'),
      // Intl's canonical name for the zone, as contacts' zones are stored.
      fallbackTimeZone: 'America/Buenos_Aires',
    });
    expect(schedule({ local_time: { time: '23:59', date: '2028-02-29' } }).localTime).toEqual({
      on: 'date',
      date: '2028-02-29',
      minuteOfDay: 23 * 60 + 59,
    });
  });

  it('reads instants with any offset, fractions and lower-case letters', () => {
    expect(schedule({ at: '2026-03-09T10:00:00-03:00' }).at).toBe(t('2026-03-09T13:00:00Z'));
    expect(schedule({ at: '2026-03-09T10:00+05:30' }).at).toBe(t('2026-03-09T04:30:00Z'));
    expect(schedule({ at: '2026-03-09t13:00:00.123456z' }).at).toBe(t('2026-03-09T13:00:00.123Z'));
    expect(schedule({ at: '2026-03-09T13:00:00.5Z' }).at).toBe(t('2026-03-09T13:00:00.500Z'));
    expect(schedule({ at: ' 2026-12-31T23:59:59Z ' }).at).toBe(t('2026-12-31T23:59:59Z'));
  });

  it('writes weekdays in lower case and zones as the runtime spells them', () => {
    const s = schedule({
      local_time: { time: '08:30', weekday: ' Friday ' },
      fallback_time_zone: 'america/new_york',
    });
    expect(s.localTime).toEqual({ on: 'weekday', weekday: 'friday', minuteOfDay: 510 });
    expect(s.fallbackTimeZone).toBe(NY);
  });

  it('gives back JSON that reads to the same schedule', () => {
    for (const input of [
      {
        at: '2026-03-09T10:00:00-03:00',
        quiet_hours: { from: '21:00', to: '09:05' },
        expires_at: '2026-03-10T00:00:00Z',
      },
      { local_time: { time: '00:00', date: '2026-11-01' }, fallback_time_zone: KOLKATA },
      { local_time: { time: '10:07', weekday: 'sunday' } },
      {},
    ]) {
      const s = schedule(input);
      const json = scheduleJson(s);
      expect(Object.keys(json)).toEqual([
        'at',
        'local_time',
        'quiet_hours',
        'expires_at',
        'fallback_time_zone',
      ]);
      expect(schedule(JSON.parse(JSON.stringify(json)))).toEqual(s);
    }
    expect(
      scheduleJson(
        schedule({ at: '2026-03-09T10:00:00-03:00', quiet_hours: { from: '21:00', to: '09:05' } }),
      ),
    ).toEqual({
      at: '2026-03-09T13:00:00.000Z',
      local_time: null,
      quiet_hours: { from: '21:00', to: '09:05' },
      expires_at: null,
      fallback_time_zone: null,
    });
  });

  it('names a schedule that is not an object', () => {
    expect(problems('monday 10:00')).toEqual([
      { path: 'schedule', message: expect.stringContaining('a string') },
    ]);
    expect(problems([])[0]).toEqual({ path: 'schedule', message: expect.stringContaining('an array') });
  });

  it('names unknown keys at every level', () => {
    expect(
      problems({
        start: 'now',
        local_time: { time: '10:00', weekday: 'monday', zone: 'UTC' },
        quiet_hours: { from: '21:00', to: '09:00', days: [] },
      }).map((p) => p.path),
    ).toEqual(['schedule.start', 'schedule.local_time.zone', 'schedule.quiet_hours.days']);
    expect(problems({ start: 'now' })[0]!.message).toContain('"local_time"');
  });

  it('refuses "at" together with "local_time"', () => {
    expect(
      problems({ at: '2026-03-09T13:00:00Z', local_time: { time: '10:00', weekday: 'monday' } }),
    ).toEqual([
      { path: 'schedule.local_time', message: expect.stringContaining('cannot be given with "at"') },
    ]);
  });

  it('explains instants it cannot read', () => {
    const at = (value: unknown) => {
      const [p, ...rest] = problems({ at: value });
      expect(rest).toEqual([]);
      expect(p!.path).toBe('schedule.at');
      return p!.message;
    };
    expect(at('2026-03-09T10:00:00')).toMatch(/no UTC offset.*"2026-03-09T10:00:00-03:00".*local_time/);
    expect(at('2026-03-09 10:00')).toContain('no UTC offset');
    expect(at('next monday')).toContain('is not an ISO 8601 instant; write e.g.');
    expect(at('2026-03-09')).toContain('is not an ISO 8601 instant');
    expect(at(1773061200000)).toContain('must be an ISO 8601 string');
    expect(at('2026-02-29T10:00:00Z')).toContain('no such day (2026-02-29)');
    expect(at('2026-13-01T10:00:00Z')).toContain('no such day');
    expect(at('2026-04-31T10:00:00Z')).toContain('no such day');
    expect(at('2026-03-09T24:00:00Z')).toContain('no such time of day');
    expect(at('2026-03-09T10:60:00Z')).toContain('no such time of day');
    expect(at('2026-03-09T10:00:60Z')).toContain('no such time of day');
    expect(at('2026-03-09T10:00:00+24:00')).toContain('no such time of day');
    expect(at(`${'x'.repeat(100)}`)).toContain('…');
  });

  it('checks local_time: time, exactly one of date and weekday', () => {
    const paths = (local_time: unknown) => problems({ local_time }).map((p) => `${p.path}: ${p.message}`);
    expect(paths('10:00')).toEqual([expect.stringMatching(/^schedule\.local_time: must be an object/)]);
    expect(paths({ weekday: 'monday' })).toEqual([
      expect.stringMatching(/^schedule\.local_time\.time: is missing/),
    ]);
    expect(paths({ time: '9:00', weekday: 'monday' })).toEqual([
      expect.stringMatching(/^schedule\.local_time\.time: "9:00" is not a time of day; write "HH:MM"/),
    ]);
    expect(paths({ time: '24:00', weekday: 'monday' })[0]).toContain('"24:00" is not a time of day');
    expect(paths({ time: '10:75', weekday: 'monday' })[0]).toContain('"10:75" is not a time of day');
    expect(paths({ time: 1000, weekday: 'monday' })[0]).toContain('a number is not a time of day');
    expect(paths({ time: '10:00' })).toEqual([expect.stringMatching(/^schedule\.local_time: names no day/)]);
    expect(paths({ time: '10:00', date: '2026-03-09', weekday: 'monday' })).toEqual([
      expect.stringMatching(/^schedule\.local_time: gives both "date" and "weekday"/),
    ]);
    expect(paths({ time: '10:00', date: '2026-02-29' })).toEqual([
      'schedule.local_time.date: "2026-02-29" has no such day',
    ]);
    expect(paths({ time: '10:00', date: '2026-00-10' })[0]).toContain('has no such day');
    expect(paths({ time: '10:00', date: '09/03/2026' })).toEqual([
      expect.stringMatching(/^schedule\.local_time\.date: "09\/03\/2026" is not a date; write "YYYY-MM-DD"/),
    ]);
    expect(paths({ time: '10:00', weekday: 'funday' })).toEqual([
      expect.stringMatching(
        /^schedule\.local_time\.weekday: "funday" is not a weekday; write one of monday, /,
      ),
    ]);
    expect(paths({ time: '10:00', weekday: 1 })[0]).toContain('a number is not a weekday');
  });

  it('checks quiet_hours', () => {
    const paths = (quiet_hours: unknown) => problems({ quiet_hours }).map((p) => `${p.path}: ${p.message}`);
    expect(paths('21-09')[0]).toMatch(/^schedule\.quiet_hours: must be an object: \{"from": "21:00"/);
    expect(paths({ from: '21:00' })).toEqual([
      expect.stringMatching(/^schedule\.quiet_hours\.to: is missing/),
    ]);
    expect(paths({})).toHaveLength(2);
    expect(paths({ from: '9pm', to: '09:00' })).toEqual([
      expect.stringMatching(/^schedule\.quiet_hours\.from: "9pm" is not a time of day/),
    ]);
    expect(paths({ from: '09:00', to: '09:00' })).toEqual([
      expect.stringMatching(/^schedule\.quiet_hours: "from" and "to" are both "09:00", which is no span/),
    ]);
  });

  it('refuses an expiry that comes before the start', () => {
    expect(problems({ at: '2026-03-09T13:00:00Z', expires_at: '2026-03-09T10:00:00-03:00' })).toEqual([
      {
        path: 'schedule.expires_at',
        message:
          '2026-03-09T13:00:00.000Z is not after "at" (2026-03-09T13:00:00.000Z): every recipient would expire before the start',
      },
    ]);
    expect(parseSchedule({ at: '2026-03-09T13:00:00Z', expires_at: '2026-03-09T13:00:00.001Z' }).ok).toBe(
      true,
    );
    // 10:00 on 9 March begins first at UTC+14, at 20:00 UTC on the 8th.
    expect(
      problems({ local_time: { time: '10:00', date: '2026-03-09' }, expires_at: '2026-03-08T20:00:00Z' }),
    ).toEqual([
      {
        path: 'schedule.expires_at',
        message: expect.stringContaining('(the first is 2026-03-08T20:00:00.000Z, at UTC+14)'),
      },
    ]);
    expect(
      parseSchedule({ local_time: { time: '10:00', date: '2026-03-09' }, expires_at: '2026-03-08T20:00:01Z' })
        .ok,
    ).toBe(true);
    expect(problems({ expires_at: 'tomorrow' })[0]!.path).toBe('schedule.expires_at');
  });

  it('checks the fallback time zone against Intl', () => {
    expect(problems({ fallback_time_zone: 'Mars/Olympus_Mons' })).toEqual([
      { path: 'schedule.fallback_time_zone', message: expect.stringContaining('is not an IANA time zone') },
    ]);
    expect(problems({ fallback_time_zone: '-03:00' })[0]!.path).toBe('schedule.fallback_time_zone');
    expect(problems({ fallback_time_zone: 3 })[0]!.message).toContain('must be a string');
  });

  it('names every problem at once, under the path it is given', () => {
    const r = parseSchedule(
      {
        at: 'soon',
        quiet_hours: { from: '22:00', to: '22:00' },
        expires_at: '2026-03-09',
        fallback_time_zone: 'Nowhere',
      },
      'campaign.schedule',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.path)).toEqual([
        'campaign.schedule.at',
        'campaign.schedule.quiet_hours',
        'campaign.schedule.expires_at',
        'campaign.schedule.fallback_time_zone',
      ]);
    }
  });
});

describe('sendTimeFor: the moment', () => {
  it('sends at launch without a schedule, and never before launch', () => {
    expect(due(SEND_AT_LAUNCH, NY, '2026-03-09T12:34:56.789Z')).toBe('2026-03-09T12:34:56.789Z');
    const at = schedule({ at: '2026-03-09T13:00:00Z' });
    expect(due(at, NY, '2026-03-09T12:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(due(at, KOLKATA, '2026-03-09T12:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(due(at, NY, '2026-03-09T14:00:00Z')).toBe('2026-03-09T14:00:00.000Z');
  });

  it('places "Monday 10:00" on each recipient\'s own clock', () => {
    const monday = schedule({ local_time: { time: '10:00', weekday: 'monday' } });
    const launched = '2026-03-06T12:00:00Z'; // a Friday everywhere but Chatham (Saturday 01:45)
    expect(due(monday, BA, launched)).toBe('2026-03-09T13:00:00.000Z'); // -03:00, no DST
    expect(due(monday, KOLKATA, launched)).toBe('2026-03-09T04:30:00.000Z'); // +05:30
    expect(due(monday, CHATHAM, launched)).toBe('2026-03-08T20:15:00.000Z'); // +13:45 in summer
    expect(due(monday, LORD_HOWE, launched)).toBe('2026-03-08T23:00:00.000Z'); // +11:00 in summer
    expect(due(monday, MADRID, launched)).toBe('2026-03-09T09:00:00.000Z'); // +01:00
    // New York moved to EDT on Sunday 8 March, between launch (EST) and Monday.
    expect(due(monday, NY, launched)).toBe('2026-03-09T14:00:00.000Z');
  });

  it('reads a contact without a known zone in the fallback zone, else in UTC', () => {
    const monday = schedule({ local_time: { time: '10:00', weekday: 'monday' } });
    const withFallback = schedule({
      local_time: { time: '10:00', weekday: 'monday' },
      fallback_time_zone: BA,
    });
    const launched = '2026-03-06T12:00:00Z';
    expect(due(monday, null, launched)).toBe('2026-03-09T10:00:00.000Z');
    expect(due(withFallback, null, launched)).toBe('2026-03-09T13:00:00.000Z');
    expect(due(withFallback, 'Not/A_Zone', launched)).toBe('2026-03-09T13:00:00.000Z');
    expect(due(monday, 'Not/A_Zone', launched)).toBe('2026-03-09T10:00:00.000Z');
    expect(due(withFallback, KOLKATA, launched)).toBe('2026-03-09T04:30:00.000Z');
    expect(due(monday, 'Etc/UTC', launched)).toBe('2026-03-09T10:00:00.000Z');
    expect(recipientTimeZone(withFallback, null)).toBe('America/Buenos_Aires');
    expect(recipientTimeZone(withFallback, 'Not/A_Zone')).toBe('America/Buenos_Aires');
    expect(recipientTimeZone(withFallback, KOLKATA)).toBe(KOLKATA);
    expect(recipientTimeZone(monday, null)).toBe('UTC');
  });

  it("takes the weekday from the recipient's calendar, today if the time is still ahead", () => {
    const monday = schedule({ local_time: { time: '10:00', weekday: 'monday' } });
    // Monday 12:00 UTC: 09:00 in Buenos Aires (still ahead), 17:30 in Kolkata (gone).
    expect(due(monday, BA, '2026-03-09T12:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(due(monday, KOLKATA, '2026-03-09T12:00:00Z')).toBe('2026-03-16T04:30:00.000Z');
    expect(due(monday, BA, '2026-03-09T13:00:00Z')).toBe('2026-03-09T13:00:00.000Z'); // exactly now
    expect(due(monday, BA, '2026-03-09T13:00:00.001Z')).toBe('2026-03-16T13:00:00.000Z');
    // Sunday 20:00 UTC is already Monday 09:45 in Chatham: 10:00 there is 15 minutes away.
    expect(due(monday, CHATHAM, '2026-03-08T20:00:00Z')).toBe('2026-03-08T20:15:00.000Z');
    expect(due(monday, null, '2026-03-08T20:00:00Z')).toBe('2026-03-09T10:00:00.000Z');
    // Sunday 23:00 in Buenos Aires is already Monday in UTC, whose 10:00 is long gone… for UTC only.
    expect(due(monday, BA, '2026-03-09T02:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    const sunday = schedule({ local_time: { time: '23:30', weekday: 'sunday' } });
    expect(due(sunday, BA, '2026-03-09T02:00:00Z')).toBe('2026-03-09T02:30:00.000Z');
    expect(due(sunday, null, '2026-03-09T02:00:00Z')).toBe('2026-03-15T23:30:00.000Z');
  });

  it('sends a date whose time has passed for a recipient at launch', () => {
    const ninth = schedule({ local_time: { time: '10:00', date: '2026-03-09' } });
    expect(due(ninth, KOLKATA, '2026-03-09T12:00:00Z')).toBe('2026-03-09T12:00:00.000Z');
    expect(due(ninth, BA, '2026-03-09T12:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(due(ninth, BA, '2026-06-01T12:00:00Z')).toBe('2026-06-01T12:00:00.000Z');
    expect(due(ninth, CHATHAM, '2026-03-01T00:00:00Z')).toBe('2026-03-08T20:15:00.000Z');
  });
});

describe('sendTimeFor: daylight saving', () => {
  const on = (date: string, time: string) => schedule({ local_time: { date, time } });
  const early = '2026-01-01T00:00:00Z';

  it('New York, spring forward (8 March 2026, 02:00 → 03:00)', () => {
    expect(due(on('2026-03-08', '01:59'), NY, early)).toBe('2026-03-08T06:59:00.000Z');
    expect(due(on('2026-03-08', '02:00'), NY, early)).toBe('2026-03-08T07:00:00.000Z'); // gap
    expect(due(on('2026-03-08', '02:30'), NY, early)).toBe('2026-03-08T07:00:00.000Z'); // gap
    expect(due(on('2026-03-08', '02:59'), NY, early)).toBe('2026-03-08T07:00:00.000Z'); // gap
    expect(due(on('2026-03-08', '03:00'), NY, early)).toBe('2026-03-08T07:00:00.000Z');
    expect(due(on('2026-03-08', '03:01'), NY, early)).toBe('2026-03-08T07:01:00.000Z');
  });

  it('New York, fall back (1 November 2026, 02:00 → 01:00): the earlier 01:30', () => {
    expect(due(on('2026-11-01', '00:30'), NY, early)).toBe('2026-11-01T04:30:00.000Z');
    expect(due(on('2026-11-01', '01:00'), NY, early)).toBe('2026-11-01T05:00:00.000Z');
    expect(due(on('2026-11-01', '01:30'), NY, early)).toBe('2026-11-01T05:30:00.000Z');
    expect(due(on('2026-11-01', '01:59'), NY, early)).toBe('2026-11-01T05:59:00.000Z');
    expect(due(on('2026-11-01', '02:00'), NY, early)).toBe('2026-11-01T07:00:00.000Z');
  });

  it('Madrid, both changes (29 March 02:00 → 03:00, 25 October 03:00 → 02:00)', () => {
    expect(due(on('2026-03-29', '01:59'), MADRID, early)).toBe('2026-03-29T00:59:00.000Z');
    expect(due(on('2026-03-29', '02:30'), MADRID, early)).toBe('2026-03-29T01:00:00.000Z');
    expect(due(on('2026-03-29', '03:00'), MADRID, early)).toBe('2026-03-29T01:00:00.000Z');
    expect(due(on('2026-10-25', '01:59'), MADRID, early)).toBe('2026-10-24T23:59:00.000Z');
    expect(due(on('2026-10-25', '02:30'), MADRID, early)).toBe('2026-10-25T00:30:00.000Z');
    expect(due(on('2026-10-25', '03:00'), MADRID, early)).toBe('2026-10-25T02:00:00.000Z');
  });

  it('Lord Howe, whose clocks move by 30 minutes', () => {
    // 5 April 2026: 02:00 (+11:00) → 01:30 (+10:30); 01:30–02:00 happens twice.
    expect(due(on('2026-04-05', '01:29'), LORD_HOWE, early)).toBe('2026-04-04T14:29:00.000Z');
    expect(due(on('2026-04-05', '01:45'), LORD_HOWE, early)).toBe('2026-04-04T14:45:00.000Z');
    expect(due(on('2026-04-05', '02:00'), LORD_HOWE, early)).toBe('2026-04-04T15:30:00.000Z');
    // 4 October 2026: 02:00 (+10:30) → 02:30 (+11:00); 02:00–02:30 never happens.
    expect(due(on('2026-10-04', '01:59'), LORD_HOWE, early)).toBe('2026-10-03T15:29:00.000Z');
    expect(due(on('2026-10-04', '02:00'), LORD_HOWE, early)).toBe('2026-10-03T15:30:00.000Z');
    expect(due(on('2026-10-04', '02:15'), LORD_HOWE, early)).toBe('2026-10-03T15:30:00.000Z');
    expect(due(on('2026-10-04', '02:30'), LORD_HOWE, early)).toBe('2026-10-03T15:30:00.000Z');
    expect(due(on('2026-10-04', '02:31'), LORD_HOWE, early)).toBe('2026-10-03T15:31:00.000Z');
  });

  it('Chatham, at +12:45 / +13:45', () => {
    // 5 April 2026: 03:45 (+13:45) → 02:45 (+12:45).
    expect(due(on('2026-04-05', '03:00'), CHATHAM, early)).toBe('2026-04-04T13:15:00.000Z');
    expect(due(on('2026-04-05', '04:00'), CHATHAM, early)).toBe('2026-04-04T15:15:00.000Z');
    // 27 September 2026: 02:45 (+12:45) → 03:45 (+13:45).
    expect(due(on('2026-09-27', '02:44'), CHATHAM, early)).toBe('2026-09-26T13:59:00.000Z');
    expect(due(on('2026-09-27', '03:00'), CHATHAM, early)).toBe('2026-09-26T14:00:00.000Z');
    expect(due(on('2026-09-27', '10:00'), CHATHAM, early)).toBe('2026-09-26T20:15:00.000Z');
    expect(due(on('2026-06-15', '10:00'), CHATHAM, early)).toBe('2026-06-14T21:15:00.000Z');
  });

  it('weekdays across a change keep the local time, not the launch offset', () => {
    const monday = schedule({ local_time: { time: '10:00', weekday: 'monday' } });
    expect(due(monday, MADRID, '2026-03-27T12:00:00Z')).toBe('2026-03-30T08:00:00.000Z');
    expect(due(monday, MADRID, '2026-10-23T12:00:00Z')).toBe('2026-10-26T09:00:00.000Z');
    expect(due(monday, NY, '2026-10-30T12:00:00Z')).toBe('2026-11-02T15:00:00.000Z');
    const sunday = schedule({ local_time: { time: '02:30', weekday: 'sunday' } });
    expect(due(sunday, NY, '2026-03-05T12:00:00Z')).toBe('2026-03-08T07:00:00.000Z');
    // Launched at 01:45 EDT on the fall-back Sunday: the (earlier) 01:30 is gone: next week.
    const sundayEarly = schedule({ local_time: { time: '01:30', weekday: 'sunday' } });
    expect(due(sundayEarly, NY, '2026-11-01T05:45:00Z')).toBe('2026-11-08T06:30:00.000Z');
  });

  it('matches Intl for every zone at random local times of 2026', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pad = (n: number) => String(n).padStart(2, '0');
    for (const zone of [
      BA,
      NY,
      MADRID,
      KOLKATA,
      CHATHAM,
      LORD_HOWE,
      'Asia/Kathmandu',
      'Pacific/Kiritimati',
    ]) {
      for (let i = 0; i < 300; i++) {
        const day = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 365) * 86_400_000);
        const date = day.toISOString().slice(0, 10);
        const time = `${pad(Math.floor(random() * 24))}:${pad(Math.floor(random() * 60))}`;
        const r = sendTimeFor(on(date, time), { timeZone: zone }, t('2025-06-01T00:00:00Z'));
        if (r.kind !== 'at') throw new Error('expected a time');
        const wall = `${date} ${time}`;
        if (wallIn(zone, r.at) === wall) {
          // The earlier of two readings: half an hour or an hour before never read the same.
          expect(wallIn(zone, r.at - 30 * 60_000)).not.toBe(wall);
          expect(wallIn(zone, r.at - 60 * 60_000)).not.toBe(wall);
        } else {
          // A gap: the result is the first minute after it.
          expect(wallIn(zone, r.at) > wall).toBe(true);
          expect(wallIn(zone, r.at - 60_000) < wall).toBe(true);
        }
      }
    }
  });
});

describe('quiet hours', () => {
  const night = { from: 21 * 60, to: 9 * 60 };

  it('holds a message in quiet hours until they end, across midnight', () => {
    expect(nextAllowed(t('2026-03-09T01:00:00Z'), night, BA)).toBe(t('2026-03-09T12:00:00Z')); // 22:00 → 09:00
    expect(nextAllowed(t('2026-03-09T11:00:00Z'), night, BA)).toBe(t('2026-03-09T12:00:00Z')); // 08:00 → 09:00
    expect(nextAllowed(t('2026-03-10T00:00:00Z'), night, BA)).toBe(t('2026-03-10T12:00:00Z')); // 21:00 → 09:00
    expect(nextAllowed(t('2026-03-10T02:59:59.999Z'), night, BA)).toBe(t('2026-03-10T12:00:00Z'));
    expect(nextAllowed(t('2026-03-10T03:00:00Z'), night, BA)).toBe(t('2026-03-10T12:00:00Z'));
  });

  it('lets through the minute quiet hours end and anything before they start', () => {
    expect(nextAllowed(t('2026-03-09T12:00:00Z'), night, BA)).toBe(t('2026-03-09T12:00:00Z')); // 09:00
    expect(nextAllowed(t('2026-03-09T23:59:59.999Z'), night, BA)).toBe(t('2026-03-09T23:59:59.999Z')); // 20:59
    expect(nextAllowed(t('2026-03-09T18:00:00Z'), night, BA)).toBe(t('2026-03-09T18:00:00Z'));
    expect(nextAllowed(t('2026-03-09T01:00:00Z'), null, BA)).toBe(t('2026-03-09T01:00:00Z'));
  });

  it('reads quiet hours that do not cross midnight', () => {
    const lunch = { from: 12 * 60, to: 14 * 60 };
    expect(nextAllowed(t('2026-03-09T16:00:00Z'), lunch, BA)).toBe(t('2026-03-09T17:00:00Z')); // 13:00 → 14:00
    expect(nextAllowed(t('2026-03-09T14:59:00Z'), lunch, BA)).toBe(t('2026-03-09T14:59:00Z')); // 11:59
    expect(nextAllowed(t('2026-03-09T17:00:00Z'), lunch, BA)).toBe(t('2026-03-09T17:00:00Z')); // 14:00
    expect(nextAllowed(t('2026-03-09T15:00:00Z'), lunch, BA)).toBe(t('2026-03-09T17:00:00Z')); // 12:00
  });

  it("reads quiet hours on each recipient's clock", () => {
    const at = t('2026-03-09T12:00:00Z');
    expect(nextAllowed(at, night, BA)).toBe(at); // 09:00
    expect(nextAllowed(at, night, KOLKATA)).toBe(at); // 17:30
    expect(nextAllowed(at, night, NY)).toBe(t('2026-03-09T13:00:00Z')); // 08:00 EDT
    expect(nextAllowed(at, night, CHATHAM)).toBe(t('2026-03-09T19:15:00Z')); // 01:45 on the 10th
    expect(nextAllowed(at, night, null)).toBe(at); // UTC 12:00
    expect(nextAllowed(t('2026-03-09T22:00:00Z'), night, null)).toBe(t('2026-03-10T09:00:00Z'));
    expect(nextAllowed(t('2026-03-09T22:00:00Z'), night, 'Not/A_Zone')).toBe(t('2026-03-10T09:00:00Z'));
  });

  it('holds a send time that falls inside them', () => {
    const late = schedule({
      local_time: { time: '22:00', date: '2026-03-09' },
      quiet_hours: { from: '21:00', to: '09:00' },
    });
    expect(due(late, BA, '2026-03-01T00:00:00Z')).toBe('2026-03-10T12:00:00.000Z');
    const now = schedule({ quiet_hours: { from: '21:00', to: '09:00' } });
    expect(due(now, BA, '2026-03-09T01:00:00Z')).toBe('2026-03-09T12:00:00.000Z');
    expect(due(now, KOLKATA, '2026-03-09T01:00:00Z')).toBe('2026-03-09T03:30:00.000Z');
    expect(due(now, MADRID, '2026-03-09T01:00:00Z')).toBe('2026-03-09T08:00:00.000Z');
    const at = schedule({ at: '2026-03-09T23:00:00Z', quiet_hours: { from: '21:00', to: '09:00' } });
    expect(due(at, BA, '2026-03-01T00:00:00Z')).toBe('2026-03-09T23:00:00.000Z'); // 20:00
    expect(due(at, MADRID, '2026-03-01T00:00:00Z')).toBe('2026-03-10T08:00:00.000Z'); // 00:00 → 09:00
  });

  it('ends quiet hours right across daylight-saving changes', () => {
    // The end (02:30) falls in New York's spring gap: the first minute after it.
    const small = { from: 0, to: 2 * 60 + 30 };
    expect(nextAllowed(t('2026-03-08T06:00:00Z'), small, NY)).toBe(t('2026-03-08T07:00:00Z'));
    // The end (01:30) happens twice at fall back: the first one after the held message.
    const late = { from: 22 * 60, to: 90 };
    expect(nextAllowed(t('2026-11-01T05:10:00Z'), late, NY)).toBe(t('2026-11-01T05:30:00Z')); // 01:10 EDT
    expect(nextAllowed(t('2026-11-01T06:10:00Z'), late, NY)).toBe(t('2026-11-01T06:30:00Z')); // 01:10 EST
    // A day without its only allowed half hour (02:30–03:00 skipped): the next day's.
    const allDay = { from: 3 * 60, to: 2 * 60 + 30 };
    expect(nextAllowed(t('2026-03-08T05:00:00Z'), allDay, NY)).toBe(t('2026-03-09T06:30:00Z'));
    // Lord Howe's 30-minute gap swallows an end at 02:15.
    expect(nextAllowed(t('2026-10-03T15:00:00Z'), { from: 21 * 60, to: 2 * 60 + 15 }, LORD_HOWE)).toBe(
      t('2026-10-03T15:30:00Z'),
    );
  });

  it('never answers a time inside quiet hours, nor one later than needed', () => {
    const zones = [BA, NY, MADRID, KOLKATA, CHATHAM, LORD_HOWE];
    const spans = [
      night,
      { from: 12 * 60, to: 14 * 60 },
      { from: 90, to: 150 },
      { from: 23 * 60 + 45, to: 15 },
    ];
    const inQuiet = (zone: string, ms: number, q: { from: number; to: number }) => {
      const [h, m] = wallIn(zone, ms).slice(11).split(':').map(Number) as [number, number];
      const minute = h * 60 + m;
      return q.from < q.to ? minute >= q.from && minute < q.to : minute >= q.from || minute < q.to;
    };
    for (const zone of zones) {
      for (const q of spans) {
        // Every 37 minutes across both 2026 changes of the northern zones.
        for (let at = t('2026-03-07T00:00:00Z'); at < t('2026-03-09T00:00:00Z'); at += 37 * 60_000) {
          const r = nextAllowed(at, q, zone);
          expect(r).toBeGreaterThanOrEqual(at);
          expect(inQuiet(zone, r, q)).toBe(false);
          if (r > at) expect(inQuiet(zone, r - 60_000, q)).toBe(true);
        }
      }
    }
  });
});

describe('expiry', () => {
  it('expires a recipient whose time comes at or after expires_at', () => {
    const s = (expires_at: string) => schedule({ at: '2026-03-09T13:00:00Z', expires_at });
    expect(due(s('2026-03-09T13:00:00.001Z'), BA, '2026-03-09T12:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(due(s('2026-03-09T13:00:00.001Z'), BA, '2026-03-09T13:00:00.001Z')).toBe('expired');
    expect(due(s('2026-03-10T00:00:00Z'), BA, '2026-03-11T00:00:00Z')).toBe('expired');
    expect(due(schedule({ expires_at: '2026-03-10T00:00:00Z' }), BA, '2026-03-09T23:59:59.999Z')).toBe(
      '2026-03-09T23:59:59.999Z',
    );
  });

  it('never delivers a "today only" offer tomorrow, when quiet hours hold it past midnight', () => {
    const todayOnly = schedule({
      quiet_hours: { from: '21:00', to: '09:00' },
      expires_at: '2026-03-10T03:00:00Z', // midnight in Buenos Aires
    });
    expect(due(todayOnly, BA, '2026-03-09T20:00:00Z')).toBe('2026-03-09T20:00:00.000Z'); // 17:00
    expect(due(todayOnly, BA, '2026-03-10T00:30:00Z')).toBe('expired'); // 21:30: held to 09:00 tomorrow
    expect(due(todayOnly, NY, '2026-03-10T00:30:00Z')).toBe('2026-03-10T00:30:00.000Z'); // 20:30 EDT
    expect(due(todayOnly, NY, '2026-03-10T01:30:00Z')).toBe('expired'); // 21:30 EDT
  });

  it('expires a local time that comes after expiry for some zones only', () => {
    const ninth = schedule({
      local_time: { time: '10:00', date: '2026-03-09' },
      expires_at: '2026-03-09T12:00:00Z',
    });
    expect(due(ninth, KOLKATA, '2026-03-01T00:00:00Z')).toBe('2026-03-09T04:30:00.000Z');
    expect(due(ninth, MADRID, '2026-03-01T00:00:00Z')).toBe('2026-03-09T09:00:00.000Z');
    expect(due(ninth, BA, '2026-03-01T00:00:00Z')).toBe('expired'); // 13:00 UTC
    expect(due(ninth, NY, '2026-03-01T00:00:00Z')).toBe('expired');
    const weekly = schedule({
      local_time: { time: '10:00', weekday: 'monday' },
      expires_at: '2026-03-12T00:00:00Z',
    });
    expect(due(weekly, BA, '2026-03-09T12:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(due(weekly, KOLKATA, '2026-03-09T12:00:00Z')).toBe('expired'); // next Monday
  });
});

describe('speed', () => {
  it('answers 100,000 recipients in a handful of zones', () => {
    const s = schedule({
      local_time: { time: '10:00', weekday: 'monday' },
      quiet_hours: { from: '21:00', to: '09:00' },
      expires_at: '2026-03-16T00:00:00Z',
      fallback_time_zone: BA,
    });
    const zones = [BA, NY, MADRID, KOLKATA, CHATHAM, LORD_HOWE, null];
    const launchedAt = t('2026-03-06T12:00:00Z');
    const counts = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const r = sendTimeFor(s, { timeZone: zones[i % zones.length]! }, launchedAt + (i % 1000));
      const key = r.kind === 'at' ? new Date(r.at).toISOString().slice(0, 16) : r.kind;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([
      '2026-03-08T20:15',
      '2026-03-08T23:00',
      '2026-03-09T04:30',
      '2026-03-09T09:00',
      '2026-03-09T13:00',
      '2026-03-09T14:00',
    ]);
    expect(counts.get('2026-03-09T13:00')).toBeGreaterThan(28_000); // Buenos Aires and the fallback
  });
});

describe("the account's quiet hours", () => {
  const NIGHT = { from: 21 * 60, to: 9 * 60 };

  it('reads "FROM-TO" and "none", and names what it cannot read', () => {
    expect(parseQuietHoursText('21:00-09:00', 'Q')).toEqual({ ok: true, value: NIGHT });
    expect(parseQuietHoursText(' 21:00 – 09:00 ', 'Q')).toEqual({ ok: true, value: NIGHT });
    expect(parseQuietHoursText('none', 'Q')).toEqual({ ok: true, value: null });
    expect(parseQuietHoursText('', 'Q')).toEqual({ ok: true, value: null });
    const bad = (text: string) => {
      const r = parseQuietHoursText(text, 'Q');
      if (r.ok) throw new Error(`expected problems for ${text}`);
      return r.problems;
    };
    expect(bad('21:00')).toEqual([{ path: 'Q', message: expect.stringContaining('"21:00-09:00"') }]);
    expect(bad('25:00-09:00')).toEqual([
      { path: 'Q.from', message: expect.stringContaining('not a time of day') },
    ]);
    expect(bad('9-21')[0]!.path).toBe('Q.from');
    expect(bad('09:00-09:00')).toEqual([{ path: 'Q', message: expect.stringContaining('no span at all') }]);
  });

  it('applies to a schedule that says nothing of quiet hours, not to one that writes null or its own', () => {
    const none = schedule(undefined);
    expect(withAccountQuietHours(none, undefined, NIGHT).quietHours).toEqual(NIGHT);
    expect(withAccountQuietHours(none, { at: null }, NIGHT).quietHours).toEqual(NIGHT);
    // "quiet_hours": null is the campaign choosing none.
    expect(withAccountQuietHours(none, { quiet_hours: null }, NIGHT).quietHours).toBeNull();
    const own = schedule({ quiet_hours: { from: '13:00', to: '15:00' } });
    expect(
      withAccountQuietHours(own, { quiet_hours: { from: '13:00', to: '15:00' } }, NIGHT).quietHours,
    ).toEqual({
      from: 13 * 60,
      to: 15 * 60,
    });
    expect(withAccountQuietHours(none, undefined, null)).toBe(none);
  });

  it('holds a launch at 23:00 in Buenos Aires until 09:00 there', () => {
    const s = withAccountQuietHours(schedule(undefined), undefined, NIGHT);
    expect(due(s, BA, '2026-03-10T02:00:00Z')).toBe('2026-03-10T12:00:00.000Z');
  });
});
