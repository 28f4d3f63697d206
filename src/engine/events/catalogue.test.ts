import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES as BUS_TYPES } from './event-bus';
import { EVENT_SCHEMAS, EVENT_TYPES } from './schemas';

/** The event names in the first column of the README's events table. */
function readmeEventTypes(): string[] {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^\| event \| when \| data \|/.test(l));
  expect(start, 'README has an events table headed "| event | when | data |"').toBeGreaterThan(-1);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cell = line.split('|')[1]!.trim();
    const m = /^`([a-z_]+\.[a-z_]+)`$/.exec(cell);
    expect(m, `README events row "${line}" names one event as \`type\``).not.toBeNull();
    rows.push(m![1]!);
  }
  return rows;
}

// The catalogue, the bus's type list and the README's table must not drift apart.
describe('event catalogue', () => {
  it('lists in the README exactly the types of the catalogue', () => {
    expect([...readmeEventTypes()].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('is where the bus takes its type list from', () => {
    expect(BUS_TYPES).toBe(EVENT_TYPES);
    expect(Object.keys(EVENT_SCHEMAS)).toEqual(EVENT_TYPES);
  });

  it('describes every type, for the API reference', () => {
    for (const t of EVENT_TYPES) expect(EVENT_SCHEMAS[t].description, t).toBeTruthy();
  });
});
