/**
 * Send when allowed: the rules of a held message (lifecycle in domain/message.ts). A free-form
 * message sent with a fallback template goes now while the window is open; otherwise the
 * template goes now and the message waits, held, until the contact writes or `hold_until`.
 */
import {
  decideSend,
  type MessengerMessaging,
  type PolicyInput,
  type PolicyVerdict,
} from '../channels/send-policy';
import { RecontactError } from '../errors';
import { parseIsoDuration } from '../iso-duration';
import { type WindowState, windowState } from '../window';

const DAY_MS = 86_400_000;

/** How long a message is held when the request does not say (`hold_for` absent). */
export const DEFAULT_HOLD_MS = 7 * DAY_MS;
/** The longest hold: an answer older than a month is no longer an answer. */
export const MAX_HOLD_MS = 30 * DAY_MS;
/** The shortest hold worth a template: less cannot wait for anyone to read it and reply. */
export const MIN_HOLD_MS = 60_000;

/**
 * A window that closes within this margin counts as closed: the message is queued, claimed,
 * paced and posted after the decision, and a send that reaches Meta after the close fails with
 * 131047 instead of being held. Ten seconds covers a busy dispatcher's queue and one retry of a
 * refused POST; a message in that last moment is held and goes when the contact writes again.
 */
export const WINDOW_SAFETY_MARGIN_MS = 10_000;

/**
 * One invitation at a time: a template that went to the contact since their window closed, and
 * that they have not answered yet, is the invitation every held message waits behind. A second
 * template would only repeat the question (and be billed again): an agent's three answers, or
 * an answer after the resume-contact template, all wait for the one reply. After a day without
 * an answer the invitation is stale and a new one goes.
 */
export const INVITATION_REUSE_MS = DAY_MS;

/** Templates created at or after this time may serve as the contact's open invitation. */
export function invitationSince(lastInboundAt: number | null, now: number): number {
  const closedAt =
    lastInboundAt === null ? Number.NEGATIVE_INFINITY : windowState(lastInboundAt, now).expiresAt!;
  return Math.max(closedAt, now - INVITATION_REUSE_MS);
}

/** Which way a free-form message with a fallback goes: now, or held behind the template. */
export type HeldPath = 'now' | 'template_then_held';

export function chooseHeldPath(
  lastInboundAt: number | null,
  now: number,
): { path: HeldPath; window: WindowState } {
  const window = windowState(lastInboundAt, now + WINDOW_SAFETY_MARGIN_MS);
  return { path: window.open ? 'now' : 'template_then_held', window };
}

/**
 * The same choice asked of the send policy, for any channel: the message goes now when the
 * policy allows it WINDOW_SAFETY_MARGIN_MS from now (on Messenger a person's answer within 7
 * days goes now, tagged HUMAN_AGENT), else it is held. A refusal that is not about the window
 * (a retired tag) is the caller's to answer: holding would not make it lawful. `heldMessaging`
 * is how the message goes once released, which is when the contact has just written: inside a
 * fresh window.
 */
export function heldPathByPolicy(input: Omit<PolicyInput, 'content'> & { content: 'free_form' }): {
  path: HeldPath;
  verdict: PolicyVerdict;
  heldMessaging: MessengerMessaging | null;
} {
  const verdict = decideSend({ ...input, now: input.now + WINDOW_SAFETY_MARGIN_MS });
  const released = decideSend({ ...input, lastInboundAt: input.now, lastUserMessageAt: input.now });
  return {
    path: verdict.ok ? 'now' : 'template_then_held',
    verdict,
    heldMessaging: released.ok ? released.messaging : null,
  };
}

/** `hold_for` in milliseconds: an ISO 8601 duration between MIN_HOLD_MS and MAX_HOLD_MS. */
export function holdDuration(holdFor: string | undefined): number {
  if (holdFor === undefined) return DEFAULT_HOLD_MS;
  const ms = parseIsoDuration(holdFor);
  const problem =
    ms === null
      ? `"${holdFor.slice(0, 40)}" is not an ISO 8601 duration in weeks, days, hours, minutes or seconds`
      : ms > MAX_HOLD_MS
        ? `"${holdFor}" is longer than the longest hold, P30D`
        : ms < MIN_HOLD_MS
          ? `"${holdFor}" is shorter than the shortest hold, PT1M`
          : null;
  if (problem === null) return ms!;
  throw new RecontactError('INPUT_INVALID', `when_closed.hold_for ${problem}`, {
    details: [{ path: 'when_closed.hold_for', message: problem }],
    hint: 'Give how long to hold the message for the contact to write, e.g. "P7D" (the default), "PT12H" or "P30D" (the longest).',
  });
}
