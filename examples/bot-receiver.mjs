#!/usr/bin/env node
// A bot's event endpoint, in one file with no dependencies: it checks each event's Standard
// Webhooks signature (https://www.standardwebhooks.com) with node:crypto and prints the event.
//
//   WEBHOOK_SECRET=whsec_… node examples/bot-receiver.mjs      # listens on http://127.0.0.1:4000/events
//
// WEBHOOK_SECRET is the `secret` that POST /v1/webhook-endpoints answered (shown once); PORT
// changes the port. Copy it into your bot and replace `handle` with what your bot does.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.WEBHOOK_SECRET ?? '';
if (!/^whsec_[A-Za-z0-9+/=]+$/.test(secret)) {
  process.stderr.write(
    'error: set WEBHOOK_SECRET to the whsec_… secret that POST /v1/webhook-endpoints answered\n',
  );
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4000);
// The HMAC key is the base64 part of the secret, decoded.
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
// Older events are refused so that a captured request cannot be replayed later.
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;

/** True when one of the header's signatures is the HMAC of "id.timestamp.body" with our key. */
function verify(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(
    `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`,
  );
  // Several space-separated signatures are sent while a secret is being rotated.
  return signatures.split(' ').some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** What the bot does with an event; here, one line per event. */
function handle(event) {
  const d = event.data;
  const detail =
    event.type === 'message.reply'
      ? `payload=${d.reply?.payload ?? '-'} text=${JSON.stringify(d.reply?.text ?? null)} to ${d.message?.id}`
      : event.type === 'message.status'
        ? `${d.id} ${d.previous_status} → ${d.status}`
        : JSON.stringify(d).slice(0, 160);
  process.stdout.write(`${event.timestamp}  ${event.type}  ${detail}\n`);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/events') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    // The signature covers the raw bytes: verify before parsing.
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verify(req.headers, body)) {
      process.stderr.write(
        `refused an event with a bad signature (webhook-id ${req.headers['webhook-id']})\n`,
      );
      res.writeHead(401).end();
      return;
    }
    try {
      handle(JSON.parse(body));
    } catch (err) {
      process.stderr.write(`could not handle event ${req.headers['webhook-id']}: ${err.message}\n`);
      res.writeHead(500).end();
      return;
    }
    // Any 2xx marks the event delivered; anything else makes Recontact retry it later.
    res.writeHead(204).end();
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`bot receiver listening on http://127.0.0.1:${server.address().port}/events\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
