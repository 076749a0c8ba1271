import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ImageDecodeError, type ImageDecodeReason } from '../errors';
import type { Pixels } from '../resample';
import { parseDicomBytes } from './parse';

type Answer = { id: number; pixels: Pixels } | { id: number; error: { reason: ImageDecodeReason; message: string } };

/**
 * Decodes DICOM files in worker threads, so that a large frame never stalls the event loop that
 * renews job locks and serves HTTP, under a memory budget: a decode is admitted once the bytes
 * it may hold (the file, the frame's samples in the codec and out of it, the grey result) fit
 * beside those in flight, and one that could never fit is refused.
 */
export class DicomDecodePool {
  private readonly idle: Worker[] = [];
  private readonly workers = new Set<Worker>();
  private readonly waiting: Array<() => void> = [];
  private readonly pending = new Map<number, { resolve: (p: Pixels) => void; reject: (e: Error) => void; worker: Worker }>();
  private inFlightBytes = 0;
  private nextId = 1;

  constructor(
    readonly budgetBytes: number,
    private readonly size = Math.max(1, Math.min(4, availableParallelism())),
  ) {}

  async decode(bytes: Uint8Array, maxPixels: number): Promise<Pixels> {
    const cost = estimateBytes(bytes, maxPixels);
    if (cost > this.budgetBytes) {
      throw new ImageDecodeError(
        'too-many-pixels',
        `decoding this DICOM image needs about ${cost} bytes, more than the decode budget of ${this.budgetBytes}`,
      );
    }
    while (this.inFlightBytes + cost > this.budgetBytes || (this.idle.length === 0 && this.workers.size >= this.size)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlightBytes += cost;
    const worker = this.idle.pop() ?? this.spawn();
    worker.ref();
    try {
      return await new Promise<Pixels>((resolve, reject) => {
        const id = this.nextId++;
        this.pending.set(id, { resolve, reject, worker });
        worker.postMessage({ id, bytes, maxPixels });
      });
    } finally {
      this.inFlightBytes -= cost;
      if (this.workers.has(worker)) {
        worker.unref();
        this.idle.push(worker);
      }
      this.waiting.splice(0).forEach((wake) => wake());
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(path.join(__dirname, 'decode-worker.js'));
    this.workers.add(worker);
    worker.on('message', (msg: Answer) => {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if ('error' in msg) waiter.reject(new ImageDecodeError(msg.error.reason, msg.error.message));
      else waiter.resolve(msg.pixels);
    });
    // A worker that dies (out of memory in a codec) fails only the decode it held.
    const fail = (err: Error) => {
      this.workers.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      for (const [id, waiter] of this.pending) {
        if (waiter.worker !== worker) continue;
        this.pending.delete(id);
        waiter.reject(new ImageDecodeError('corrupt', `corrupt DICOM data: the decoder failed (${err.message})`));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    return worker;
  }
}

/** What one decode may hold at its peak, from the header alone (a copy of the file, the codec's
 * samples and the copy taken out of it, the grey image). */
function estimateBytes(bytes: Uint8Array, maxPixels: number): number {
  try {
    const { dataSet } = parseDicomBytes(bytes, { headerOnly: true, maxInflatedBytes: 2 * maxPixels + (16 << 20) });
    const pixels = Math.min(maxPixels, (dataSet.uint16('x00280010') ?? 0) * (dataSet.uint16('x00280011') ?? 0));
    const bytesPerSample = (dataSet.uint16('x00280100') ?? 8) > 8 ? 2 : 1;
    return 2 * bytes.length + pixels * (2 * bytesPerSample + 1);
  } catch {
    // A header this cannot read is the worker's to refuse, with its reasons.
    return 2 * bytes.length;
  }
}
