import { describe, expect, it } from 'vitest';
import {
  checkAudienceDefinition,
  checkNeeds,
  definitionToJson,
  type Problem,
  parseAttributeQuery,
} from './audience';

describe('audience definitions', () => {
  it('reads the three kinds, normalising tags and times', () => {
    expect(checkAudienceDefinition({ all: true })).toEqual({ ok: true, value: { kind: 'all' } });
    const filter = checkAudienceDefinition({
      filter: {
        tags: { all: [' vip ', 'vip'], none: ['stop'] },
        attributes: [{ name: 'city', op: 'in', value: ['Rosario', 3] }],
        window: 'closed',
        last_inbound_after: '2026-11-01T00:00:00-03:00',
      },
    });
    expect(filter).toEqual({
      ok: true,
      value: {
        kind: 'filter',
        filter: {
          tags: { all: ['vip'], any: [], none: ['stop'] },
          attributes: [{ name: 'city', op: 'in', value: ['Rosario', 3] }],
          window: 'closed',
          lastInboundAfter: Date.parse('2026-11-01T03:00:00Z'),
        },
      },
    });
    if (!filter.ok) throw new Error('refused');
    expect(definitionToJson(filter.value)).toEqual({
      filter: {
        tags: { all: ['vip'], none: ['stop'] },
        attributes: [{ name: 'city', op: 'in', value: ['Rosario', 3] }],
        window: 'closed',
        last_inbound_after: '2026-11-01T03:00:00.000Z',
      },
    });
    expect(checkAudienceDefinition({ list: { contacts: [' +54 9 11 5555-1234 ', 'ctc_1'] } })).toEqual({
      ok: true,
      value: { kind: 'list', contacts: ['+54 9 11 5555-1234', 'ctc_1'] },
    });
  });

  it('names every problem with its path', () => {
    const r = checkAudienceDefinition(
      {
        filter: {
          tags: { all: 'vip' },
          attributes: [{ name: 'x', op: 'exists', value: 'yes' }, 'nope'],
          extra: 1,
        },
      },
      'body',
    );
    expect(r.ok).toBe(false);
    expect((r as { problems: Problem[] }).problems.map((p) => p.path)).toEqual([
      'body.filter.extra',
      'body.filter.tags.all',
      'body.filter.attributes[0].value',
      'body.filter.attributes[1]',
    ]);
    expect(checkAudienceDefinition({ all: false })).toMatchObject({ ok: false, problems: [{ path: 'all' }] });
    expect(checkAudienceDefinition({ list: { contacts: new Array(10_001).fill('+1') } })).toMatchObject({
      ok: false,
      problems: [{ path: 'list.contacts', message: expect.stringContaining('import a CSV with a tag') }],
    });
    expect(checkAudienceDefinition([])).toMatchObject({ ok: false });
  });
});

describe('attribute conditions in a query string', () => {
  const parse = (text: string) => {
    const problems: Problem[] = [];
    return { condition: parseAttributeQuery(text, 'attr', problems), problems };
  };

  it('reads name:op:value, values typed like CSV cells unless quoted', () => {
    expect(parse('city:eq:Rosario').condition).toEqual({ name: 'city', op: '=', value: 'Rosario' });
    expect(parse('age:gt:30').condition).toEqual({ name: 'age', op: '>', value: 30 });
    expect(parse('zip:eq:"007"').condition).toEqual({ name: 'zip', op: '=', value: '007' });
    expect(parse('zip:eq:007').condition).toEqual({ name: 'zip', op: '=', value: '007' });
    expect(parse('member:ne:true').condition).toEqual({ name: 'member', op: '!=', value: true });
    expect(parse('due:lt:2026-12-01').condition).toEqual({ name: 'due', op: '<', value: '2026-12-01' });
    expect(parse('city:in:Rosario,"Santa Fe, capital",3').condition).toEqual({
      name: 'city',
      op: 'in',
      value: ['Rosario', 'Santa Fe, capital', 3],
    });
    expect(parse('email:exists').condition).toEqual({ name: 'email', op: 'exists', value: true });
    expect(parse('email:exists:false').condition).toEqual({ name: 'email', op: 'exists', value: false });
    expect(parse('note:eq:a:b').condition).toEqual({ name: 'note', op: '=', value: 'a:b' });
  });

  it('explains what is wrong', () => {
    expect(parse('city=Rosario').problems[0]!.message).toContain('name:op:value');
    expect(parse('city:like:R').problems[0]!.message).toContain('eq, ne, lt, gt, in, exists');
    expect(parse('city:eq').problems[0]).toEqual({ path: 'attr.value', message: '"=" needs a value' });
    expect(parse('name:eq:Ana').problems[0]!.message).toContain('contact field');
    expect(parse('ok:gt:true').problems[0]!.message).toContain('not booleans');
  });
});

describe('needs', () => {
  it('are contact fields or attribute names', () => {
    const problems: Problem[] = [];
    expect(checkNeeds(['name', 'city', 'name', 'phone'], 'needs', problems)).toEqual([
      { field: 'name' },
      { attribute: 'city' },
      { field: 'phone' },
    ]);
    expect(problems).toEqual([]);
    checkNeeds(['ok', 'bad name'], 'needs', problems);
    expect(problems).toMatchObject([{ path: 'needs[1]' }]);
  });
});
