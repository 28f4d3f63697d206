/**
 * Time-ordered ids ("msg_01JD2Q…"): 10 Crockford base32 characters of millisecond time, then
 * 16 of randomness (the ULID layout). Random ids scatter B-tree inserts over the whole index;
 * in SQLite that costs about 10× (reference/performance-anchors.md), while ids that grow with
 * time append to the right-most page. Within one millisecond the random part is incremented
 * instead of redrawn, so ids from one generator sort in the order they were made.
 */

/** Prefixes in use; any short lowercase word is accepted so a new table needs no change here. */
export const ID_PREFIXES = ['msg', 'evt', 'ctc', 'cmp', 'tpl', 'acc', 'key', 'whk', 'rpl'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number] | (string & {});

export type IdGenerator = (prefix: IdPrefix, now: number) => string;

/** Crockford's base32: no I, L, O, U, and in ASCII order, so string order is numeric order. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_BYTES = 10;
const MAX_TIME = 2 ** 48 - 1;
const PREFIX = /^[a-z][a-z0-9]{1,7}$/;

export function createIdGenerator(randomBytes: (n: number) => Uint8Array): IdGenerator {
  let lastTime = -1;
  let lastRandom: Uint8Array = new Uint8Array(RANDOM_BYTES);

  return (prefix, now) => {
    checkPrefix(prefix);
    checkTime(now);
    // A clock that steps back (NTP) must not reorder ids: keep counting from the last time.
    if (now > lastTime) {
      lastTime = now;
      lastRandom = freshRandom(randomBytes);
    } else if (!increment(lastRandom)) {
      // 80 bits exhausted within one millisecond: borrow the next millisecond.
      lastTime += 1;
      checkTime(lastTime);
      lastRandom = freshRandom(randomBytes);
    }
    return `${prefix}_${encodeTime(lastTime)}${encodeRandom(lastRandom)}`;
  };
}

/**
 * The smallest id of `prefix` made at `time`: every id made earlier sorts before it, every id
 * made then or later after it (an id is the prefix, the time, then 16 more characters).
 */
export function idFloor(prefix: IdPrefix, time: number): string {
  checkPrefix(prefix);
  checkTime(time);
  return `${prefix}_${encodeTime(time)}`;
}

/** The creation time (ms epoch) written in an id. */
export function idTime(id: string): number {
  const start = id.indexOf('_') + 1;
  const body = id.slice(start, start + TIME_CHARS);
  const digits = [...body].map((ch) => ALPHABET.indexOf(ch));
  if (digits.length !== TIME_CHARS || digits.includes(-1))
    throw new RangeError(`"${id}" is not a Recontact id`);
  return digits.reduce((time, digit) => time * 32 + digit, 0);
}

function checkPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new RangeError(`id prefix must be 2 to 8 lowercase letters or digits, got "${prefix}"`);
  }
}

function checkTime(now: number): void {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) {
    throw new RangeError(`id time must be a whole number of milliseconds since 1970, got ${now}`);
  }
}

function freshRandom(randomBytes: (n: number) => Uint8Array): Uint8Array {
  const bytes = randomBytes(RANDOM_BYTES);
  if (bytes.length < RANDOM_BYTES) {
    throw new RangeError(`randomBytes(${RANDOM_BYTES}) returned only ${bytes.length} bytes`);
  }
  return Uint8Array.from(bytes.subarray(0, RANDOM_BYTES));
}

/** Adds one to a big-endian number in place; false when it wrapped around to zero. */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i] ?? 0) + 1;
    bytes[i] = next & 0xff;
    if (next <= 0xff) return true;
  }
  return false;
}

function encodeTime(time: number): string {
  let out = '';
  let rest = time;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 80 bits are exactly 16 characters of 5 bits: read the bytes as one bit stream. */
function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
