// The spreadsheet's COPY path (copy-sheet.ts) against its row path (sheet-writer.ts) without a
// database: the same values as PostgreSQL's COPY CSV bytes and as the driver's strings must
// give the same entries and XML byte for byte, however the bytes are cut into chunks.
// test/integration/xlsx-copy.test.ts does the same with a real server.
import assert from "node:assert/strict";
import { Readable, type Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { ValueTooLarge } from "../../lib/failure/too-large.js";
import { isEntryMarker } from "../../lib/formats/format.js";
import { createCopyXlsxLayout } from "../../lib/formats/xlsx/copy-sheet.js";
import { createXlsxLayout } from "../../lib/formats/xlsx/sheet-writer.js";
import type { Column, ColumnKind } from "../../lib/sources/types.js";

/** A value as the server's bytes (text is UTF-8), or NULL. */
type Value = string | Buffer | null;

/** COPY's CSV: NULL unquoted and empty; quoted when empty or holding , " CR LF, or `\.`. */
function copyCsv(rows: Value[][]): Buffer {
  const parts: Buffer[] = [];
  for (const row of rows) {
    row.forEach((v, i) => {
      if (i > 0) parts.push(Buffer.from(","));
      if (v === null) return;
      const b = typeof v === "string" ? Buffer.from(v, "utf8") : v;
      const s = b.toString("latin1");
      if (s === "" || s === "\\." || /[,"\r\n]/.test(s))
        parts.push(Buffer.from(`"${s.replace(/"/g, '""')}"`, "latin1"));
      else parts.push(b);
    });
    parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

/** The row path's input: the driver's strings (invalid UTF-8 decoded to U+FFFD, as pg does). */
const asRows = (rows: Value[][]) =>
  rows.map((r) => r.map((v) => (v === null ? null : v.toString())));

interface Opts {
  header?: string[];
  kinds?: ColumnKind[];
  rowsPerSheet?: number;
  onWidthMismatch?: (labels: number, columns: number) => void;
}

const columnsOf = (o: Opts): Promise<Column[]> | undefined =>
  o.kinds && Promise.resolve(o.kinds.map((kind, i) => ({ name: `c${i}`, kind })));

/** The layout's output as text: each entry's name, then its bytes as latin1 (exact). */
async function collect(source: Readable, stages: Transform[]): Promise<string> {
  let out = "";
  await pipeline([
    source,
    ...stages,
    new Writable({
      objectMode: true,
      write(c: unknown, _e, done) {
        out += isEntryMarker(c) ? `\n[${c.entry}]\n` : (c as Buffer).toString("latin1");
        done();
      },
    }),
  ]);
  return out;
}

function viaRows(rows: Value[][], o: Opts = {}): Promise<string> {
  const layout = createXlsxLayout({ header: o.header ?? [], columns: columnsOf(o), ...o });
  return collect(Readable.from([asRows(rows)]), layout.stages);
}

function viaCopy(chunks: Buffer[], o: Opts = {}): Promise<string> {
  const layout = createCopyXlsxLayout({ header: o.header ?? [], columns: columnsOf(o), ...o });
  return collect(Readable.from(chunks), layout.stages);
}

const KINDS: ColumnKind[] = [
  "number",
  "text",
  "date",
  "time",
  "timestamp",
  "boolean",
  "binary",
  "other",
];
// Per row: number, text, date, time, timestamp, boolean, binary, other (json).
const ROWS: Value[][] = [
  [
    "42",
    "张三 😀 𠀀𪚥",
    "2024-01-01",
    "12:34:56",
    "2024-01-01 00:00:01",
    "t",
    "\\x0001ff",
    '{"a": 1}',
  ],
  [
    "9223372036854775807",
    '=HYPERLINK("http://x")',
    "0044-03-15 BC",
    "00:00:00.25",
    "2024-01-01 00:00:01.123+08",
    "f",
    "",
    "[]",
  ],
  [
    "-0.5",
    "a\u0001b\u0008\u001f",
    "10000-01-01",
    "23:59:59+08",
    "1899-12-31 23:00:00",
    "",
    null,
    "null",
  ],
  ["123.450", "line1\r\nline2\ttab", "infinity", null, null, null, "\\x", '"q"'],
  [
    "NaN",
    "_x000D_ & <tag> ]]> _X00aB_ _x12_ _x123g_",
    "-infinity",
    "24:00:00",
    "infinity",
    "t",
    "a",
    "1",
  ],
  ["1e+20", "  padded  ", null, "00:00:00", "2024-02-29 12:00:00", "f", "b", "{}"],
  ["Infinity", "", "2024-02-29", "12:00:00.000001", "9999-12-31 23:59:59.999", null, "c", "x"],
  ["-Infinity", null, "1900-02-28", "01:02:03", "1900-03-01 00:00:00", "t", "d", "y"],
  [
    "0.000000000000000000001",
    "\uFFFE\uFFFF \uFEFF ok",
    "1900-03-01",
    "10:00:00",
    "2000-01-01 00:00:00",
    "f",
    "e",
    "z",
  ],
  [
    "12345678901234.5",
    '"leading quote',
    "2000-01-01",
    "10:00:00",
    "2000-01-01 00:00:00",
    "t",
    "f",
    "\\.",
  ],
  ["", ' , "a" ', "", "", "", "", "", ""],
  [
    Buffer.from([0x31, 0x32]),
    Buffer.from([0x61, 0xff, 0xe4, 0xb8, 0x22]),
    "2000-01-01",
    "10:00:00",
    "2000-01-01 00:00:00",
    "t",
    "g",
    Buffer.from([0xed, 0xa0, 0x80, 0x20]),
  ],
  [
    "0",
    "tab\tin the middle",
    "2000-01-01",
    "10:00:00",
    "2000-01-01 00:00:00",
    "f",
    "&<>",
    "trailing\n",
  ],
  // Temporal text of the plain shapes that Excel cannot show or that is misshapen (no server
  // writes most of these): text, as the row path writes it.
  ["1", "x", "2024-13-01", "12:60:00", "2024-01-01T00:00:01", "t", "x", "x"],
  ["2", "x", "2024-1a-01", "1a:00:00", "2024-01-01 25:00:00", "t", "x", "x"],
  ["3", "x", "2024/01/01", "12-00-00", "2024-01-01_00:00:01", "t", "x", "x"],
  ["4", "x", "2024-02-30", "00:00:00", "2023-02-29 00:00:00", "t", "x", "x"],
  ["5", "x", "1900-01-01", "23:59:59", "9999-12-31 23:59:59", "t", "x", "x"],
];
const HEADER = ["序号", "数", "文", "日", "时", "刻", "真", "二", "他"];

describe("XLSX from COPY's CSV", () => {
  it("writes exactly the row path's entries and bytes, cut at every byte", async () => {
    const o = { header: HEADER, kinds: KINDS };
    const want = await viaRows(ROWS, o);
    const bytes = copyCsv(ROWS);
    assert.equal(await viaCopy([bytes], o), want);
    for (let i = 1; i < bytes.length; i++)
      assert.equal(
        await viaCopy([bytes.subarray(0, i), bytes.subarray(i)], o),
        want,
        `cut at ${i}`,
      );
    // A byte at a time: every record carried across chunks.
    const single = Array.from(bytes, (b) => Buffer.from([b]));
    assert.equal(await viaCopy(single, o), want);
  });

  it("writes every value as text without the columns, and pads or cuts nothing of the title", async () => {
    for (const header of [[], ["序号"], [...HEADER, "多"]]) {
      const calls: unknown[] = [];
      const rowCalls: unknown[] = [];
      const want = await viaRows(ROWS, {
        header,
        onWidthMismatch: (...a: unknown[]) => rowCalls.push(a),
      });
      const got = await viaCopy([copyCsv(ROWS)], {
        header,
        onWidthMismatch: (...a: unknown[]) => calls.push(a),
      });
      assert.equal(got, want);
      assert.deepEqual(calls, rowCalls);
    }
  });

  it("writes one sheet with the title for no rows, and an empty row for a result without columns", async () => {
    assert.equal(
      await viaCopy([], { header: HEADER, kinds: KINDS }),
      await viaRows([], { header: HEADER, kinds: KINDS }),
    );
    const none = { header: ["序号"], kinds: [] };
    assert.equal(await viaCopy([Buffer.from("\n\n")], none), await viaRows([[], []], none));
  });

  it("starts a new sheet every rowsPerSheet rows with the title row, as the row path does", async () => {
    const rows: Value[][] = Array.from({ length: 11 }, (_, i) => [String(i), `r${i + 1}`, null]);
    const o = {
      header: ["序号", "数", "值", "空"],
      kinds: ["number", "text", "text"] as ColumnKind[],
      rowsPerSheet: 4,
    };
    const want = await viaRows(rows, o);
    assert.equal((want.match(/\[xl\/worksheets\/sheet\d\.xml\]/g) ?? []).length, 3);
    const bytes = copyCsv(rows);
    for (const cut of [1, 7, 20, bytes.length - 1])
      assert.equal(await viaCopy([bytes.subarray(0, cut), bytes.subarray(cut)], o), want);
  });

  it("holds 32,767 UTF-16 units in a cell and fails naming the row and column past that", async () => {
    const o = { header: ["序号", "短", "长"], kinds: ["text", "other"] as ColumnKind[] };
    // Four-byte characters count two units each, as JavaScript's length counts them.
    const full = `${"😀".repeat(16_383)}x`;
    const quoted = `"${"汉".repeat(32_765)}"`;
    assert.equal(quoted.length, 32_767);
    const rows: Value[][] = [
      ["a", full],
      ["b", quoted],
    ];
    assert.equal(await viaCopy([copyCsv(rows)], o), await viaRows(rows, o));
    for (const long of [`${full}y`, `${quoted}"`, `${"a".repeat(32_767)}\r`]) {
      const bad: Value[][] = [...rows, ["c", "d"], ["e", long]];
      const rowErr = await viaRows(bad, o).then(
        () => undefined,
        (e: unknown) => e,
      );
      const bytes = copyCsv(bad);
      for (const chunks of [[bytes], [bytes.subarray(0, 70_000), bytes.subarray(70_000)]]) {
        const err = await viaCopy(chunks, o).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.deepEqual(err, rowErr);
        assert.deepEqual(
          [(err as { row: number }).row, (err as { column: number }).column],
          [4, 2],
        );
      }
    }
  });

  it("refuses a record longer than a row may be, naming its row and column", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const chunks = [Buffer.from("1,2\n3,"), ...Array.from({ length: 9 }, () => chunk)];
    const err = await viaCopy(chunks).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ValueTooLarge, String(err));
    assert.deepEqual([err.row, err.column], [2, 2]);
  });
});
