import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mysqlWireScanner } from "../../lib/engines/mysql/wire-guard.js";
import { ResponseTooLarge, ValueTooLarge } from "../../lib/failure/too-large.js";
import { lenenc, rowPayload } from "./mysql-packets.js";
import { assertEverySplit, scan } from "./wire-scan.js";

const MAX_PACKET = 0xffffff;

/** A logical packet as the server frames it: 16 MB - 1 pieces, an empty one after an exact multiple. */
function packet(payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let seq = 0;
  let at = 0;
  for (;;) {
    const piece = payload.subarray(at, at + MAX_PACKET);
    const head = Buffer.alloc(4);
    head.writeUIntLE(piece.length, 0, 3);
    head[3] = seq++ & 0xff;
    parts.push(head, piece);
    at += piece.length;
    if (piece.length < MAX_PACKET) break;
  }
  return Buffer.concat(parts);
}

/** A text-protocol row, framed as the server frames it. */
function row(fields: (string | Buffer | null)[]): Buffer {
  return packet(rowPayload(fields));
}

const eof = packet(Buffer.from([0xfe, 0, 0, 0x22, 0]));
const columnDef = (name: string) =>
  packet(Buffer.concat([lenenc(3), Buffer.from("def"), Buffer.from(`fake definition of ${name}`)]));

/** A whole response: column count, definitions, EOF (unless left out), rows, EOF. */
function resultSet(columns: number, rows: Buffer[], o: { columnsEof?: boolean } = {}): Buffer {
  const defs = Array.from({ length: columns }, (_, i) => columnDef(`c${i + 1}`));
  return Buffer.concat([
    packet(lenenc(columns)),
    ...defs,
    ...(o.columnsEof === false ? [] : [eof]),
    ...rows,
    eof,
  ]);
}

const MAX = 64;
const scanner = () => mysqlWireScanner(MAX);

