/**
 * The campaign and recipient lifecycles, written out once.
 *
 * Campaign:
 *
 *   draft ──launch, start in the future──▶ scheduled ──start time──▶ running ⇄ paused
 *     │                                        │                        │         │
 *     │──launch, start now──────────────────────────────────────────▶ running     │
 *     │                                        │                        │         │
 *     ├──▶ failed_to_start (with the reason: template not approved, audience gone, …)
 *     │                                        ├──▶ failed_to_start     │         │
 *     └──▶ cancelled ◀─────────────────────────┴────────────────────────┴─────────┤
 *                         expired ◀── expires_at passed (scheduled, running, paused)
 *                         completed ◀── every recipient settled (running, paused)
 *
 * A scheduled campaign may be paused too (held before its first send) and resumed to scheduled
 * or running, whichever its start time says. Terminal: completed, cancelled, expired,
 * failed_to_start. "Completed" only when every recipient is settled (see below), never while one
 * is pending or queued, so a campaign is never "finished" half-sent.
 *
 * Recipient (one row per contact, materialised once at launch):
 *
 *   excluded (at materialisation, with its reason; never sent)
 *   pending ──send time reached──▶ queued ──Meta answered──▶ accepted ─▶ sent ─▶ delivered ─▶ read
 *      │                             │                           └────────┴──────────┴──▶ failed
 *      │                             ├──▶ failed (refused before or by Meta)
 *      │                             └──▶ cancelled | expired (withdrawn from the outbox unsent)
 *      ├──▶ opted_out (the contact opted out or was erased after launch, before their send)
 *      ├──▶ failed (a value the template needs was gone at send time)
 *      ├──▶ expired (the campaign's expiry came first)
 *      └──▶ cancelled (the campaign was cancelled first)
 *
 * `queued` means a message row exists in the outbox: from there the one send path (dispatcher,
 * leases, retries, crash recovery) owns it, and the recipient follows its message's status
 * (`recipientStateOf`). The row stores only what the campaign itself decides (STORED_RECIPIENT_
 * STATES); a queued recipient's later states are read from its message, never copied, so they
 * cannot disagree. Statuses arrive late and out of order; the message's own merge is monotonic,
 * so the recipient's state is too. "replied" is recorded beside the state, as for messages.
 * A message held `in_doubt` is settled for the campaign: its fate is with a person.
 */
import { canMove, type Transitions } from '../lifecycle';
import type { MessageStatus } from '../message';

export const CAMPAIGN_STATES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
  'expired',
  'failed_to_start',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const CAMPAIGN_TRANSITIONS: Transitions<CampaignState> = {
  draft: ['scheduled', 'running', 'cancelled', 'failed_to_start'],
  scheduled: ['running', 'paused', 'cancelled', 'expired', 'failed_to_start'],
  running: ['paused', 'completed', 'cancelled', 'expired'],
  paused: ['running', 'scheduled', 'completed', 'cancelled', 'expired'],
  completed: [],
  cancelled: [],
  expired: [],
  failed_to_start: [],
};

export const TERMINAL_CAMPAIGN_STATES = ['completed', 'cancelled', 'expired', 'failed_to_start'] as const;

/** What a person can ask for, and the states it moves from. */
export type CampaignCommand = 'launch' | 'pause' | 'resume' | 'cancel';

export const RECIPIENT_STATES = [
  'excluded',
  'pending',
  'queued',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'opted_out',
  'expired',
  'cancelled',
] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

export const RECIPIENT_TRANSITIONS: Transitions<RecipientState> = {
  excluded: [],
  pending: ['queued', 'opted_out', 'failed', 'expired', 'cancelled'],
  queued: ['accepted', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'expired'],
  accepted: ['sent', 'delivered', 'read', 'failed'],
  sent: ['delivered', 'read', 'failed'],
  delivered: ['read', 'failed'],
  read: [],
  failed: [],
  opted_out: [],
  expired: [],
  cancelled: [],
};

/**
 * Recipients the campaign has nothing more to do for: Meta has their message (it may still be
 * delivered or read later), or they will never get one. A campaign completes when all are.
 */
