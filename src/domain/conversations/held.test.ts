import { describe, expect, it } from 'vitest';
import { RecontactError } from '../errors';
import {
  chooseHeldPath,
  DEFAULT_HOLD_MS,
  heldPathByPolicy,
  holdDuration,
  MAX_HOLD_MS,
  WINDOW_SAFETY_MARGIN_MS,
} from './held';

const T0 = 1_764_000_000_000;
const DAY = 86_400_000;

describe('chooseHeldPath', () => {
  it('goes now only while the window stays open beyond the safety margin', () => {
    expect(chooseHeldPath(T0, T0 + 1000).path).toBe('now');
    expect(chooseHeldPath(T0, T0 + DAY - WINDOW_SAFETY_MARGIN_MS - 1).path).toBe('now');
    expect(chooseHeldPath(T0, T0 + DAY - WINDOW_SAFETY_MARGIN_MS).path).toBe('template_then_held');
    expect(chooseHeldPath(T0, T0 + DAY + 1).path).toBe('template_then_held');
    expect(chooseHeldPath(null, T0).path).toBe('template_then_held');
  });
});

describe('holdDuration', () => {
  it('defaults to seven days and reads ISO 8601 durations', () => {
    expect(holdDuration(undefined)).toBe(DEFAULT_HOLD_MS);
    expect(holdDuration('P7D')).toBe(7 * DAY);
    expect(holdDuration('PT12H')).toBe(DAY / 2);
    expect(holdDuration('P30D')).toBe(MAX_HOLD_MS);
    expect(holdDuration('PT1M')).toBe(60_000);
  });

  it.each([
    ['P1Y', /not an ISO 8601 duration/],
    ['7 days', /not an ISO 8601 duration/],
    ['P31D', /longer than the longest hold, P30D/],
    ['PT59S', /shorter than the shortest hold, PT1M/],
  ])('refuses %s at when_closed.hold_for', (value, message) => {
    try {
      holdDuration(value);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecontactError);
      const err = e as RecontactError;
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.details).toEqual([
        { path: 'when_closed.hold_for', message: expect.stringMatching(message) },
      ]);
    }
  });
});

describe('heldPathByPolicy', () => {
  const ask = (channel: 'whatsapp' | 'messenger', now: number, byPerson = false) =>
    heldPathByPolicy({
      channel,
      content: 'free_form',
      byPerson,
      lastInboundAt: T0,
      lastUserMessageAt: T0,
      now,
    });

  it('on WhatsApp chooses exactly as chooseHeldPath, with the same safety margin', () => {
    for (const now of [
      T0 + 1000,
      T0 + DAY - WINDOW_SAFETY_MARGIN_MS - 1,
      T0 + DAY - WINDOW_SAFETY_MARGIN_MS,
      T0 + 3 * DAY,
    ]) {
      expect(ask('whatsapp', now).path).toBe(chooseHeldPath(T0, now).path);
    }
    expect(ask('whatsapp', T0 + 3 * DAY).heldMessaging).toBeNull();
  });

  it('on Messenger holds the bot behind the template, lets a person answer now within 7 days, releases as RESPONSE', () => {
    const bot = ask('messenger', T0 + 2 * DAY);
    expect(bot.path).toBe('template_then_held');
    expect(bot.heldMessaging).toEqual({ type: 'RESPONSE' });
    const person = ask('messenger', T0 + 2 * DAY, true);
    expect(person.path).toBe('now');
    expect(person.verdict).toMatchObject({
      ok: true,
      messaging: { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' },
    });
    // Within the margin of the 7 days: held, as a closing window is.
    expect(ask('messenger', T0 + 7 * DAY - WINDOW_SAFETY_MARGIN_MS, true).path).toBe('template_then_held');
  });

  it('returns a refusal that is no closed window for the caller to answer', () => {
    const r = heldPathByPolicy({
      channel: 'messenger',
      content: 'free_form',
      tag: 'ACCOUNT_UPDATE',
      lastInboundAt: T0,
      lastUserMessageAt: T0,
      now: T0 + 2 * DAY,
    });
    expect(r.verdict).toMatchObject({ ok: false, rule: 'tag_retired', windowClosed: false });
  });
});
