/**
 * An uploaded CSV is written to a file before it is answered: the 202 promises the import will
 * run, so the bytes must outlive this request and this process (a job resumes after a restart
 * by reading its file again). The size limit is checked while writing; past it the upload
 * stops, the partial file is removed and the caller answers 413 naming the limit.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecontactError } from '../../../domain/errors';

export interface Spooled {
  path: string;
  bytes: number;
}

export async function spoolUpload(
  body: Readable,
  dir: string,
  id: string,
  maxBytes: number,
): Promise<Spooled> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${id}.csv`);
  let bytes = 0;
  let tooLarge = false;
  try {
    await pipeline(
      body,
      async function* limit(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            tooLarge = true;
            throw new Error('too large');
          }
          yield chunk;
        }
      },
      createWriteStream(path),
    );
  } catch (err) {
    await rm(path, { force: true });
    if (tooLarge) {
      throw new RecontactError(
        'BODY_TOO_LARGE',
        `The CSV is larger than the import limit of ${formatBytes(maxBytes)} (${maxBytes} bytes)`,
        {
          details: [{ path: 'body', message: `at most ${maxBytes} bytes` }],
          hint: 'Split the file, or raise IMPORT_MAX_BYTES on the server.',
          data: { limit_bytes: maxBytes },
        },
      );
    }
    throw err;
  }
  return { path, bytes };
}

/** The first `n` bytes of a spooled file. */
export async function readHead(path: string, n: number): Promise<Buffer> {
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await f.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await f.close();
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(2)} KiB`;
  return `${n} bytes`;
}
