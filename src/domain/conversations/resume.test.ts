import { describe, expect, it } from 'vitest';
import { checkResumeSpec, fillResumeTemplate, resumeDueAt, sampleResumeTemplate } from './resume';

const HOUR = 3600_000;
const contact = {
  name: 'Emilia Pérez',
  phone_e164: '+5491155551234',
  language: 'es-AR',
  attributes: { plan: 'oro' },
};
const waiting = {
  reason: 'agent',
  question: '¿Puedo cambiar el turno?',
  metadata: { topic: 'tu turno', n: 3 },
};

describe('resume rule', () => {
  it('fills references from the contact and the waiting mark, literals as given', () => {
    const spec = checkResumeSpec(
      {
        template: {
          name: 'resume_conversation',
          language: 'es_AR',
          body: {
            first_name: { from: 'contact.first_name' },
            topic: { from: 'waiting.metadata.topic' },
            plan: { from: 'contact.attributes.plan' },
            q: { from: 'waiting.question' },
            count: { from: 'waiting.metadata.n' },
            fixed: 'hoy',
          },
          buttons: [{ payload: { from: 'waiting.reason' } }, null],
        },
      },
      'resume',
    );
    expect(spec.ok).toBe(true);
    if (!spec.ok) return;
    expect(spec.value).toMatchObject({ before_close_minutes: 0, handoff: false });
    const filled = fillResumeTemplate(spec.value.template, { contact, waiting });
    expect(filled).toEqual({
      ok: true,
      value: {
        name: 'resume_conversation',
        language: 'es_AR',
        body: {
          first_name: 'Emilia',
          topic: 'tu turno',
          plan: 'oro',
          q: '¿Puedo cambiar el turno?',
          count: '3',
          fixed: 'hoy',
        },
        buttons: [{ payload: 'agent' }, null],
      },
    });
    expect(sampleResumeTemplate(spec.value.template).body).toMatchObject({
      first_name: 'sample',
      fixed: 'hoy',
    });
  });

  it('uses the default when a value is missing, and names what is missing otherwise', () => {
    const spec = checkResumeSpec(
      {
        template: {
          name: 't',
          language: 'es',
          body: [
            { from: 'waiting.metadata.topic', default: 'tu consulta' },
            { from: 'waiting.metadata.ticket' },
          ],
        },
      },
      'resume',
    );
    if (!spec.ok) throw new Error('expected a valid rule');
    const filled = fillResumeTemplate(spec.value.template, {
      contact,
      waiting: { ...waiting, metadata: null },
    });
    expect(filled.ok).toBe(false);
    if (filled.ok) return;
    expect(filled.missing).toEqual([
      { path: 'resume.template.body[1]', attribute: 'waiting.metadata.ticket', problem: 'absent' },
    ]);
  });

  it('names the path of every problem', () => {
    const checked = checkResumeSpec(
      {
        template: {
          name: '',
          language: 'es',
          body: { a: { from: 'contact.age' }, b: { from: 'x', extra: 1 } },
        },
        before_close_minutes: 1440,
        handoff: 'yes',
        when: 'now',
      },
      'resume',
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems.map((p) => p.path).sort()).toEqual(
      [
        'resume.before_close_minutes',
        'resume.handoff',
        'resume.template.body.a.from',
        'resume.template.body.b.extra',
        'resume.template.name',
        'resume.when',
      ].sort(),
    );
    expect(checkResumeSpec(null, 'resume')).toEqual({
      ok: false,
      problems: [{ path: 'resume', message: 'must be an object, got null' }],
    });
  });

  it('is due N minutes before the close, at once when that has passed or the window never opened', () => {
    const last = 1_764_000_000_000;
    expect(resumeDueAt(last, 0, last + HOUR)).toBe(last + 24 * HOUR);
    expect(resumeDueAt(last, 30, last + HOUR)).toBe(last + 24 * HOUR - 30 * 60_000);
    expect(resumeDueAt(last, 30, last + 24 * HOUR - 60_000)).toBe(last + 24 * HOUR - 60_000);
    expect(resumeDueAt(null, 0, last)).toBe(last);
  });
});
