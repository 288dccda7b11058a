// The MySQL fast path's stream (rendered-rows.ts) against a stand-in for mysql2's connection:
// mysql2's own Query command is driven by hand (fields, row packets, the EOF, 'end'), so the
// pause and resume the path asks of the connection can be seen exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type mysql from "mysql2";
import { mysqlRenderedRows } from "../../lib/engines/mysql/rendered-rows.js";

interface Cmd {
  row(packet: unknown): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}

/** What mysqlRenderedRows uses of a mysql2 connection, recording pause and resume. */
function fakeConnection() {
  const c = {
    config: { rowsAsArray: true },
    paused: false,
    cmd: undefined as Cmd | undefined,
    pause() {
      c.paused = true;
    },
    resume() {
      c.paused = false;
    },
    query(cmd: Cmd) {
      c.cmd = cmd;
      return cmd;
    },
  };
  return c;
}

/** A row packet of length-encoded strings (each under 251 bytes), as mysql2 hands it over. */
function rowPacket(values: string[]) {
  const body = Buffer.concat(
    values.map((v) => Buffer.concat([Buffer.from([Buffer.byteLength(v)]), Buffer.from(v)])),
  );
  return { buffer: body, offset: 0, end: body.length, isEOF: () => false };
}
const EOF = { buffer: Buffer.from([0xfe, 0, 0, 2, 0]), offset: 0, end: 5, isEOF: () => true };

describe("mysqlRenderedRows", () => {
  it("leaves the connection reading after the result's end, even when the last push finds the reader behind", () => {
    // mysql2 queues every packet and command while a connection is paused, the QUIT that
    // close() sends after a finished result too: a connection left paused here is never closed
    // (close() waits out STOP_BOUND_MS, and the session keeps its read-only transaction open on
    // the server until wait_timeout). The row path resumes at the end (row-batches.ts end()).
    const conn = fakeConnection();
    // A reader that is behind: nothing has been read yet, so the last push returns false.
    const { bytes } = mysqlRenderedRows(conn as unknown as mysql.Connection, "SELECT 1", 1);
    const cmd = conn.cmd as Cmd;
    cmd.emit("fields", [{ name: "a", columnType: 253, characterSet: 45 }]);
    cmd.row(rowPacket(["x"]));
    assert.equal(cmd.row(EOF), null, "the EOF ends the command");
    cmd.emit("end");
    assert.equal(bytes.readableLength, 2, "the rendered row waits for the reader");
    assert.equal(conn.paused, false, "the connection is left paused after the result's end");
  });
});
