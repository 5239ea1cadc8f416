/**
 * The extraction worker thread: reads one file (workerData: format and bytes), normalises its text
 * and posts `{ text }`, or with `chunking` given, splits it too and posts `{ characters, chunks }`
 * (splitting keeps a piece per word or line for a while, so it belongs under the same heap cap);
 * `{ error: { message, reason } }` when it cannot. Its heap is capped and its time limited by
 * run-extraction.ts, so a file that slips past the limits costs a worker, not the server.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ExtractionError } from './extraction-error.js';
import type { ChunkOptions } from './chunk.js';
import type { DocumentFormat } from '../../commands/documents/formats.js';
import { extractTask } from './extract-task.js';

interface Task {
  format: DocumentFormat;
  bytes: Uint8Array;
  chunking?: ChunkOptions;
}

async function main(task: Task): Promise<void> {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.length);
  try {
    parentPort!.postMessage(await extractTask(task.format, bytes, task.chunking));
  } catch (err) {
    const message = (err as Error)?.message || String(err);
    parentPort!.postMessage({ error: { message, reason: err instanceof ExtractionError ? err.reason : null } });
  }
}

void main(workerData as Task);
