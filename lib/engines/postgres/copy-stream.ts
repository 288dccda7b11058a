import { Readable } from "node:stream";
import type pg from "pg";
import { UnexpectedMessage } from "./one-statement.js";
import { type DataListener, HEADER, isAsyncMessage, SocketTakeover } from "./socket-takeover.js";

// Backend messages this reader reads itself during a COPY; any other goes back to pg.
const COPY_OUT_RESPONSE = 0x48; // 'H'
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'

/**
 * One `COPY ... TO STDOUT` over the simple query protocol (copy-out.ts proves the text is one
 * statement first), its data as a byte stream. For the COPY's answer the socket's bytes come
 * here instead of pg's parser, as in rendered-rows.ts: each CopyData's payload is moved down
 * over the message headers inside the socket's own chunk (copyWithin), and the chunk goes on as
 * it is. pg-copy-streams, which this replaces, cut a Buffer per row and copied them into a new
 * one per chunk: a tenth of the COPY path's CPU time (npm run bench, "CPU s"; test/integration/
 * copy-stream.test.ts holds the bytes to pg-copy-streams').
 *
 * From the first message a COPY's data does not hold (CommandComplete after CopyDone, an
 * ErrorResponse, anything unexpected) the rest goes back to pg, whose client calls the handlers
 * below. The stream ends only at ReadyForQuery after exactly one CommandComplete, so a second
 * statement can never pass for a finished export: its answer fails the stream instead (rows, a
 * second CommandComplete, COPY data or COPY FROM STDIN). The socket is paused while the reader
 * is behind.
 */
export class CopyOutQuery implements pg.Submittable {
  readonly bytes: Readable;
  private copying = false;
  private copied = false;
  private completions = 0;
  /** Payload bytes of the current CopyData still to come (it continues in the next chunk). */
  private payload = 0;
  /** Body bytes of a message skipped here (CopyOutResponse, a notice) still to come. */
  private skip = 0;
  /** A header cut off at a chunk's end: its bytes so far. */
  private readonly head = Buffer.alloc(HEADER);
  private headBytes = 0;
  private readonly onData: DataListener = (chunk) => this.read(chunk);
  private readonly takeover = new SocketTakeover(this.onData);

  constructor(
    private readonly text: string,
    highWaterMark = 64 * 1024,
  ) {
    this.bytes = new Readable({ highWaterMark, read: () => this.takeover.socket?.resume() });
  }

  submit(connection: pg.Connection): void {
    this.takeover.take(connection);
    connection.query(this.text);
  }

  /** One chunk of the socket's bytes: the COPY's data moved to its front and passed on. */
  private read(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    let w = 0;
    while (pos < n) {
      if (this.payload > 0) {
        const k = Math.min(this.payload, n - pos);
        if (w !== pos) chunk.copyWithin(w, pos, pos + k);
        w += k;
        pos += k;
        this.payload -= k;
        continue;
      }
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - pos);
        pos += k;
        this.skip -= k;
        continue;
      }
      // A message header, whole in this chunk or finished from the bytes carried.
      const start = pos;
      let type: number;
      let length: number;
      if (this.headBytes === 0 && n - pos >= HEADER) {
        type = chunk[pos] as number;
        length = chunk.readUInt32BE(pos + 1);
        pos += HEADER;
      } else {
        while (this.headBytes < HEADER && pos < n)
          this.head[this.headBytes++] = chunk[pos++] as number;
        if (this.headBytes < HEADER) break;
        type = this.head[0] as number;
        length = this.head.readUInt32BE(1);
      }
      const carried = this.headBytes;
      this.headBytes = 0;
      if (length < 4) {
        // The length counts itself: less is not PostgreSQL's protocol. Nothing after it can be read.
        this.fail(new UnexpectedMessage(`message of length ${length}`));
        this.takeover.socket?.destroy();
        return;
      }
      const body = length - 4;
      if (type === COPY_DATA && this.copying) {
        this.payload = body;
      } else if (type === COPY_OUT_RESPONSE && !this.copying && !this.copied) {
        this.copying = true;
        this.skip = body;
      } else if (isAsyncMessage(type)) {
        this.skip = body;
      } else {
        if (type === COPY_DONE && this.copying) {
          this.copying = false;
          this.copied = true;
        }
        // CopyDone ends the data (pg reads past it harmlessly); from here pg reads.
        this.push(chunk, w);
        const rest =
          carried > 0
            ? Buffer.concat([this.head.subarray(0, carried), chunk.subarray(pos)])
            : chunk.subarray(start);
        this.takeover.giveBack(rest);
        return;
      }
    }
    this.push(chunk, w);
  }

  /**
   * The data at the front of a socket chunk, passed on as a view of it; a small part (the rest
   * was notices or other messages) as a copy, so that a buffered part never holds more than
   * twice its own bytes alive: the stream's limit counts the part's bytes, not the chunk's.
   */
  private push(chunk: Buffer, length: number): void {
    if (length === 0 || this.bytes.destroyed) return;
    let bytes = chunk.subarray(0, length);
    if (length * 2 < chunk.length) {
      bytes = Buffer.allocUnsafe(length);
      chunk.copy(bytes, 0, 0, length);
    }
    if (!this.bytes.push(bytes)) this.takeover.socket?.pause();
  }

  private fail(err: Error): void {
    if (!this.bytes.destroyed) this.bytes.destroy(err);
  }

  /** The end of the query's answer: the data is whole only after one COPY and one completion. */
  handleReadyForQuery(): void {
    if (this.bytes.destroyed) return;
    if (!this.copied) this.fail(new UnexpectedMessage("ReadyForQuery before CopyDone"));
    else if (this.completions !== 1)
      this.fail(new UnexpectedMessage("ReadyForQuery without one CommandComplete"));
    else this.bytes.push(null);
  }

  handleError(err: Error): void {
    this.fail(err);
  }

  handleCommandComplete(): void {
    this.completions += 1;
    if (this.completions > 1) this.fail(new UnexpectedMessage("second CommandComplete"));
  }

  // pg passes on only what this reader handed back: any of these means a second statement.
  handleRowDescription(): void {
    this.fail(new UnexpectedMessage("RowDescription"));
  }

  handleDataRow(): void {
    this.fail(new UnexpectedMessage("DataRow"));
  }

  handleEmptyQuery(): void {
    this.fail(new UnexpectedMessage("EmptyQuery"));
  }

  handlePortalSuspended(): void {
    this.fail(new UnexpectedMessage("PortalSuspended"));
  }

  handleCopyData(): void {
    this.fail(new UnexpectedMessage("CopyData"));
  }

  /** The server waits for data that will never come: end its COPY FROM, then fail. */
  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail("not an export");
    this.fail(new UnexpectedMessage("CopyInResponse"));
  }
}
