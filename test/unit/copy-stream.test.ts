// The COPY reader (lib/engines/postgres/copy-stream.ts) on a scripted server answer, cut into
// chunks at every position: the data comes out whole, and pg gets exactly the rest.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type pg from "pg";
import { CopyOutQuery } from "../../lib/engines/postgres/copy-stream.js";
import { UnexpectedMessage } from "../../lib/engines/postgres/one-statement.js";

/** A backend message: type byte, int32 length counting itself, body. */
function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
}
// CopyOutResponse: text format, two columns, both text.
const COPY_OUT = message("H", Buffer.from([0, 0, 2, 0, 0, 0, 0]));
const ROWS = ['1,"a,b"\n', '2,"line\r\nbreak"\n', "", "3,中文😀\n", `4,${"x".repeat(300)}\n`];
const NOTICE = message("N", "SNOTICE\0Mflush\0\0");
const DATA = [
  COPY_OUT,
  message("d", ROWS[0]),
  message("d", ROWS[1]),
  NOTICE,
  message("d", ROWS[2]),
  message("d", ROWS[3]),
  message("S", "TimeZone\0UTC\0"),
  message("d", ROWS[4]),
];
const END = [message("c"), message("C", "COPY 5\0"), message("Z", "T")];

/** A connection whose socket is driven by hand; pg's parser is the listener that records. */
function connection() {
  const socket = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
  const toPg: Buffer[] = [];
  socket.on("data", (b: Buffer) => toPg.push(Buffer.from(b)));
  const sent: string[] = [];
  const conn = {
    stream: socket,
    query: (text: string) => sent.push(text),
    sendCopyFail: () => {},
  } as unknown as pg.Connection;
  return { socket, conn, toPg, sent };
}

function feed(socket: EventEmitter, whole: Buffer, cuts: number[]): void {
  let from = 0;
  for (const at of [...cuts, whole.length]) {
    // A fresh Buffer per chunk, as a socket reads: the reader may move bytes inside it.
    if (at > from) socket.emit("data", Buffer.from(whole.subarray(from, at)));
    from = at;
  }
}

