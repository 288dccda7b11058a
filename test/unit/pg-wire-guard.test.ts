import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pgWireScanner } from "../../lib/engines/postgres/wire-guard.js";
import { ResponseTooLarge, ValueTooLarge } from "../../lib/failure/too-large.js";
import { assertEverySplit, scan, shape } from "./wire-scan.js";

/** A backend message: type byte, int32 length counting itself, body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** A DataRow: int16 field count, then per field an int32 length (-1 for NULL) and the bytes. */
function dataRow(fields: (string | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  parts[0]?.writeInt16BE(fields.length, 0);
  for (const f of fields) {
    const len = Buffer.alloc(4);
    if (f === null) {
      len.writeInt32BE(-1, 0);
      parts.push(len);
    } else {
      const bytes = Buffer.from(f, "utf8");
      len.writeInt32BE(bytes.length, 0);
      parts.push(len, bytes);
    }
  }
  return message("D", Buffer.concat(parts));
}

const rowDescription = message("T", Buffer.from("\u0000\u0001id\u0000 fake field description"));
const commandComplete = message("C", Buffer.from("SELECT 3\u0000"));
const readyForQuery = message("Z", Buffer.from("T"));
const copyData = (line: string) => message("d", Buffer.from(line, "utf8"));

const MAX = 64;
const scanner = () => pgWireScanner(MAX);

describe("PostgreSQL wire guard", () => {
  it("lets through every message up to the limit, however the socket cuts them", () => {
    // A DataRow of exactly the limit: 4 (length) + 2 (count) + 2 x 4 (lengths) + 50 bytes.
    const atLimit = dataRow(["a".repeat(25), "b".repeat(25)]);
    assert.equal(atLimit.length - 1, MAX);
    const bytes = Buffer.concat([
      message("1", Buffer.alloc(0)),
      message("2", Buffer.alloc(0)),
      rowDescription,
      dataRow(["1", null, "中文"]),
      atLimit,
      dataRow([null, null]),
      commandComplete,
      readyForQuery,
    ]);
    assertEverySplit(scanner, bytes, "fits");
  });

  it("refuses the row one byte over the limit, naming its row and the column that passes it", () => {
    const over = dataRow(["a".repeat(25), "b".repeat(26)]);
    assert.equal(over.length - 1, MAX + 1);
    const bytes = Buffer.concat([rowDescription, dataRow(["1", "2"]), over, commandComplete]);
    assertEverySplit(scanner, bytes, "ValueTooLarge row 2 column 2");
  });

  it("counts NULLs and empty values as columns, and names a later column", () => {
    const row = dataRow(["x", null, "", "y".repeat(100), "z"]);
    const bytes = Buffer.concat([dataRow(["1"]), dataRow(["2"]), dataRow(["3"]), row]);
    assertEverySplit(scanner, bytes, "ValueTooLarge row 4 column 4", [bytes.length - row.length]);
  });

  it("gives its verdict once the crossing field's length is in, before any of its bytes", () => {
    const before = dataRow(["1"]);
    const big = dataRow(["ok", "x".repeat(10_000)]);
    const s = scanner();
    // Header (5), count (2), field 1 (4 + 2), field 2's length (4): nothing of the value yet.
    const upToLength = 5 + 2 + 4 + 2 + 4;
    const { verdict, fed } = scan(s, [
      before,
      ...Array.from({ length: big.length }, (_, i) => big.subarray(i, i + 1)),
    ]);
    assert.ok(verdict instanceof ValueTooLarge);
    assert.deepEqual([verdict.row, verdict.column, verdict.limitBytes], [2, 2, MAX]);
    assert.equal(fed, before.length + upToLength);
  });

  it("names the column where a row of many small fields passes the limit", () => {
    const row = dataRow(Array.from({ length: 20 }, () => "x".repeat(10)));
    // 6 bytes in, then 14 bytes per field: field 5 ends at 76 > 64.
    assertEverySplit(scanner, row, "ValueTooLarge row 1 column 5");
  });

  it("refuses an error or notice over the limit at its header (PostgreSQL quotes a failed cast's input whole)", () => {
    for (const type of ["E", "N", "T", "S"]) {
      const huge = message(type, Buffer.alloc(1_000_000, 0x78));
      const { verdict } = scan(scanner(), [huge]);
      assert.ok(verdict instanceof ResponseTooLarge, type);
      assert.equal(verdict.limitBytes, MAX);
      const one = scan(
        scanner(),
        Array.from({ length: 10 }, (_, i) => huge.subarray(i, i + 1)),
      );
      assert.equal(one.fed, 5, `${type}: at the header`);
    }
    const small = message("E", Buffer.from("SERROR\u0000Mboom\u0000\u0000"));
    assertEverySplit(scanner, small, "fits");
  });

  it("COPY: one CopyData per row; the column is one plus the commas outside quotes", () => {
    const head = Buffer.concat([message("H", Buffer.from([0, 0, 2, 0, 0, 0, 0]))]);
    const fits = copyData(`1,"a,b",${"c".repeat(40)}\n`);
    const over = copyData(`2,"x,""y"",z",${"w".repeat(80)}\n`);
    const bytes = Buffer.concat([head, fits, over, message("c", Buffer.alloc(0))]);
    assertEverySplit(scanner, bytes, "ValueTooLarge row 2 column 3", [head.length + fits.length]);
    // A quoted value that passes the limit is named as itself, commas inside it not counted.
    const quoted = copyData(`1,ok,"${"a,".repeat(60)}"\n`);
    assertEverySplit(scanner, quoted, "ValueTooLarge row 1 column 3");
    // A multi-line value is still one message, one row.
    const lines = Buffer.concat([copyData('1,"a\nb"\n'), copyData("2,c\n"), copyData("3,d\n")]);
    assertEverySplit(scanner, lines, "fits");
  });

  it("reads nothing after its verdict", () => {
    const s = scanner();
    assert.ok(s.feed(dataRow(["x".repeat(100)])));
    assert.equal(s.feed(dataRow(["x".repeat(100)])), undefined);
    assert.equal(shape(undefined), "fits");
  });
});
