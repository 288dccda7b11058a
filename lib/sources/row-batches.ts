import { Readable } from "node:stream";
import type { Row } from "./types.js";

/**
 * What one value costs in heap besides its bytes (a string's header, its slot in the row): a
 * row's size for batching is its bytes plus this per value, so rows of many short values
 * make batches of fewer rows.
 */
export const VALUE_OVERHEAD_BYTES = 24;

export interface BatchLimits {
  /** A batch is full at this many bytes of rows (as the driver received them) ... */
  bytes: number;
  /** ... or at this many rows. */
  rows: number;
}

/** Rows gathered into batches by bytes and count; the pure part of rowBatchStream. */
export class RowBatcher {
  private batch: Row[] = [];
  private bytes = 0;
  constructor(private readonly limits: BatchLimits) {}

  /** Adds a row of `bytes` bytes. */
  add(row: Row, bytes: number): void {
    this.batch.push(row);
    this.bytes += bytes;
  }

  get full(): boolean {
    return this.bytes >= this.limits.bytes || this.batch.length >= this.limits.rows;
  }

  get empty(): boolean {
    return this.batch.length === 0;
  }

  /** The rows gathered so far, and a fresh batch. */
  take(): Row[] {
    const out = this.batch;
    this.batch = [];
    this.bytes = 0;
    return out;
  }
}

/** What a driver's row events feed into; `stream` yields the batches. */
export interface RowBatchStream {
  stream: Readable;
  row(row: Row, bytes: number): void;
  end(): void;
  fail(err: Error): void;
}

/**
 * Rows in, batches out, with the connection paused while the reader is behind: the stream
 * buffers one batch, the batcher the next, and what arrives between a pause and the socket
 * stopping (one socket read) joins that one. So memory is a few batches of about
 * `limits.bytes`, however large the rows, instead of a count of rows of any size.
 */
export function rowBatchStream(
  limits: BatchLimits,
  connection: { pause(): void; resume(): void },
): RowBatchStream {
  const batcher = new RowBatcher(limits);
  let paused = false;
  let ended = false;
  const pause = () => {
    if (paused) return;
    paused = true;
    connection.pause();
  };
  const resume = () => {
    if (!paused) return;
    paused = false;
    connection.resume();
  };
  /** Hands the batch on; a full buffer pauses the connection until the next read. */
  const flush = () => {
    if (stream.push(batcher.take())) resume();
    else pause();
  };
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 1,
    // Called when the reader wants more (not again until something is pushed).
    read() {
      if (ended) return;
      if (batcher.full) flush();
      else resume();
    },
  });
  return {
    stream,
    row(row, bytes) {
      if (stream.destroyed || ended) return;
      batcher.add(row, bytes);
      if (batcher.full && !paused) flush();
    },
    end() {
      if (stream.destroyed || ended) return;
      ended = true;
      if (!batcher.empty) stream.push(batcher.take());
      stream.push(null);
      // The end can arrive in the read that paused: what follows (the end of the transaction)
      // must still be read.
      resume();
    },
    fail(err) {
      if (!stream.destroyed) stream.destroy(err);
    },
  };
}
