/**
 * Identifiers that look like Meta's: wamids (base64 of a small binary record holding the
 * user's number and a hex message key), fbtrace ids, numeric template ids, conversation ids.
 * Uniqueness comes from a per-process counter, so generating one costs no randomness.
 */
import { randomBytes } from 'node:crypto';

const OUTBOUND_MARK = Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]);
const INBOUND_MARK = Buffer.from([0x15, 0x02, 0x00, 0x12, 0x18, 0x14]);
const TAIL = Buffer.from([0x00]);

const instance = randomBytes(4).toString('hex').toUpperCase();
let counter = 0;

function key(width: number): string {
  counter += 1;
  const prefix = instance.slice(0, width - 12);
  return prefix + counter.toString(16).toUpperCase().padStart(12, '0');
}

/**
 * A wamid for a message to or from `waId`. Outbound keys have 18 hex characters and inbound
 * keys 20, as in the ids Meta hands out ("wamid.HBgL…").
 */
export function makeWamid(waId: string, direction: 'outbound' | 'inbound'): string {
  const inbound = direction === 'inbound';
  const raw = Buffer.concat([
    Buffer.from([0x1c, 0x18, waId.length & 0xff]),
    Buffer.from(waId, 'latin1'),
    inbound ? INBOUND_MARK : OUTBOUND_MARK,
    Buffer.from(key(inbound ? 20 : 18), 'latin1'),
    TAIL,
  ]);
  return 'wamid.' + raw.toString('base64');
}

export function fbtraceId(): string {
  return 'A' + randomBytes(8).toString('base64url');
}

// Template ids are numeric strings that stay below 2^53: the status webhook carries them as
// JSON numbers.
let templateSeq = 1_600_000_000_000_000 + Math.floor(Math.random() * 1e12) * 100;

export function nextTemplateId(): string {
  templateSeq += 1;
  return String(templateSeq);
}

const conversationPrefix = randomBytes(8).toString('hex');
let conversationSeq = 0;

/** 32 lowercase hex characters, unique per process (no randomness per call). */
export function conversationId(): string {
  conversationSeq += 1;
  return conversationPrefix + conversationSeq.toString(16).padStart(16, '0');
}
