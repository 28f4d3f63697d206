/**
 * `recontact demo resume`: the seed's second story, played against the sandbox over real HTTP in
 * seconds. Emilia asked the bot for a human agent 23 h 59 min ago; the bot marks her waiting with
 * a resume-contact rule; `window.expiring` fires; the window closes and `window.expired` fires;
 * the agent's answer, posted with a fallback template, is held; the resume template reaches her
 * phone; she taps "Sí, continuar"; the held answer is released; the bot gets
 * `conversation.resumed` with her original question.
 *
 * Time: Recontact and the sandbox share one clock, real time plus an offset this demo moves
 * (61 s, to pass the close). Her message is dated in the past through the sandbox's `timestamp`;
 * receipts and event deliveries still take their real milliseconds.
 */
import { request } from 'undici';
import type { InboxMessage } from '../sandbox/sandbox';
import { type BotEvent, type DemoOptions, type Json, startDemo, startDemoBot } from './demo-kit';

const EMILIA = { phone: '+54 9 11 5555-1234', waId: '5491155551234', name: 'Emilia' };
const QUESTION =
  '¿Puedo pasar mi turno del lunes con la Dra. Gómez a la tarde? Quiero hablar con una persona.';
const ANSWER =
  'Hola Emilia, soy Laura de SaludCenter. Sí: te pasé el turno al lunes 3 de marzo a las 16:00 con la Dra. Gómez. ¿Te queda bien?';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far the demo moves the shared clock once `window.expiring` arrived: just past the close. */
const STEP_MS = 61_000;

/** The resume-contact rule: resume_conversation, filled from the contact and the waiting mark. */
const RESUME_RULE = {
  template: {
    name: 'resume_conversation',
    language: 'es_AR',
    body: {
      first_name: { from: 'contact.first_name', default: 'hola' },
      topic: { from: 'waiting.metadata.topic', default: 'tu consulta' },
    },
  },
  before_close_minutes: 0,
  handoff: true,
};

