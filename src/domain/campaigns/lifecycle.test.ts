import { describe, expect, it } from 'vitest';
import { MESSAGE_STATUSES } from '../message';
import {
  applyCommand,
  CAMPAIGN_STATES,
  CAMPAIGN_TRANSITIONS,
  type CampaignCommand,
  type CampaignState,
  canMoveCampaign,
  canMoveRecipient,
  isTerminalCampaign,
  OPEN_RECIPIENT_STATES,
  RECIPIENT_STATES,
  RECIPIENT_TRANSITIONS,
  recipientStateOf,
  SETTLED_RECIPIENT_STATES,
} from './lifecycle';

describe('campaign lifecycle', () => {
  it('names every state in its table, and terminal states lead nowhere', () => {
    expect(Object.keys(CAMPAIGN_TRANSITIONS).sort()).toEqual([...CAMPAIGN_STATES].sort());
    for (const s of CAMPAIGN_STATES) {
      expect(CAMPAIGN_TRANSITIONS[s].length === 0, s).toBe(isTerminalCampaign(s));
      for (const to of CAMPAIGN_TRANSITIONS[s]) expect(CAMPAIGN_STATES).toContain(to);
    }
  });

  it('never goes back to draft, and completes only from running or paused', () => {
    for (const s of CAMPAIGN_STATES) expect(canMoveCampaign(s, 'draft')).toBe(false);
    const intoCompleted = CAMPAIGN_STATES.filter((s) => canMoveCampaign(s, 'completed'));
    expect(intoCompleted).toEqual(['running', 'paused']);
  });

  // Every command from every state: the whole table of outcomes, so a change to it is deliberate.
  const expected: Record<
    CampaignState,
    Record<CampaignCommand, [CampaignState | null, CampaignState | null]>
  > = {
    // [startsLater = false, startsLater = true]
    draft: {
      launch: ['running', 'scheduled'],
      pause: [null, null],
      resume: [null, null],
      cancel: ['cancelled', 'cancelled'],
    },
    scheduled: {
      launch: [null, null],
      pause: ['paused', 'paused'],
      resume: [null, null],
      cancel: ['cancelled', 'cancelled'],
    },
    running: {
      launch: [null, null],
      pause: ['paused', 'paused'],
      resume: [null, null],
      cancel: ['cancelled', 'cancelled'],
    },
    paused: {
      launch: [null, null],
      pause: [null, null],
      resume: ['running', 'scheduled'],
      cancel: ['cancelled', 'cancelled'],
    },
    completed: { launch: [null, null], pause: [null, null], resume: [null, null], cancel: [null, null] },
    cancelled: { launch: [null, null], pause: [null, null], resume: [null, null], cancel: [null, null] },
    expired: { launch: [null, null], pause: [null, null], resume: [null, null], cancel: [null, null] },
    failed_to_start: {
      launch: [null, null],
      pause: [null, null],
      resume: [null, null],
      cancel: [null, null],
    },
  };

  it.each(
    CAMPAIGN_STATES.flatMap((state) =>
      (['launch', 'pause', 'resume', 'cancel'] as const).flatMap((command) =>
        [false, true].map((startsLater) => [state, command, startsLater] as const),
      ),
    ),
  )('%s + %s (starts later: %s)', (state, command, startsLater) => {
    const want = expected[state][command][startsLater ? 1 : 0];
    const got = applyCommand(state, command, { startsLater });
    if (want === null) {
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.reason).toMatch(new RegExp(command === 'launch' ? 'launch|draft' : command));
    } else {
      expect(got).toEqual({ ok: true, to: want });
      expect(canMoveCampaign(state, want)).toBe(true);
    }
  });

  it('says why, in words a person reads', () => {
    expect(applyCommand('completed', 'pause', { startsLater: false })).toEqual({
      ok: false,
      reason: 'the campaign is completed; nothing can pause it any more',
    });
    expect(applyCommand('failed_to_start', 'cancel', { startsLater: false })).toEqual({
      ok: false,
      reason: 'the campaign is failed to start; nothing can cancel it any more',
    });
    expect(applyCommand('paused', 'pause', { startsLater: false })).toEqual({
      ok: false,
      reason: 'the campaign is already paused',
    });
    expect(applyCommand('running', 'launch', { startsLater: false })).toEqual({
      ok: false,
      reason: 'the campaign is already running; only a draft can be launched',
    });
  });
});

describe('recipient lifecycle', () => {
  it('names every state; settled and open split them, excluded and terminal states lead nowhere', () => {
    expect(Object.keys(RECIPIENT_TRANSITIONS).sort()).toEqual([...RECIPIENT_STATES].sort());
    expect([...SETTLED_RECIPIENT_STATES, ...OPEN_RECIPIENT_STATES].sort()).toEqual(
      [...RECIPIENT_STATES].sort(),
    );
    for (const s of ['excluded', 'read', 'failed', 'opted_out', 'expired', 'cancelled'] as const) {
      expect(RECIPIENT_TRANSITIONS[s]).toEqual([]);
    }
  });

  it('moves forward only: late and repeated statuses change nothing', () => {
    expect(canMoveRecipient('delivered', 'sent')).toBe(false);
    expect(canMoveRecipient('read', 'delivered')).toBe(false);
    expect(canMoveRecipient('sent', 'sent')).toBe(true);
    expect(canMoveRecipient('queued', 'read')).toBe(true);
    expect(canMoveRecipient('queued', 'pending')).toBe(false);
    // Once queued, the outbox owns the send: an opt-out no longer skips it. A cancel or the
    // expiry withdraws it only while it has not left (withdrawQueued).
    expect(canMoveRecipient('queued', 'opted_out')).toBe(false);
    expect(canMoveRecipient('queued', 'expired')).toBe(true);
    expect(canMoveRecipient('queued', 'cancelled')).toBe(true);
    expect(canMoveRecipient('sent', 'expired')).toBe(false);
    expect(canMoveRecipient('pending', 'opted_out')).toBe(true);
    expect(canMoveRecipient('excluded', 'queued')).toBe(false);
  });

  it('follows its message: every message status maps to a state reachable from queued', () => {
    for (const status of MESSAGE_STATUSES) {
      const state = recipientStateOf(status);
      expect(canMoveRecipient('queued', state), status).toBe(true);
    }
    expect(recipientStateOf('in_doubt')).toBe('queued');
    expect(recipientStateOf('unconfirmed')).toBe('queued');
    expect(recipientStateOf('read')).toBe('read');
  });
});
