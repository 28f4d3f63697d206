/**
 * The reading half of an import on a worker thread, so that reading and checking rows (one
 * core) overlaps writing them (the main thread, which owns the database connection). The main
 * thread pulls: it asks for the next batch as soon as it has one to write, so at most two
 * batches exist at a time and memory stays flat whatever the file.
 *
 * The worker runs TypeScript: it registers tsx itself (bin/recontact.js does the same for the
 * main thread), so it starts the same way under `node bin/recontact.js`, `node --import tsx`
 * and vitest. If it cannot start, the caller reads on its own thread instead.
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { RecontactError } from '../../../domain/errors';
import { type CsvBatch, type CsvBatchOptions, csvBatches } from './csv-batches';

interface WorkerInput {
  file: string;
  options: CsvBatchOptions;
}

type Reply =
  | { batch: CsvBatch }
  | { done: true }
  | { error: { code?: string; message: string; hint?: string } };

/**
 * Reads `file` into batches on a worker thread; throws like csvBatches does. With `fallback`
 * (the default), a thread that cannot start is replaced by reading on this one.
 */
export async function* csvBatchesInWorker(
  file: string,
  options: CsvBatchOptions,
  fallback = true,
): AsyncGenerator<CsvBatch> {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootCode())}`), {
    workerData: { file, options } satisfies WorkerInput,
  });
  const replies: Reply[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on('message', (r: Reply) => {
    replies.push(r);
    wake?.();
  });
  worker.on('error', (err) => {
    failure = err;
    wake?.();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the CSV reader thread exited with code ${code}`);
    wake?.();
  });
  const next = async (): Promise<Reply> => {
    while (replies.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
    return replies.shift()!;
  };
  try {
    worker.postMessage('next');
    let first = true;
    for (;;) {
      let reply: Reply;
      try {
        reply = await next();
      } catch (err) {
        if (!first || !fallback) throw err;
        // The thread did not start (no tsx where it runs?): read on this thread instead.
        yield* csvBatches(createReadStream(file, { highWaterMark: 256 * 1024 }), options);
        return;
      }
      first = false;
      if ('error' in reply) {
        const e = reply.error;
        throw e.code === 'CSV_INVALID'
          ? new RecontactError('CSV_INVALID', e.message, e.hint ? { hint: e.hint } : {})
          : new Error(e.message);
      }
      if ('done' in reply) return;
      // Ask for the next batch now: it is read while this one is written.
      worker.postMessage('next');
      yield reply.batch;
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

let boot: string | undefined;

/** An ES module that registers tsx, then loads this file inside the worker. */
function bootCode(): string {
  if (boot) return boot;
  // tsx's ESM entry; require.resolve names its CommonJS twin beside it.
  const tsxApi = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/index\.cjs$/, 'index.mjs');
  boot = `import { register } from ${JSON.stringify(pathToFileURL(tsxApi).href)};
register();
await import(${JSON.stringify(import.meta.url)});`;
  return boot;
}

if (!isMainThread && parentPort && (workerData as WorkerInput | undefined)?.file) {
  const port = parentPort;
  const input = workerData as WorkerInput;
  const batches = csvBatches(createReadStream(input.file, { highWaterMark: 256 * 1024 }), input.options);
  port.on('message', async () => {
    try {
      const r = await batches.next();
      port.postMessage(r.done ? { done: true } : { batch: r.value });
    } catch (err) {
      const e = err as RecontactError;
      port.postMessage({ error: { code: e.code, message: e.message, hint: e.hint } });
    }
  });
}