export const SETTLED_RECIPIENT_STATES = [
  'excluded',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'opted_out',
  'expired',
  'cancelled',
] as const satisfies readonly RecipientState[];

/** What a recipient row itself holds; the rest is its message's status. */
export const STORED_RECIPIENT_STATES = [
  'excluded',
  'pending',
  'queued',
  'failed',
  'opted_out',
  'expired',
  'cancelled',
] as const satisfies readonly RecipientState[];
export type StoredRecipientState = (typeof STORED_RECIPIENT_STATES)[number];

/** Message statuses that still owe the campaign an outcome (`in_doubt` waits for a person). */
export const OPEN_MESSAGE_STATUSES = [
  'queued',
  'sending',
  'unconfirmed',
] as const satisfies readonly MessageStatus[];

/** Recipients still waiting for the campaign: pending its send time, or queued in the outbox. */
export const OPEN_RECIPIENT_STATES = ['pending', 'queued'] as const satisfies readonly RecipientState[];

export function isTerminalCampaign(state: CampaignState): boolean {
  return (TERMINAL_CAMPAIGN_STATES as readonly string[]).includes(state);
}

export function canMoveCampaign(from: CampaignState, to: CampaignState): boolean {
  return canMove(CAMPAIGN_TRANSITIONS, from, to);
}

export function canMoveRecipient(from: RecipientState, to: RecipientState): boolean {
  return from === to || canMove(RECIPIENT_TRANSITIONS, from, to);
}

/** The recipient state a message status stands for, once the recipient is queued. */
export function recipientStateOf(status: MessageStatus): RecipientState {
  switch (status) {
    case 'queued':
    case 'sending':
    case 'unconfirmed':
    case 'in_doubt':
      return 'queued';
    case 'accepted':
    case 'sent':
    case 'delivered':
    case 'read':
    case 'failed':
      return status;
    // A campaign never holds its messages (only POST /v1/messages with when_closed does);
    // named so that a status cannot be added without deciding what it means here.
    case 'held':
      return 'queued';
    case 'cancelled':
    case 'expired':
      return status;
  }
}

export type CommandOutcome = { ok: true; to: CampaignState } | { ok: false; reason: string };

/**
 * Where a command takes a campaign, or why it cannot: the one place the API's 409 texts come
 * from. `startsLater`: the campaign's start time is still ahead (launch and resume go to
 * `scheduled`, not `running`).
 */
export function applyCommand(
  state: CampaignState,
  command: CampaignCommand,
  opts: { startsLater: boolean },
): CommandOutcome {
  const to = targetOf(state, command, opts.startsLater);
  if (to === undefined || !canMoveCampaign(state, to)) {
    return { ok: false, reason: refusal(state, command) };
  }
  return { ok: true, to };
}

function targetOf(
  state: CampaignState,
  command: CampaignCommand,
  startsLater: boolean,
): CampaignState | undefined {
  switch (command) {
    case 'launch':
      return state === 'draft' ? (startsLater ? 'scheduled' : 'running') : undefined;
    case 'pause':
      return state === 'running' || state === 'scheduled' ? 'paused' : undefined;
    case 'resume':
      return state === 'paused' ? (startsLater ? 'scheduled' : 'running') : undefined;
    case 'cancel':
      return isTerminalCampaign(state) ? undefined : 'cancelled';
  }
}

function refusal(state: CampaignState, command: CampaignCommand): string {
  if (isTerminalCampaign(state)) {
    return `the campaign is ${state.replaceAll('_', ' ')}; nothing can ${command} it any more`;
  }
  switch (command) {
    case 'launch':
      return `the campaign is already ${state}; only a draft can be launched`;
    case 'pause':
      return state === 'paused' ? 'the campaign is already paused' : `a ${state} campaign cannot be paused`;
    case 'resume':
      return `the campaign is ${state}; only a paused campaign can be resumed`;
    case 'cancel':
      return `a ${state} campaign cannot be cancelled`;
  }
}
