// The PostgreSQL fast row path without a server: DataRow bodies to CSV (data-row-csv.ts), and
// the reader (rendered-rows.ts) that takes the socket's bytes from pg for one query's answer,
// however the bytes are split, and hands the rest back at the first message it does not read.
import assert from "node:assert/strict";
import { PassThrough, type Readable } from "node:stream";
import { describe, it } from "node:test";
import type pg from "pg";
import { DataRowCsv } from "../../lib/engines/postgres/data-row-csv.js";
import { RenderedRowQuery } from "../../lib/engines/postgres/rendered-rows.js";

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** A backend message: type byte, int32 length counting itself, body. */
function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(type, "latin1"), int32(body.length + 4), body]);
}

/** A DataRow body: field count, then each field's length (-1 for NULL) and bytes. */
function dataRowBody(fields: (string | Buffer | null)[]): Buffer {
  const parts: Buffer[] = [int16(fields.length)];
  for (const f of fields) {
    if (f === null) parts.push(int32(-1));
    else {
      const b = typeof f === "string" ? Buffer.from(f, "utf8") : f;
      parts.push(int32(b.length), b);
    }
  }
  return Buffer.concat(parts);
}

function rowDescription(fields: [string, number][]): Buffer {
  const parts = [int16(fields.length)];
  for (const [name, oid] of fields)
    parts.push(
      Buffer.from(`${name}\0`, "utf8"),
      int32(0),
      int16(0),
      int32(oid),
      int16(-1),
      int32(-1),
      int16(0),
    );
  return message("T", Buffer.concat(parts));
}

function render(rows: (string | Buffer | null)[][]): string {
  const csv = new DataRowCsv(rows[0]?.length ?? 0);
  for (const r of rows) {
    const body = dataRowBody(r);
    csv.row(body, 0, body.length);
  }
  return csv.take(true)?.toString("utf8") ?? "";
}

describe("DataRowCsv", () => {
  it('writes RFC 4180: quotes only what needs them, NULL as nothing, an empty string as ""', () => {
    assert.equal(
      render([
        ["plain", null, "", "a,b", 'say "hi"', "a\nb", "a\rb", "值 😀 𠀀", "\\."],
        ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
      ]),
      'plain,,"","a,b","say ""hi""","a\nb","a\rb",值 😀 𠀀,\\.\n1,2,3,4,5,6,7,8,9\n',
    );
  });

  it("reads bytes that are not UTF-8 as pg decodes them (U+FFFD), then quotes as any value", () => {
    const bad = Buffer.from([0x61, 0xff, 0x2c, 0xc0, 0x80, 0xe2, 0x82]);
    assert.equal(render([[bad]]), `"${bad.toString("utf8")}"\n`);
    assert.ok(render([[bad]]).includes("\ufffd"));
  });

  it("refuses a DataRow whose framing does not hold", () => {
    const csv = new DataRowCsv(2);
    const good = dataRowBody(["a", "b"]);
    assert.throws(() => csv.row(dataRowBody(["a"]), 0, 6), /2 fields/);
    assert.throws(() => csv.row(good, 0, good.length - 1), /longer than its message/);
    assert.throws(() => csv.row(good, 0, 8), /ended before its last field/);
    const longer = Buffer.concat([good, Buffer.from("x")]);
    assert.throws(() => csv.row(longer, 0, longer.length), /longer than its fields/);
    const negative = Buffer.concat([int16(2), int32(-2), int32(0)]);
    assert.throws(() => csv.row(negative, 0, negative.length), /longer than its message/);
  });
});

/** A connection as pg hands it to a Submittable: a socket whose only 'data' listener is pg's parser. */
function fakeConnection() {
  const stream = new PassThrough();
  const toPg: Buffer[] = [];
  const sent: string[] = [];
  stream.on("data", (c: Buffer) => toPg.push(c));
  const connection = {
    stream,
    parse: (q: { text: string }) => sent.push(`parse ${q.text}`),
    bind: () => sent.push("bind"),
    describe: () => sent.push("describe"),
    execute: () => sent.push("execute"),
    sync: () => sent.push("sync"),
  } as unknown as pg.Connection;
  return { stream, connection, toPg, sent };
}

const ROWS: (string | null)[][] = [
  ["1", "订单 1", null],
  ["2", "", 'q"uote'],
  ["3", "x".repeat(300), "a,b\r\nc"],
];

function answer(extra: Buffer[] = []): { bytes: Buffer; csv: string } {
  const bytes = Buffer.concat([
    message("1"),
    message("2"),
    rowDescription([
      ["id", 23],
      ["名字", 25],
      ["note", 25],
    ]),
    message("D", dataRowBody(ROWS[0] as (string | null)[])),
    message("N", Buffer.from("Snotice\0\0")),
    message("D", dataRowBody(ROWS[1] as (string | null)[])),
    message("S", Buffer.from("TimeZone\0UTC\0")),
    message("D", dataRowBody(ROWS[2] as (string | null)[])),
    ...extra,
  ]);
  return { bytes, csv: render(ROWS) };
}

