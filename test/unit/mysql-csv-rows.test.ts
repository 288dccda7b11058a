// The MySQL fast path's pure parts: the UTF-8 check it makes per value (held to node:buffer's
// isUtf8), and row packets to RFC 4180 CSV (csv-rows.ts), value by value. The integration test
// (mysql-fast-path.test.ts) holds the whole path to the row path's bytes on the real server.
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { describe, it } from "node:test";
import { CsvRows, columnPlans } from "../../lib/engines/mysql/csv-rows.js";
import { isUtf8Range } from "../../lib/sources/utf8.js";
import { rowPayload } from "./mysql-packets.js";

const STRING = 253; // VAR_STRING
const LONGLONG = 8;
const BIT = 16;
const JSON_TYPE = 245;

/** The CSV for rows of `types`, as one string (latin1 keeps every byte visible). */
function render(types: number[], rows: (Buffer | string | null)[][], chunkBytes?: number): Buffer {
  const csv = new CsvRows(columnPlans(types.map((columnType) => ({ columnType }))), chunkBytes);
  const chunks: Buffer[] = [];
  for (const r of rows) {
    // In the middle of a larger buffer, as mysql2 hands a packet over.
    const body = rowPayload(r);
    const framed = Buffer.concat([Buffer.from("HEAD"), body, Buffer.from("TAIL")]);
    csv.row(framed, 4, 4 + body.length);
    const c = csv.take();
    if (c) chunks.push(c);
  }
  const rest = csv.take(true);
  if (rest) chunks.push(rest);
  return Buffer.concat(chunks);
}

describe("isUtf8Range", () => {
  const interesting = [
    0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
    0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xfe, 0xff,
  ];
  it("agrees with node:buffer's isUtf8 on every sequence of up to 4 telling bytes", () => {
    const buf = Buffer.alloc(6, 0x58);
    let checked = 0;
    const visit = (depth: number, len: number) => {
      if (depth === len) {
        // Inside a larger buffer whose neighbours are ASCII: only [1, 1 + len) is judged.
        assert.equal(
          isUtf8Range(buf, 1, 1 + len),
          isUtf8(buf.subarray(1, 1 + len)),
          buf.toString("hex"),
        );
        checked++;
        return;
      }
      for (const b of interesting) {
        buf[1 + depth] = b;
        visit(depth + 1, len);
      }
      buf[1 + depth] = 0x58;
    };
    for (let len = 1; len <= 4; len++) visit(0, len);
    assert.ok(checked > 450_000);
  });
  it("agrees on random text cut anywhere", () => {
    const text = Buffer.from("abc 值 😀 𠀀 é \u{10ffff} \ufffd", "utf8");
    let seed = 7;
    const rnd = (n: number) => {
      // Math.imul: a plain product passes 2^53 and loses the low bits, and the sequence sticks.
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    for (let k = 0; k < 20_000; k++) {
      const a = rnd(text.length);
      const b = a + rnd(text.length - a + 1);
      const copy = Buffer.from(text);
      if (k % 3 === 0) copy[rnd(copy.length)] = rnd(256);
      assert.equal(isUtf8Range(copy, a, b), isUtf8(copy.subarray(a, b)));
    }
  });
});

describe("CsvRows: row packets to RFC 4180 CSV", () => {
  it("writes NULL as nothing, an empty string as a quoted empty, and quotes only what needs it", () => {
    const out = render(
      [STRING, STRING, STRING, STRING, STRING, STRING, STRING, STRING],
      [[null, "", "plain", "a,b", 'say "hi"', "a\nb", "a\rb", "值 😀 𠀀"]],
    );
    assert.equal(out.toString("utf8"), ',"",plain,"a,b","say ""hi""","a\nb","a\rb",值 😀 𠀀\n');
  });
  it("reads every length encoding (1, 3 and 4 bytes)", () => {
    const sizes = [250, 251, 300, 65_535, 65_536, 70_000];
    const values = sizes.map((n) => "x".repeat(n));
    const out = render(
      sizes.map(() => STRING),
      [values],
    );
    assert.equal(out.toString("utf8"), `${values.join(",")}\n`);
  });
  it("writes BIT as its unsigned number, and binary that is not UTF-8 as a hex literal", () => {
    const out = render(
      [BIT, BIT, STRING, STRING, STRING],
      [
        [
          Buffer.from([0x0a, 0xaa]),
          Buffer.from([]),
          Buffer.from([0xff, 0x00]),
          Buffer.from([0xef, 0xbf, 0xbd]),
          Buffer.from([0xc0, 0xaf]),
        ],
      ],
    );
    assert.equal(out.toString("utf8"), "2730,0,0xFF00,\ufffd,0xC0AF\n");
  });
  it("reads a non-string type that is not UTF-8 as mysql2 decodes it, then quotes it", () => {
    const bytes = Buffer.from([0x61, 0xff, 0x2c, 0x62]);
    const out = render([JSON_TYPE, LONGLONG], [[bytes, "42"]]);
    assert.equal(out.toString("utf8"), '"a\ufffd,b",42\n');
  });
  it("hands on chunks of the size asked, each ending at a row's end", () => {
    const rows = Array.from({ length: 500 }, (_, i) => [String(i), `值 ${i}`]);
    const csv = new CsvRows(columnPlans([{ columnType: LONGLONG }, { columnType: STRING }]), 1024);
    const chunks: Buffer[] = [];
    for (const r of rows) {
      const body = rowPayload(r);
      csv.row(body, 0, body.length);
      const c = csv.take();
      if (c) chunks.push(c);
    }
    assert.equal(csv.take(), undefined, "less than a chunk is held back");
    chunks.push(csv.take(true) as Buffer);
    assert.ok(chunks.length > 5);
    for (const c of chunks.slice(0, -1)) {
      assert.ok(c.length >= 1024);
      assert.equal(c[c.length - 1], 0x0a);
    }
    assert.equal(
      Buffer.concat(chunks).toString("utf8"),
      rows.map((r) => `${r.join(",")}\n`).join(""),
    );
  });
  it("refuses a malformed packet instead of reading past it", () => {
    const csv = new CsvRows(columnPlans([{ columnType: STRING }, { columnType: STRING }]));
    const short = rowPayload(["a"]);
    assert.throws(() => csv.row(short, 0, short.length), /ended before its last column/);
    const long = Buffer.from([10, 0x61, 0x62]);
    assert.throws(() => csv.row(long, 0, long.length), /longer than its row packet/);
    const bad = Buffer.from([0xff, 0, 0]);
    assert.throws(() => csv.row(bad, 0, bad.length), /malformed length/);
  });
});
