import { Readable } from "node:stream";
import type pg from "pg";
import type { Column } from "../../sources/types.js";
import { pgColumns } from "./column-kinds.js";
import { DataRowCsv } from "./data-row-csv.js";
import { type DataListener, HEADER, isAsyncMessage, SocketTakeover } from "./socket-takeover.js";

// Backend messages this reader reads itself; any other is handed back to pg (see submit).
const PARSE_COMPLETE = 0x31; // '1'
const BIND_COMPLETE = 0x32; // '2'
const ROW_DESCRIPTION = 0x54; // 'T'
const NO_DATA = 0x6e; // 'n'
const DATA_ROW = 0x44; // 'D'
const COMMAND_COMPLETE = 0x43; // 'C'

/**
 * Task SQL as one extended-protocol query (as RowQuery sends it: the server runs exactly one
 * statement), its rows rendered as RFC 4180 CSV straight from the DataRow bytes
 * (data-row-csv.ts) instead of pg's string per value: the PostgreSQL fast row path, the same
 * file as the row path. For the query's answer the socket's bytes come here instead of pg's
 * parser (as pg-copy-streams does for COPY); at the first message a result of rows does not
 * hold (ErrorResponse, ReadyForQuery, anything unexpected) the rest goes back to pg, whose
 * client then calls this query's handlers as for any query. The socket is paused while the
 * reader is behind.
 */
export class RenderedRowQuery implements pg.Submittable {
  readonly bytes: Readable;
  /** The columns from the RowDescription, before the first row; [] if the query fails first. */
  readonly columns: Promise<Column[]>;
  private setColumns: (c: Column[]) => void = () => {};
  private renderer?: DataRowCsv;
  /** Once a row could not be rendered the stream has failed; the rest of the result is dropped. */
  private dropping = false;
  /** A message split across chunks: its pieces so far, and the bytes wanted before reading on. */
  private carry: Buffer[] = [];
  private carried = 0;
  private need = 0;
  private readonly onData: DataListener = (chunk) => this.read(chunk);
  private readonly takeover = new SocketTakeover(this.onData);

  constructor(
    private readonly text: string,
    bufferBytes: number,
  ) {
    this.bytes = new Readable({
      highWaterMark: bufferBytes,
      read: () => this.takeover.socket?.resume(),
    });
    this.columns = new Promise((resolve) => {
      this.setColumns = resolve;
    });
  }

  submit(connection: pg.Connection): void {
    this.takeover.take(connection);
    const socket = connection.stream;
    socket.cork();
    // The unnamed statement and portal; Execute without a row limit, so no round trips.
    connection.parse({ name: "", text: this.text, types: [] }, true);
    connection.bind({}, true);
    connection.describe({ type: "P", name: "" }, true);
    connection.execute({}, true);
    connection.sync();
    socket.uncork();
  }

  /** One chunk of the socket's bytes, whole messages read and a split one carried. */
  private read(chunk: Buffer): void {
    let buf = chunk;
    if (this.carried > 0) {
      this.carry.push(chunk);
      this.carried += chunk.length;
      if (this.carried < this.need) return;
      buf = Buffer.concat(this.carry, this.carried);
      this.carry = [];
      this.carried = 0;
    }
    const end = buf.length;
    let pos = 0;
    while (pos < end) {
      if (end - pos < HEADER) {
        this.keep(buf.subarray(pos), HEADER);
        return;
      }
      const stop = pos + 1 + buf.readUInt32BE(pos + 1);
      if (stop > end) {
        this.keep(buf.subarray(pos), stop - pos);
        return;
      }
      let mine = true;
      try {
        mine = this.message(buf[pos] as number, buf, pos + HEADER, stop);
      } catch (err) {
        // A message this reader cannot read fails the export; the rest of the answer is dropped.
        this.fail(err as Error);
      }
      if (!mine) {
        this.takeover.giveBack(buf.subarray(pos));
        return;
      }
      pos = stop;
    }
  }

  private keep(part: Buffer, need: number): void {
    this.carry.push(part);
    this.carried = part.length;
    this.need = need;
  }

  /** One message's body, buf[pos, stop); false for one that goes back to pg. */
  private message(type: number, buf: Buffer, pos: number, stop: number): boolean {
    switch (type) {
      case DATA_ROW:
        if (this.dropping) return true;
        if (this.renderer === undefined) return false;
        this.renderer.row(buf, pos, stop);
        this.push(this.renderer.take());
        return true;
      case ROW_DESCRIPTION: {
        if (this.renderer !== undefined) return false;
        const fields = rowDescription(buf, pos, stop);
        this.setColumns(pgColumns(fields));
        this.renderer = new DataRowCsv(fields.length);
        return true;
      }
      case NO_DATA:
        this.setColumns([]);
        return true;
      case PARSE_COMPLETE:
      case BIND_COMPLETE:
      case COMMAND_COMPLETE:
        return true;
      default:
        return isAsyncMessage(type);
    }
  }

  private push(chunk: Buffer | undefined): void {
    if (chunk && !this.bytes.push(chunk)) this.takeover.socket?.pause();
  }

  private fail(err: Error): void {
    this.dropping = true;
    this.setColumns([]);
    if (!this.bytes.destroyed) this.bytes.destroy(err);
  }

  /** After the rows and the Sync: the query is over. Pushed without pausing (see handBack). */
  handleReadyForQuery(): void {
    this.setColumns([]);
    if (this.dropping || this.bytes.destroyed) return;
    const rest = this.renderer?.take(true);
    if (rest) this.bytes.push(rest);
    this.bytes.push(null);
  }

  handleError(err: Error): void {
    this.fail(err);
  }

  // pg passes on only what this reader handed back: rows there mean a second result.
  handleRowDescription(): void {
    this.fail(new Error("a second result in one query"));
  }

  handleDataRow(): void {
    this.fail(new Error("a row outside the query's result"));
  }

  handleCommandComplete(): void {}

  handlePortalSuspended(): void {}

  handleEmptyQuery(): void {}

  /** COPY ... FROM STDIN cannot pass the guard; refused here too rather than left waiting. */
  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail("exports only read");
  }

  handleCopyData(): void {
    this.fail(new Error("COPY data in a row query"));
  }
}

/** A RowDescription body: int16 count, then per field a name (C string) and 18 bytes. */
function rowDescription(
  buf: Buffer,
  pos: number,
  stop: number,
): { name: string; dataTypeID: number }[] {
  const n = buf.readInt16BE(pos);
  pos += 2;
  const fields: { name: string; dataTypeID: number }[] = [];
  for (let i = 0; i < n; i++) {
    const zero = buf.indexOf(0, pos);
    if (zero < 0 || zero + 19 > stop) throw new Error("a malformed RowDescription");
    const name = buf.toString("utf8", pos, zero);
    // Table OID (4), column number (2), then the type OID.
    const dataTypeID = buf.readUInt32BE(zero + 7);
    fields.push({ name, dataTypeID });
    pos = zero + 19;
  }
  return fields;
}
