/**
 * Lifecycle of a CSV import, written out once:
 *
 *   running ──every row read, good rows written──▶ done
 *      └──the file itself is unusable (binary, no header, no phone column), or the
 *         process stopped mid-file and the job was found orphaned──▶ failed
 *
 * Bad rows never fail a job: they are rejects, counted and listed with line, column and reason.
 * A row is written whole or not at all; a failed job keeps what it wrote (a re-run of the same
 * file is idempotent, so it finishes the rest and changes nothing that was already written).
 */
import type { Transitions } from '../lifecycle';

export const IMPORT_STATES = ['running', 'done', 'failed'] as const;
export type ImportState = (typeof IMPORT_STATES)[number];

export const IMPORT_TRANSITIONS: Transitions<ImportState> = Object.freeze({
  running: ['running', 'done', 'failed'],
  done: [],
  failed: [],
});