async function collect(r: Readable): Promise<{ text: string; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of r as AsyncIterable<Buffer>) parts.push(c);
  } catch (error) {
    return { text: Buffer.concat(parts).toString("utf8"), error };
  }
  return { text: Buffer.concat(parts).toString("utf8") };
}

describe("RenderedRowQuery", () => {
  const tail = Buffer.concat([
    message("C", Buffer.from("SELECT 3\0")),
    message("Z", Buffer.from("I")),
  ]);

  it("sends one extended-protocol query and renders its rows however the socket splits them", async () => {
    const { bytes, csv } = answer([tail]);
    const z = bytes.length - 6;
    for (const size of [1, 2, 3, 5, 7, 64, 1000, bytes.length]) {
      const { stream, connection, toPg, sent } = fakeConnection();
      const q = new RenderedRowQuery("SELECT 1", 1 << 20);
      q.submit(connection);
      assert.deepEqual(sent, ["parse SELECT 1", "bind", "describe", "execute", "sync"]);
      for (let i = 0; i < bytes.length; i += size) stream.emit("data", bytes.subarray(i, i + size));
      // pg got back only what the reader does not read: from ReadyForQuery on.
      assert.deepEqual(Buffer.concat(toPg), bytes.subarray(z), `split every ${size} bytes`);
      q.handleReadyForQuery();
      assert.equal((await collect(q.bytes)).text, csv);
      assert.deepEqual(await q.columns, [
        { name: "id", kind: "number" },
        { name: "名字", kind: "text" },
        { name: "note", kind: "text" },
      ]);
      // pg's parser reads the socket again, and the reader no longer does.
      assert.equal(stream.listenerCount("data"), 1);
    }
  });

  it("hands an error back to pg with everything after it, keeping the rows before", async () => {
    const error = message("E", Buffer.from("SERROR\0C22012\0Mdivision by zero\0\0"));
    const { bytes, csv } = answer([error, message("Z", Buffer.from("I"))]);
    const { stream, connection, toPg } = fakeConnection();
    const q = new RenderedRowQuery("SELECT 1", 1 << 20);
    q.submit(connection);
    const out = collect(q.bytes);
    stream.emit("data", bytes);
    assert.equal(Buffer.concat(toPg)[0], "E".charCodeAt(0));
    assert.equal(Buffer.concat(toPg).length, error.length + 6);
    q.handleError(new Error("division by zero"));
    q.handleReadyForQuery();
    const r = await out;
    assert.match(String(r.error), /division by zero/);
    assert.ok(csv.startsWith(r.text), "what came out is the rows before the error");
  });

  it("fails on a row it cannot read, drops the rest, and still hands back the end", async () => {
    const { stream, connection, toPg } = fakeConnection();
    const q = new RenderedRowQuery("SELECT 1", 1 << 20);
    q.submit(connection);
    const out = collect(q.bytes);
    stream.emit(
      "data",
      Buffer.concat([
        rowDescription([["a", 25]]),
        message("D", dataRowBody(["x", "y"])),
        message("D", dataRowBody(["z"])),
        tail,
      ]),
    );
    assert.deepEqual(Buffer.concat(toPg), tail.subarray(tail.length - 6));
    q.handleReadyForQuery();
    assert.match(String((await out).error), /without the 1 fields/);
  });

  it("pauses the socket while the reader is behind, resumes it on read, and resumes at the end", async () => {
    const { stream, connection } = fakeConnection();
    const q = new RenderedRowQuery("SELECT 1", 16);
    q.submit(connection);
    const big = Array.from({ length: 40 }, (_, i) =>
      message("D", dataRowBody(["v".repeat(4000), String(i)])),
    );
    stream.emit(
      "data",
      Buffer.concat([
        rowDescription([
          ["a", 25],
          ["b", 23],
        ]),
        ...big,
      ]),
    );
    assert.ok(stream.isPaused(), "behind a full buffer the socket is paused");
    q.bytes.read();
    await new Promise((r) => setImmediate(r));
    assert.ok(!stream.isPaused(), "a read resumes it");
    stream.emit("data", Buffer.concat(big));
    assert.ok(stream.isPaused());
    stream.emit("data", tail);
    assert.ok(!stream.isPaused(), "the answer's end is read whatever the reader's pace");
    q.handleReadyForQuery();
    const lines = (await collect(q.bytes)).text.split("\n").length - 1;
    assert.ok(lines >= 40, `${lines} rows out`);
  });

  it("a second result handed to pg fails the stream", async () => {
    const q = new RenderedRowQuery("SELECT 1", 1 << 20);
    const out = collect(q.bytes);
    q.handleRowDescription();
    assert.match(String((await out).error), /second result/);
  });
});
