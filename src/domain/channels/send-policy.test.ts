import { describe, expect, it } from 'vitest';
import type { ChannelKind } from './channel-kind';
import {
  decideSend,
  HUMAN_AGENT_WINDOW_MS,
  intentOf,
  MESSAGING_WINDOW_MS,
  type PolicyInput,
  type PolicyVerdict,
  RETIRED_MESSENGER_TAGS,
} from './send-policy';

const T0 = Date.parse('2026-06-01T09:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A clock the test moves by hand: the policy never reads the time itself. */
function clockAt(start: number) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

type Kind = 'bot' | 'human' | 'utility' | 'marketing_template' | 'marketing_text';

/** One send of a kind, by a person who last wrote a message (and last acted) at T0. */
function ask(channel: ChannelKind, kind: Kind, now: number, extra: Partial<PolicyInput> = {}): PolicyVerdict {
  const base: PolicyInput = {
    channel,
    content: kind === 'utility' || kind === 'marketing_template' ? 'template' : 'free_form',
    lastInboundAt: T0,
    lastUserMessageAt: T0,
    now,
  };
  if (kind === 'utility') base.templateCategory = 'UTILITY';
  if (kind === 'marketing_template') base.templateCategory = 'MARKETING';
  if (kind === 'human') base.byPerson = true;
  if (kind === 'marketing_text') base.marketing = true;
  return decideSend({ ...base, ...extra });
}

/** What the verdict comes to, in one comparable word: the Messenger mode, "ok", or the rule. */
function outcome(v: PolicyVerdict): string {
  if (!v.ok) return `refused:${v.rule}`;
  if (v.messaging === null) return 'ok';
  return v.messaging.type === 'MESSAGE_TAG' ? `MESSAGE_TAG:${v.messaging.tag}` : v.messaging.type;
}

// The three columns of the table in send-policy.ts: open, closed but within 7 days, later.
const OPEN = T0 + 2 * HOUR;
const WITHIN_7_DAYS = T0 + 3 * DAY;
const LATER = T0 + 10 * DAY;

describe('decideSend: the policy table, row by row', () => {
  it.each<[ChannelKind, Kind, string, string, string]>([
    ['whatsapp', 'bot', 'ok', 'refused:window_closed', 'refused:window_closed'],
    ['whatsapp', 'human', 'ok', 'refused:window_closed', 'refused:window_closed'],
    ['whatsapp', 'utility', 'ok', 'ok', 'ok'],
    ['whatsapp', 'marketing_template', 'ok', 'ok', 'ok'],
    ['whatsapp', 'marketing_text', 'ok', 'refused:window_closed', 'refused:window_closed'],
    ['messenger', 'bot', 'RESPONSE', 'refused:window_closed', 'refused:window_closed'],
    ['messenger', 'human', 'RESPONSE', 'MESSAGE_TAG:HUMAN_AGENT', 'refused:human_agent_expired'],
    ['messenger', 'utility', 'UTILITY', 'UTILITY', 'UTILITY'],
    ['messenger', 'marketing_text', 'UPDATE', 'refused:marketing_closed', 'refused:marketing_closed'],
    [
      'messenger',
      'marketing_template',
      'refused:marketing_template_on_messenger',
      'refused:marketing_template_on_messenger',
      'refused:marketing_template_on_messenger',
    ],
  ])('%s %s: open → %s, closed ≤ 7 days → %s, later → %s', (channel, kind, open, week, later) => {
    expect(outcome(ask(channel, kind, OPEN))).toBe(open);
    expect(outcome(ask(channel, kind, WITHIN_7_DAYS))).toBe(week);
    expect(outcome(ask(channel, kind, LATER))).toBe(later);
  });

  it('names the intent of each send, refused or not', () => {
    expect(ask('messenger', 'bot', OPEN).intent).toBe('bot_reply');
    expect(ask('messenger', 'human', LATER).intent).toBe('human_reply');
    expect(ask('whatsapp', 'utility', LATER).intent).toBe('utility');
    expect(ask('messenger', 'marketing_template', OPEN).intent).toBe('marketing');
    expect(ask('messenger', 'marketing_text', OPEN).intent).toBe('marketing');
    expect(intentOf({ content: 'template', templateCategory: 'AUTHENTICATION' })).toBe('utility');
    expect(intentOf({ content: 'free_form', byPerson: true, marketing: true })).toBe('human_reply');
  });

  it('says which refusals are a closed window (the API answers WINDOW_CLOSED) and which a rule', () => {
    const closed = (v: PolicyVerdict) => (v.ok ? undefined : v.windowClosed);
    expect(closed(ask('whatsapp', 'bot', LATER))).toBe(true);
    expect(closed(ask('messenger', 'bot', LATER))).toBe(true);
    expect(closed(ask('messenger', 'human', LATER))).toBe(true);
    expect(closed(ask('messenger', 'marketing_text', LATER))).toBe(true);
    expect(closed(ask('messenger', 'marketing_template', OPEN))).toBe(false);
    expect(closed(ask('messenger', 'bot', OPEN, { tag: 'ACCOUNT_UPDATE' }))).toBe(false);
  });

  it('gives every refusal a reason and a hint to act on', () => {
    for (const v of [
      ask('whatsapp', 'bot', LATER),
      ask('messenger', 'human', LATER),
      ask('messenger', 'marketing_template', OPEN),
      ask('messenger', 'human', LATER, { tag: 'POST_PURCHASE_UPDATE' }),
    ]) {
      expect(v.ok).toBe(false);
      if (v.ok) continue;
      expect(v.reason.length).toBeGreaterThan(20);
      expect(v.hint.length).toBeGreaterThan(20);
    }
  });
});

describe('decideSend: the boundaries', () => {
  it.each<ChannelKind>(['whatsapp', 'messenger'])(
    '%s: the window is open until the last millisecond before 24 h, closed at exactly 24 h',
    (channel) => {
      expect(ask(channel, 'bot', T0 + MESSAGING_WINDOW_MS - 1).ok).toBe(true);
      expect(outcome(ask(channel, 'bot', T0 + MESSAGING_WINDOW_MS))).toBe('refused:window_closed');
    },
  );

  it('Messenger marketing free-form stops at exactly 24 h too', () => {
    expect(outcome(ask('messenger', 'marketing_text', T0 + MESSAGING_WINDOW_MS - 1))).toBe('UPDATE');
    expect(outcome(ask('messenger', 'marketing_text', T0 + MESSAGING_WINDOW_MS))).toBe(
      'refused:marketing_closed',
    );
  });

  it('a person answers in the window without a tag, then with HUMAN_AGENT until exactly 7 days', () => {
    expect(outcome(ask('messenger', 'human', T0 + MESSAGING_WINDOW_MS - 1))).toBe('RESPONSE');
    expect(outcome(ask('messenger', 'human', T0 + MESSAGING_WINDOW_MS))).toBe('MESSAGE_TAG:HUMAN_AGENT');
    expect(outcome(ask('messenger', 'human', T0 + HUMAN_AGENT_WINDOW_MS - 1))).toBe(
      'MESSAGE_TAG:HUMAN_AGENT',
    );
    const expired = ask('messenger', 'human', T0 + HUMAN_AGENT_WINDOW_MS);
    expect(outcome(expired)).toBe('refused:human_agent_expired');
    expect(expired.ok || expired.reason).toContain('2026-06-01T09:00:00.000Z');
  });

  it('never wrote: only a template may go, on either channel', () => {
    const never = { lastInboundAt: null, lastUserMessageAt: null };
    expect(outcome(ask('whatsapp', 'bot', T0, never))).toBe('refused:window_closed');
    expect(outcome(ask('whatsapp', 'human', T0, never))).toBe('refused:window_closed');
    expect(outcome(ask('whatsapp', 'utility', T0, never))).toBe('ok');
    expect(outcome(ask('whatsapp', 'marketing_template', T0, never))).toBe('ok');
    expect(outcome(ask('messenger', 'bot', T0, never))).toBe('refused:window_closed');
    expect(outcome(ask('messenger', 'marketing_text', T0, never))).toBe('refused:marketing_closed');
    expect(outcome(ask('messenger', 'utility', T0, never))).toBe('UTILITY');
    const human = ask('messenger', 'human', T0, never);
    expect(outcome(human)).toBe('refused:human_agent_expired');
    expect(human.ok || human.reason).toMatch(/never sent the page a message/);
  });
});

describe('decideSend: HUMAN_AGENT counts from the last message, the window from the last action', () => {
  it('a reaction keeps the window open but does not move the 7 days', () => {
    // She wrote at T0 and reacted to our message on day 6: the window runs to day 7, the
    // HUMAN_AGENT tag to T0 + 7 days exactly.
    const reacted = { lastUserMessageAt: T0, lastInboundAt: T0 + 6 * DAY };
    expect(outcome(ask('messenger', 'human', T0 + 6 * DAY + HOUR, reacted))).toBe('RESPONSE');
    expect(outcome(ask('messenger', 'bot', T0 + 6 * DAY + HOUR, reacted))).toBe('RESPONSE');
    // Day 7 + 1 h: the window (day 6 + 24 h) is closed, and so are the 7 days since her message.
    expect(outcome(ask('messenger', 'human', T0 + 7 * DAY + HOUR, reacted))).toBe(
      'refused:human_agent_expired',
    );
  });

  it('a tap after the window closed reopens it for 24 h, from the tap', () => {
    const tapped = { lastUserMessageAt: T0, lastInboundAt: T0 + 8 * DAY };
    expect(outcome(ask('messenger', 'bot', T0 + 8 * DAY + HOUR, tapped))).toBe('RESPONSE');
    expect(outcome(ask('messenger', 'human', T0 + 8 * DAY + HOUR, tapped))).toBe('RESPONSE');
    expect(outcome(ask('messenger', 'human', T0 + 9 * DAY, tapped))).toBe('refused:human_agent_expired');
  });

  it('someone who only tapped (never wrote a message) gets no HUMAN_AGENT once the 24 h pass', () => {
    const onlyTapped = { lastUserMessageAt: null, lastInboundAt: T0 };
    expect(outcome(ask('messenger', 'human', T0 + HOUR, onlyTapped))).toBe('RESPONSE');
    expect(outcome(ask('messenger', 'human', T0 + 2 * DAY, onlyTapped))).toBe('refused:human_agent_expired');
  });

  it('follows one conversation through a week on a moving clock', () => {
    const clock = clockAt(T0);
    const agent = () => outcome(ask('messenger', 'human', clock.now()));
    const bot = () => outcome(ask('messenger', 'bot', clock.now()));
    const utility = () => outcome(ask('messenger', 'utility', clock.now()));
    clock.advance(HOUR);
    expect([bot(), agent(), utility()]).toEqual(['RESPONSE', 'RESPONSE', 'UTILITY']);
    clock.advance(DAY);
    expect([bot(), agent(), utility()]).toEqual([
      'refused:window_closed',
      'MESSAGE_TAG:HUMAN_AGENT',
      'UTILITY',
    ]);
    clock.advance(6 * DAY);
    expect([bot(), agent(), utility()]).toEqual([
      'refused:window_closed',
      'refused:human_agent_expired',
      'UTILITY',
    ]);
  });
});

describe('decideSend: tags', () => {
  it.each(Object.entries(RETIRED_MESSENGER_TAGS))(
    'the retired tag %s is refused, naming the day Meta began rejecting it (%s)',
    (tag, date) => {
      // Even from a person, inside the window: Meta rejects the request for the tag itself.
      for (const now of [OPEN, WITHIN_7_DAYS]) {
        const v = ask('messenger', 'human', now, { tag });
        expect(outcome(v)).toBe('refused:tag_retired');
        if (v.ok) continue;
        expect(v.retiredOn).toBe(date);
        expect(v.reason).toContain(date);
        expect(v.reason).toContain(tag);
        expect(v.windowClosed).toBe(false);
      }
    },
  );

  it('the three tags Meta stopped on 2026-04-27 say so, with error 100', () => {
    for (const tag of ['ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE']) {
      const v = ask('messenger', 'bot', WITHIN_7_DAYS, { tag });
      expect(v.ok || [v.retiredOn, v.reason]).toEqual([
        '2026-04-27',
        `The Messenger tag ${tag} was retired: Meta rejects it since 2026-04-27 (error 100)`,
      ]);
    }
  });

  it('reads tag names in any case', () => {
    expect(outcome(ask('messenger', 'bot', OPEN, { tag: 'account_update' }))).toBe('refused:tag_retired');
    expect(outcome(ask('messenger', 'human', WITHIN_7_DAYS, { tag: ' human_agent ' }))).toBe(
      'MESSAGE_TAG:HUMAN_AGENT',
    );
  });

  it('HUMAN_AGENT from automation is refused, inside the window or not', () => {
    for (const now of [OPEN, WITHIN_7_DAYS, LATER]) {
      const v = ask('messenger', 'bot', now, { tag: 'HUMAN_AGENT' });
      expect(outcome(v)).toBe('refused:human_agent_requires_person');
      expect(v.ok || v.reason).toMatch(/automation may not use it/);
    }
    const template = ask('messenger', 'utility', WITHIN_7_DAYS, { tag: 'HUMAN_AGENT', byPerson: true });
    expect(outcome(template)).toBe('refused:human_agent_requires_person');
    expect(template.ok || template.reason).toMatch(/not for a template/);
  });

  it('HUMAN_AGENT asked by a person: untagged in the window, tagged after, refused after 7 days', () => {
    expect(outcome(ask('messenger', 'human', OPEN, { tag: 'HUMAN_AGENT' }))).toBe('RESPONSE');
    expect(outcome(ask('messenger', 'human', WITHIN_7_DAYS, { tag: 'HUMAN_AGENT' }))).toBe(
      'MESSAGE_TAG:HUMAN_AGENT',
    );
    expect(outcome(ask('messenger', 'human', LATER, { tag: 'HUMAN_AGENT' }))).toBe(
      'refused:human_agent_expired',
    );
  });

  it('a tag that is neither retired nor HUMAN_AGENT is not sent', () => {
    const v = ask('messenger', 'bot', OPEN, { tag: 'CUSTOMER_FEEDBACK' });
    expect(outcome(v)).toBe('refused:tag_unsupported');
    expect(v.ok || v.reason).toContain('CUSTOMER_FEEDBACK');
  });

  it('WhatsApp has no tags at all, HUMAN_AGENT included', () => {
    for (const kind of ['bot', 'human', 'utility'] as const) {
      const v = ask('whatsapp', kind, OPEN, { tag: 'HUMAN_AGENT' });
      expect(outcome(v)).toBe('refused:tags_not_on_whatsapp');
      expect(v.ok || v.windowClosed).toBe(false);
    }
  });
});

describe('decideSend: templates on Messenger', () => {
  it('a MARKETING template is refused on a page at any time, an UTILITY one goes as UTILITY', () => {
    for (const now of [OPEN, WITHIN_7_DAYS, LATER]) {
      const v = ask('messenger', 'marketing_template', now);
      expect(outcome(v)).toBe('refused:marketing_template_on_messenger');
      expect(v.ok || v.reason).toMatch(/no marketing templates/);
      expect(outcome(ask('messenger', 'utility', now))).toBe('UTILITY');
    }
  });

  it('the same templates on WhatsApp carry no Messenger mode', () => {
    const v = ask('whatsapp', 'marketing_template', LATER);
    expect(v).toEqual({ ok: true, intent: 'marketing', messaging: null });
  });
});
