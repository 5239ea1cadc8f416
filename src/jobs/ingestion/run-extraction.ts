/**
 * Runs one extraction in a worker thread with a capped heap and a deadline, so that no upload (a
 * decompression bomb, a pathological PDF) can exhaust the server's memory or hold its event loop:
 * past the budget the worker is stopped and the caller gets an ExtractionError. An abort signal
 * stops it too (the document was deleted while it was being read).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { couldNotExtract, ExtractionError } from './extraction-error.js';
import { extractTask, type ExtractionResult } from './extract-task.js';
import { EXTRACTION_HEAP_MB, EXTRACTION_TIMEOUT_MS } from './extraction-limits.js';
import type { ChunkOptions } from './chunk.js';
import type { DocumentFormat } from '../../commands/documents/formats.js';

export interface ExtractionBudget {
  heapMb?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The reason of an extraction stopped by its caller's signal; callers that abort expect it. */
export class ExtractionAborted extends Error {
  constructor() {
    super('extraction aborted');
    this.name = 'ExtractionAborted';
  }
}

export type { ExtractionResult } from './extract-task.js';

/**
 * Plain text up to this size is read on the server's own thread: decoding and splitting it takes a
 * few times its size in memory, far inside any heap, while starting a worker (a fresh isolate that
 * loads the parsers) costs some 50 ms of CPU, more than the work itself.
 */
export const INLINE_TEXT_BYTES = 1024 * 1024;
const PLAIN_TEXT: ReadonlySet<DocumentFormat> = new Set(['txt', 'md', 'csv']);

type Reply = ExtractionResult | { error: { message: string; reason: string | null } };

export async function runExtraction(
  format: DocumentFormat,
  bytes: Buffer,
  budget: ExtractionBudget = {},
  chunking?: ChunkOptions,
): Promise<ExtractionResult> {
  if (budget.signal?.aborted) throw new ExtractionAborted();
  if (PLAIN_TEXT.has(format) && bytes.length <= INLINE_TEXT_BYTES) {
    return extractTask(format, bytes, chunking).catch((err: unknown) => {
      if (err instanceof ExtractionError) throw err;
      throw new ExtractionError((err as Error)?.message || String(err), couldNotExtract(format));
    });
  }
  const data = new Uint8Array(bytes); // a copy, moved to the worker: the caller keeps its buffer
  const worker = startWorker({ format, bytes: data, chunking }, [data.buffer], budget.heapMb ?? EXTRACTION_HEAP_MB);
  worker.stdout.resume(); // parsers may print; none of it belongs in our logs
  worker.stderr.resume();
  const timeoutMs = budget.timeoutMs ?? EXTRACTION_TIMEOUT_MS;
  let onAbort = () => {};
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ExtractionError(
              `Extraction took longer than ${timeoutMs} ms`,
              couldNotExtract(format, `reading it took longer than ${Math.round(timeoutMs / 1000)} s`),
            ),
          ),
        timeoutMs,
      );
      const settle = () => clearTimeout(timer);
      onAbort = () => {
        settle();
        reject(new ExtractionAborted());
      };
      budget.signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (message: Reply) => {
        settle();
        resolve(message);
      });
      worker.once('error', (err: Error & { code?: string }) => {
        settle();
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ExtractionError(
                `Extraction ran out of memory: ${err.message}`,
                couldNotExtract(
                  format,
                  `reading it needs more than ${budget.heapMb ?? EXTRACTION_HEAP_MB} MB of memory`,
                ),
              )
            : err,
        );
      });
      worker.once('exit', (code) => {
        settle();
        reject(new Error(`the extraction worker stopped unexpectedly (exit code ${code})`));
      });
    });
    if ('error' in reply) throw new ExtractionError(reply.error.message, reply.error.reason ?? couldNotExtract(format));
    return reply;
  } finally {
    budget.signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}

/**
 * The compiled worker sits beside this file. When the sources run as TypeScript (the test runner),
 * there is no compiled file: a small bootstrap then compiles the worker's modules with SWC, the
 * compiler the test runner uses, as they load.
 */
function startWorker(workerData: unknown, transferList: ArrayBuffer[], heapMb: number): Worker {
  const options = {
    workerData,
    transferList,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
    stdout: true,
    stderr: true,
  };
  const compiled = path.join(__dirname, 'extraction-worker.js');
  if (fs.existsSync(compiled)) return new Worker(compiled, options);
  const source = `${TYPESCRIPT_BOOTSTRAP}\nrequire(${JSON.stringify(path.join(__dirname, 'extraction-worker.ts'))});`;
  return new Worker(source, { ...options, eval: true });
}

const TYPESCRIPT_BOOTSTRAP = `
const fs = require('node:fs');
const Module = require('node:module');
const swc = require('@swc/core');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (err) {
    if (!request.startsWith('.') || !request.endsWith('.js')) throw err;
    return resolve.call(this, request.slice(0, -3) + '.ts', parent, ...rest);
  }
};
Module._extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
`;
