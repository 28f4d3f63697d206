/**
 * A conversation waiting for someone (an agent, a document, a callback), written out once:
 *
 *   waiting ──resume rule due (window expired, or N minutes before)──▶ resume_sent
 *      │                                                                  │
 *      │                                    the contact replies ──▶ resumed
 *      │                                                                  │
 *      └──────────── answered (DELETE …/waiting, a routing rule) ──▶ cleared ◀┘
 *
 * When the resume template cannot go (no longer APPROVED, the contact opted out, a value
 * missing), the mark stays `waiting` with the reason recorded (`resume_failure`); the contact's
 * next message schedules it again for the new window.
 *
 * `resume_sent` happens at most once per mark: the template is the business's one chance to
 * bring the person back, and a second copy reads as spam. A reply while still `waiting` (the
 * window was open) does not resume anything: the person is already here. `resumed` stays open
 * until cleared, because the agent has still to answer; `cleared` is final.
 */
export const WAITING_STATES = ['waiting', 'resume_sent', 'resumed', 'cleared'] as const;
export type WaitingState = (typeof WAITING_STATES)[number];

/** The states a mark can still change from: one active mark per contact at a time. */
export const ACTIVE_WAITING_STATES = [
  'waiting',
  'resume_sent',
  'resumed',
] as const satisfies readonly WaitingState[];

const NEXT: Record<WaitingState, readonly WaitingState[]> = {
  waiting: ['resume_sent', 'cleared'],
  resume_sent: ['resumed', 'cleared'],
  resumed: ['cleared'],
  cleared: [],
};

export function canMoveWaiting(from: WaitingState, to: WaitingState): boolean {
  return NEXT[from].includes(to);
}