export async function demoResume(
  opts: DemoOptions,
  out = (s: string) => process.stdout.write(s),
): Promise<number> {
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const bot = await startDemoBot();
  const run = await startDemo(
    opts,
    { name: 'demo-resume', key: { name: 'demo resume bot', role: 'admin' }, bot, clock },
    out,
  );
  const { embedded, url, say, check, api, waitFor } = run;
  const phoneId = embedded.whatsapp.phoneNumberId;
  const users = embedded.sandbox.users;
  const contactPath = `/v1/contacts/${encodeURIComponent(EMILIA.phone)}`;
  const event = (type: string, where: (e: BotEvent) => boolean = () => true) =>
    waitFor(`the bot to get ${type}`, () => bot.events.find((e) => e.type === type && where(e)));
  const ofEmilia = (e: BotEvent) => e.data.contact?.wa_id === EMILIA.waId;
  // A step the rest of the story depends on: when it fails, the demo stops there with the reason
  // instead of waiting out every later step.
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new StepFailed(what);
  };
  const got = <T>(v: T | undefined): T => {
    if (v === undefined) throw new StepFailed();
    return v;
  };

  try {
    out('Recontact demo — resume contact (SaludCenter ↔ Emilia)\n');
    out(
      `Recontact ${url} · sandbox ${embedded.whatsapp.baseUrl} · bot ${bot.url.replace(/\/events$/, '')}\n`,
    );
    out(
      'Recontact and the sandbox share one clock: real time plus an offset this demo advances, so a 24-hour window ends in seconds.\n\n',
    );

    // 1. Emilia asked for a person 23 h 59 min ago: the sandbox dates her message in the past.
    users.setName(EMILIA.waId, EMILIA.name);
    const writtenAt = Math.floor((clock() - DAY + MINUTE) / 1000);
    const wrote = await sandboxPost(embedded.whatsapp.baseUrl, `/_sandbox/users/${EMILIA.waId}/messages`, {
      phone_number_id: phoneId,
      text: QUESTION,
      timestamp: writtenAt,
    });
    must(wrote.status === 200, `the sandbox refused the back-dated message: ${JSON.stringify(wrote.json)}`);
    say('emilia', `wrote 23 h 59 min ago (timestamp ${writtenAt}): "${QUESTION}"`);
    got(await event('message.received', ofEmilia));
    const w1 = got(
      await waitFor('her window in Recontact', async () => {
        const w = await api('GET', `${contactPath}/window`);
        return w.json.open === true ? w.json : undefined;
      }),
    );
    say('window', `Emilia: open, closes at ${w1.expires_at} (${w1.remaining_seconds} s left)`);
    must(
      w1.remaining_seconds <= 60,
      `her window should have at most a minute left, not ${w1.remaining_seconds} s`,
    );

    // 2. No agent is free: the bot marks her waiting, with the rule that re-contacts her.
    const marked = await api('POST', `${contactPath}/waiting`, {
      reason: 'agent',
      question: QUESTION,
      metadata: { topic: 'tu cambio de turno', ticket: 'T-1042' },
      resume: RESUME_RULE,
    });
    must(
      marked.status === 201 || marked.status === 200,
      `marking her waiting failed: HTTP ${marked.status} ${JSON.stringify(marked.json.error ?? marked.json)}`,
    );
    say(
      'bot',
      `POST /v1/contacts/{Emilia}/waiting reason=agent, resume_conversation once the window closes → ${marked.status}`,
    );

    // 3. The window's last hour: window.expiring (the lead time is 1 h, she has a minute).
    const expiring = got(await event('window.expiring', ofEmilia));
    const waitingFor = expiring.data.waiting ? `, she waits for an ${expiring.data.waiting.reason}` : '';
    say('event', `window.expiring: ${expiring.data.remaining_seconds} s left${waitingFor}`);

    // 4. The shared clock passes the close.
    offsetMs += STEP_MS;
    // The timer worker sleeps until the next due time by real timers: a clock moved by hand wakes it.
    run.app.conversations.wake();
    say('clock', `+${STEP_MS / 1000} s on the shared clock: past the close of Emilia's window`);
    const expired = got(await event('window.expired', ofEmilia));
    say('event', `window.expired at ${expired.data.expired_at}`);

    // 5. The agent answers now; only a template reaches her, so the answer waits behind one.
    const answer = await api('POST', '/v1/messages', {
      to: EMILIA.phone,
      text: { body: ANSWER },
      when_closed: {
        template: {
          name: 'resume_conversation',
          language: 'es_AR',
          body: { first_name: EMILIA.name, topic: 'tu cambio de turno' },
        },
      },
      metadata: { ticket: 'T-1042', agent: 'Laura' },
    });
    must(
      answer.status === 202 || answer.status === 200,
      `the agent's answer was refused: HTTP ${answer.status} ${JSON.stringify(answer.json.error ?? answer.json)}`,
    );
    say(
      'agent',
      `answer with when_closed → ${answer.status}, path ${answer.json.path}, held as ${answer.json.held_id}`,
    );
    must(
      answer.json.path === 'template_then_held',
      `the answer should be held behind a template, not go "${answer.json.path}"`,
    );
    const heldId = String(answer.json.held_id);
    const held = (await api('GET', `/v1/messages/${heldId}`)).json;
    say('agent', `GET /v1/messages/${heldId} → ${held.status}`);
    must(held.status === 'held', `the answer should read "held" until she replies, not "${held.status}"`);
    const resumeSent = got(await event('conversation.resume_sent', ofEmilia));
    say(
      'event',
      `conversation.resume_sent: ${resumeSent.data.message?.template?.name} (${resumeSent.data.message?.id})`,
    );

    // 6. The resume template on her phone; she taps "Sí, continuar".
    const invite = got(
      await waitFor<InboxMessage>("the resume template on Emilia's phone", () =>
        users.inbox(EMILIA.waId).find((m) => m.template?.name === 'resume_conversation'),
      ),
    );
    say('emilia', `receives: "${invite.text}" [${invite.buttons.map((b) => b.text).join(' | ')}]`);
    const waiting = (await api('GET', contactPath)).json.waiting;
    if (waiting)
      say(
        'contact',
        `waiting since ${waiting.since} (${waiting.reason}), resume template ${waiting.resume_message_id}`,
      );
    users.tapButton(phoneId, EMILIA.waId, invite.wamid, 'Sí, continuar');
    say('emilia', 'taps "Sí, continuar"');

    // 7. Her reply reopens the window: the held answer goes, the bot gets the conversation back.
    const resumed = got(await event('conversation.resumed', ofEmilia));
    const d = resumed.data;
    say(
      'event',
      `conversation.resumed: "${d.waiting?.question}" (ticket ${d.waiting?.metadata?.ticket}), she answered "${d.reply?.text ?? d.reply?.button_text ?? d.reply?.payload}", released ${(d.released_message_ids ?? []).join(', ') || 'nothing'}`,
    );
    check(d.waiting?.question === QUESTION, 'conversation.resumed should carry her original question');
    check(
      (d.released_message_ids ?? []).includes(heldId),
      'conversation.resumed should name the released answer',
    );
    const handoff = got(await event('handoff.requested', ofEmilia));
    say('event', `handoff.requested (${handoff.data.source}) with her question and ticket, for an agent`);
    const answered = got(
      await waitFor("the agent's answer on Emilia's phone", () =>
        users.inbox(EMILIA.waId).find((m) => m.type === 'text' && m.text === ANSWER),
      ),
    );
    say('emilia', `receives: "${answered.text}"`);
    const after = (await api('GET', `/v1/messages/${heldId}`)).json;
    say('agent', `GET /v1/messages/${heldId} → ${after.status}`);
    check(after.status !== 'held', 'the answer should have left "held"');
    const phone = users.inbox(EMILIA.waId);
    const templates = phone.filter((m) => m.type === 'template').map((m) => m.template?.name);
    say(
      'emilia',
      `her phone: ${templates.length} template${templates.length === 1 ? '' : 's'} (${templates.join(', ')}), ${phone.length - templates.length} text`,
    );
  } catch (err) {
    if (!(err instanceof StepFailed)) run.failures.push(err instanceof Error ? err.message : String(err));
    else if (err.message) run.failures.push(err.message);
  } finally {
    await run.close();
  }
  return run.finish(
    'Demo finished: the window closed, the resume template brought Emilia back, the held answer reached her, and the bot got conversation.resumed.',
  );
}

/** A step failed; its reason is the message, or was recorded by the wait that timed out. */
class StepFailed extends Error {}

/** The sandbox's control endpoints, as any script would call them. */
async function sandboxPost(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Json };
}