async function collect(q: CopyOutQuery): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of q.bytes) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe("CopyOutQuery", () => {
  const answer = Buffer.concat([...DATA, ...END]);
  const endAt = Buffer.concat(DATA).length;

  it("sends the text as a simple query and passes the data on, cut anywhere, once or twice", async () => {
    const cutsList: number[][] = [];
    for (let a = 1; a < answer.length; a++) cutsList.push([a]);
    for (let a = 1; a < answer.length; a += 7)
      for (let b = a + 1; b < answer.length; b += 5) cutsList.push([a, b]);
    cutsList.push(Array.from({ length: answer.length - 1 }, (_, i) => i + 1));
    for (const cuts of cutsList) {
      const { socket, conn, toPg, sent } = connection();
      const q = new CopyOutQuery("COPY (SELECT 1) TO STDOUT");
      q.submit(conn);
      assert.deepEqual(sent, ["COPY (SELECT 1) TO STDOUT"]);
      const out = collect(q);
      feed(socket, answer, cuts);
      // pg's client calls these for what it was handed.
      q.handleCommandComplete();
      q.handleReadyForQuery();
      assert.equal((await out).toString(), ROWS.join(""), `cut at ${cuts.slice(0, 3)}`);
      assert.deepEqual(Buffer.concat(toPg), answer.subarray(endAt), `pg's part, cut at ${cuts}`);
    }
  });

  it("hands an error in the middle of the data back to pg, which fails the stream", async () => {
    const error = message("E", "SERROR\0C57014\0Mcanceling statement\0\0");
    const whole = Buffer.concat([COPY_OUT, message("d", ROWS[0]), error, message("Z", "E")]);
    for (let cut = 1; cut < whole.length; cut++) {
      const { socket, conn, toPg } = connection();
      const q = new CopyOutQuery("COPY x TO STDOUT");
      q.submit(conn);
      const got: Buffer[] = [];
      q.bytes.on("data", (c: Buffer) => got.push(c));
      const failed = new Promise((resolve) => q.bytes.on("error", resolve));
      feed(socket, whole, [cut]);
      const errorAt = whole.indexOf(error);
      assert.deepEqual(Buffer.concat(toPg), whole.subarray(errorAt), `cut at ${cut}`);
      await new Promise(setImmediate);
      assert.equal(Buffer.concat(got).toString(), ROWS[0], `the data before it, cut at ${cut}`);
      q.handleError(new Error("canceling statement"));
      assert.match(String(await failed), /canceling statement/);
    }
  });

  it("fails at a second answer or an end without exactly one completion", async () => {
    const cases: [string, (q: CopyOutQuery) => void][] = [
      [
        "second CommandComplete",
        (q) => {
          q.handleCommandComplete();
          q.handleCommandComplete();
        },
      ],
      ["RowDescription", (q) => q.handleRowDescription()],
      ["DataRow", (q) => q.handleDataRow()],
      ["CopyData", (q) => q.handleCopyData()],
      ["EmptyQuery", (q) => q.handleEmptyQuery()],
      ["ReadyForQuery without one CommandComplete", (q) => q.handleReadyForQuery()],
    ];
    for (const [what, act] of cases) {
      const { socket, conn } = connection();
      const q = new CopyOutQuery("COPY x TO STDOUT");
      q.submit(conn);
      const failed = new Promise<unknown>((resolve) => q.bytes.on("error", resolve));
      q.bytes.resume();
      feed(socket, Buffer.concat([...DATA, END[0] as Buffer]), []);
      act(q);
      const err = await failed;
      assert.ok(err instanceof UnexpectedMessage, `${what}: ${err}`);
      assert.match(err.message, new RegExp(what.split(" ")[0] as string));
    }
  });

  it("fails when the statement answers without a COPY (no data is not an empty export)", async () => {
    const { socket, conn, toPg } = connection();
    const q = new CopyOutQuery("SET x = 1");
    q.submit(conn);
    const failed = new Promise<unknown>((resolve) => q.bytes.on("error", resolve));
    q.bytes.resume();
    const whole = Buffer.concat([message("C", "SET\0"), message("Z", "T")]);
    feed(socket, whole, [3]);
    assert.deepEqual(Buffer.concat(toPg), whole);
    q.handleCommandComplete();
    q.handleReadyForQuery();
    const err = await failed;
    assert.ok(err instanceof UnexpectedMessage);
    assert.match(err.message, /before CopyDone/);
  });

  it("passes data on as a view of the socket's chunk, and a small part as a copy", async () => {
    const { socket, conn } = connection();
    const q = new CopyOutQuery("COPY x TO STDOUT");
    q.submit(conn);
    const got: Buffer[] = [];
    q.bytes.on("data", (c: Buffer) => got.push(c));
    // Mostly data: no copy.
    // Each chunk on its own memory, as a socket reads (small Buffers share a pool).
    const own = (b: Buffer) => {
      const c = Buffer.allocUnsafeSlow(b.length);
      b.copy(c);
      return c;
    };
    const data = own(Buffer.concat([COPY_OUT, message("d", "x".repeat(1000))]));
    socket.emit("data", data);
    // Mostly a notice: the part held on must not keep the whole chunk alive.
    const noisy = own(Buffer.concat([message("d", "1\n"), message("N", "x".repeat(1000))]));
    socket.emit("data", noisy);
    await new Promise(setImmediate);
    assert.equal(got.length, 2);
    assert.equal(got[0]?.buffer, data.buffer);
    assert.notEqual(got[1]?.buffer, noisy.buffer);
    assert.equal(Buffer.concat(got).toString(), `${"x".repeat(1000)}1\n`);
  });

  it("pauses the socket while the reader is behind, and resumes it on a read and at the hand-back", async () => {
    const { socket, conn } = connection();
    const calls: string[] = [];
    Object.assign(socket, {
      pause: () => calls.push("pause"),
      resume: () => calls.push("resume"),
    });
    const q = new CopyOutQuery("COPY x TO STDOUT", 16);
    q.submit(conn);
    // Past the 16-byte limit with nobody reading: paused.
    socket.emit("data", Buffer.concat([COPY_OUT, message("d", "x".repeat(40))]));
    assert.deepEqual(calls, ["pause"]);
    // A read: resumed.
    assert.equal((q.bytes.read() as Buffer).length, 40);
    assert.deepEqual(calls, ["pause", "resume"]);
    // Behind again, then the end: the socket is resumed for pg, which reads the rest.
    socket.emit("data", Buffer.concat([message("d", "y".repeat(40)), ...END]));
    assert.deepEqual(calls.slice(2), ["pause", "resume"]);
    // pg's socket from here: reading the stream no longer touches it.
    q.bytes.read();
    assert.equal(calls.length, 4);
  });

  it("fails at a message length no server sends, and reads nothing after it", async () => {
    const { socket, conn, toPg } = connection();
    const q = new CopyOutQuery("COPY x TO STDOUT");
    q.submit(conn);
    let destroyed = false;
    Object.assign(socket, { destroy: () => (destroyed = true) });
    const failed = new Promise<unknown>((resolve) => q.bytes.on("error", resolve));
    q.bytes.resume();
    const bad = Buffer.from([0x64, 0, 0, 0, 3]);
    socket.emit("data", Buffer.concat([COPY_OUT, bad, message("d", "x\n")]));
    const err = await failed;
    assert.ok(err instanceof UnexpectedMessage, String(err));
    assert.ok(destroyed, "the connection is cut");
    assert.deepEqual(toPg, []);
  });

  it("fails when the answer ends before the COPY's data did", async () => {
    const { socket, conn } = connection();
    const q = new CopyOutQuery("COPY x TO STDOUT");
    q.submit(conn);
    const failed = new Promise<unknown>((resolve) => q.bytes.on("error", resolve));
    q.bytes.resume();
    // Rows of an ordinary query where a COPY was sent: pg reads them, and says so.
    feed(socket, message("T", Buffer.from([0, 0])), []);
    q.handleRowDescription();
    assert.ok((await failed) instanceof UnexpectedMessage);
  });
});