describe("MySQL wire guard", () => {
  it("lets through a whole response of rows up to the limit, however the socket cuts it", () => {
    // A row of exactly the limit: 1 + 31 + 1 + 31 payload bytes.
    const atLimit = row(["a".repeat(31), "b".repeat(31)]);
    assert.equal(atLimit.length - 4, MAX);
    const bytes = resultSet(2, [row(["1", null]), atLimit, row(["中文", ""])]);
    assertEverySplit(scanner, bytes, "fits");
  });

  it("refuses the row one byte over the limit, naming its row and the column that passes it", () => {
    const over = row(["a".repeat(31), "b".repeat(32)]);
    assert.equal(over.length - 4, MAX + 1);
    const bytes = resultSet(2, [row(["1", "2"]), over]);
    assertEverySplit(scanner, bytes, "ValueTooLarge row 2 column 2", [bytes.length - over.length]);
  });

  it("counts NULLs and empty values as columns, and reads 2- and 3-byte lengths", () => {
    const fits = row([null, "", "x".repeat(300), "y".repeat(69_000)]);
    const over = row([null, "", "x".repeat(300), "y".repeat(70_000)]);
    const bytes = resultSet(4, [fits, over]);
    const at = bytes.length - over.length - eof.length;
    // Cut around each length header: 0xFC (300) and 0xFD (70,000) lengths.
    for (const cut of [
      at,
      at + 4,
      at + 6,
      at + 7,
      at + 8,
      at + 309,
      at + 310,
      at + 311,
      at + 312,
    ]) {
      const r = scan(mysqlWireScanner(70_000), [bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.ok(r.verdict instanceof ValueTooLarge, `cut at ${cut}`);
      assert.deepEqual([r.verdict.row, r.verdict.column], [2, 4], `cut at ${cut}`);
    }
    const bytewise = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const r = scan(mysqlWireScanner(70_000), bytewise);
    assert.ok(r.verdict instanceof ValueTooLarge);
    assert.deepEqual([r.verdict.row, r.verdict.column], [2, 4]);
    // The verdict comes with the crossing field's length, before its bytes.
    assert.equal(r.fed, at + 4 + 1 + 1 + 3 + 300 + 4);
  });

  it("names the column where a row of many small fields passes the limit", () => {
    const many = row(Array.from({ length: 20 }, () => "x".repeat(10)));
    // 11 bytes a field: field 6 ends at 66 > 64.
    assertEverySplit(scanner, resultSet(20, [many]), "ValueTooLarge row 1 column 6");
  });

  it("reads a column count of 251 or more (a 2-byte length) and counts every definition", () => {
    const defs = 300;
    const bytes = resultSet(defs, [row(["1"]), row(["2"]), row(["x".repeat(80)])]);
    const r = scan(scanner(), [bytes]);
    assert.ok(r.verdict instanceof ValueTooLarge);
    assert.deepEqual([r.verdict.row, r.verdict.column], [3, 1]);
    // Cut inside the count and at each of the first definitions.
    for (let cut = 0; cut < 40; cut++) {
      const c = scan(scanner(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.ok(c.verdict instanceof ValueTooLarge && c.verdict.row === 3, `cut at ${cut}`);
    }
  });

  it("counts the first row when the server leaves out the EOF after the definitions", () => {
    const bytes = resultSet(1, [row(["1"]), row(["x".repeat(100)])], { columnsEof: false });
    assertEverySplit(scanner, bytes, "ValueTooLarge row 2 column 1");
  });

  it("stops counting at an ERR or a lone OK: neither is a row", () => {
    const err = packet(Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from("#HY000boom")]));
    assertEverySplit(
      scanner,
      Buffer.concat([packet(lenenc(1)), columnDef("a"), eof, row(["1"]), err]),
      "fits",
    );
    const ok = packet(Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]));
    assertEverySplit(scanner, ok, "fits");
  });

  it("refuses any other packet over the limit outright", () => {
    const hugeErr = packet(
      Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.alloc(200, 0x78)]),
    );
    const r = scan(scanner(), [Buffer.concat([packet(lenenc(1)), columnDef("a"), eof, hugeErr])]);
    assert.ok(r.verdict instanceof ResponseTooLarge);
    const hugeDef = packet(Buffer.alloc(200, 0x61));
    assert.ok(
      scan(scanner(), [Buffer.concat([packet(lenenc(1)), hugeDef])]).verdict instanceof
        ResponseTooLarge,
    );
    assert.ok(scan(scanner(), [packet(Buffer.alloc(200, 0))]).verdict instanceof ResponseTooLarge);
  });

  it("follows rows of 16 MB and more across the packets that carry them", () => {
    // A first field of 16 MB + 10 (its length is 0xFE + 8 bytes), then two small fields.
    const big = Buffer.alloc(MAX_PACKET + 10, 0x61);
    const first = row([big, "tail", null]);
    assert.ok(first.length > (2 * MAX_PACKET) / 2, "spans two packets");
    const second = row(["after"]);
    const over = row(["x".repeat(100)]);
    const bytes = resultSet(3, [first, second, over]);
    const start = bytes.length - first.length - second.length - over.length - eof.length;
    const cuts = [
      start + 3,
      start + 4,
      start + 5,
      start + 12,
      start + 13,
      start + 4 + MAX_PACKET,
      start + 4 + MAX_PACKET + 2,
      start + 4 + MAX_PACKET + 4,
      start + 4 + MAX_PACKET + 5,
    ];
    for (const cut of cuts) {
      // With room for it, the long row fits and the rows after it are counted as before.
      const roomy = scan(mysqlWireScanner(40_000_000), [
        bytes.subarray(0, cut),
        bytes.subarray(cut),
      ]);
      assert.equal(roomy.verdict, undefined, `cut at ${cut}`);
      // With 64 bytes, it is row 1, column 1, at its length.
      const tight = scan(scanner(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.ok(tight.verdict instanceof ValueTooLarge, `cut at ${cut}`);
      assert.deepEqual([tight.verdict.row, tight.verdict.column], [1, 1]);
    }
    const roomyThenOver = mysqlWireScanner(MAX_PACKET + 100);
    const r = scan(roomyThenOver, [bytes]);
    assert.equal(r.verdict, undefined, "a limit above 16 MB lets the long row through");
    // A row that passes the limit only in its second packet (the first field ends one byte
    // into it): named by the field there.
    const late = row(["x".repeat(MAX_PACKET - 3), "y".repeat(50), "z".repeat(100)]);
    const v = scan(mysqlWireScanner(MAX_PACKET + 30), [resultSet(3, [late])]).verdict;
    assert.ok(v instanceof ValueTooLarge);
    assert.deepEqual([v.row, v.column], [1, 2]);
  });
});
