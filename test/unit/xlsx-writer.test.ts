import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { classifyError } from "../../lib/engines/index.js";
import { describeFailure } from "../../lib/failure/describe.js";
import { CellTooLong } from "../../lib/failure/too-large.js";
import { FORMATS } from "../../lib/formats/index.js";
import { xlsxFormatWith } from "../../lib/formats/xlsx/format.js";
import type { Column, ColumnKind } from "../../lib/sources/types.js";
import { decodeXstring, readWithExcelJs, readWithPython } from "./xlsx-read.js";

interface Written {
  bytes: Buffer;
  rows: number;
}

async function write(
  rows: unknown[][],
  o: {
    header?: string[];
    kinds?: ColumnKind[];
    rowsPerSheet?: number;
    batchRows?: number;
    onWidthMismatch?: (labels: number, columns: number) => void;
  } = {},
): Promise<Written> {
  const columns: Column[] | undefined = o.kinds?.map((kind, i) => ({ name: `c${i}`, kind }));
  const writer = xlsxFormatWith({ rowsPerSheet: o.rowsPerSheet }).createWriter({
    header: o.header ?? [],
    settings: { encoding: "gb18030", escapeFormulas: true },
    input: "rows",
    columns: columns ? Promise.resolve(columns) : undefined,
    onWidthMismatch: o.onWidthMismatch,
  });
  const batches: unknown[][][] = [];
  const per = Math.max(o.batchRows ?? rows.length, 1);
  for (let i = 0; i < rows.length; i += per) batches.push(rows.slice(i, i + per));
  const out: Buffer[] = [];
  await pipeline([
    Readable.from(batches),
    ...writer.stages,
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  ]);
  return { bytes: Buffer.concat(out), rows: writer.rowCount() };
}

const utc = (s: string) => new Date(`${s}Z`);

// Each column: its kind, then [database text, what a reader must get] per row.
const COLUMNS: { label: string; kind: ColumnKind; cells: [string | null, unknown][] }[] = [
  {
    label: "编号",
    kind: "number",
    cells: [
      ["42", 42],
      ["9223372036854775807", "9223372036854775807"],
      ["-0.5", -0.5],
      ["123.450", 123.45],
      ["NaN", "NaN"],
      [null, null],
    ],
  },
  {
    label: "客户",
    kind: "text",
    cells: [
      ["张三 😀 𠀀𪚥", "张三 😀 𠀀𪚥"],
      ['=HYPERLINK("http://x")', '=HYPERLINK("http://x")'],
      ["110101199003077777", "110101199003077777"],
      ["a\u0001b\u0008\u001f", "a\u0001b\u0008\u001f"],
      ["line1\r\nline2\ttab", "line1\r\nline2\ttab"],
      ["_x000D_ & <tag> ]]>", "_x000D_ & <tag> ]]>"],
    ],
  },
  {
    label: "日期",
    kind: "date",
    cells: [
      ["2024-01-01", utc("2024-01-01T00:00:00")],
      ["1900-03-01", utc("1900-03-01T00:00:00")],
      ["9999-12-31", utc("9999-12-31T00:00:00")],
      ["0044-03-15 BC", "0044-03-15 BC"],
      ["0000-00-00", "0000-00-00"],
      ["infinity", "infinity"],
    ],
  },
  {
    label: "时间",
    kind: "time",
    cells: [
      ["12:34:56", utc("1899-12-30T12:34:56")],
      ["00:00:00.25", utc("1899-12-30T00:00:00.250")],
      ["23:59:59+08", utc("1899-12-30T23:59:59")],
      ["838:59:59", "838:59:59"],
      [null, null],
      ["-01:00:00", "-01:00:00"],
    ],
  },
  {
    label: "下单时间",
    kind: "timestamp",
    cells: [
      ["2024-01-01 00:00:01", utc("2024-01-01T00:00:01")],
      ["2024-01-01 00:00:01.123456", utc("2024-01-01T00:00:01.123")],
      ["2024-06-30 23:59:59+08", utc("2024-06-30T23:59:59")],
      ["2024-01-01 00:00:00-05:30", utc("2024-01-01T00:00:00")],
      ["1899-12-31 23:00:00", "1899-12-31 23:00:00"],
      [null, null],
    ],
  },
  {
    label: "启用",
    kind: "boolean",
    cells: [
      ["t", true],
      ["f", false],
      ["1", true],
      ["0", false],
      ["yes", "yes"],
      [null, null],
    ],
  },
  {
    label: "附件",
    kind: "binary",
    cells: [
      ["\\x0001ff", "\\x0001ff"],
      ["0x4142", "0x4142"],
      ["1", "1"],
      [null, null],
      // An empty string is an empty text cell (Python sees it below); exceljs reads it as null.
      ["", null],
      ["  padded  ", "  padded  "],
    ],
  },
];
const HEADER = ["序号", ...COLUMNS.map((c) => c.label)];
const KINDS = COLUMNS.map((c) => c.kind);
const ROWS = Array.from({ length: 6 }, (_, r) => COLUMNS.map((c) => c.cells[r]?.[0] ?? null));
const EXPECTED = Array.from({ length: 6 }, (_, r) => COLUMNS.map((c) => c.cells[r]?.[1] ?? null));

/** A cell's value as exceljs gives it, with OOXML's escapes decoded (exceljs leaves them). */
function excelValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return decodeXstring(v);
  return v;
}

describe("XLSX writer", () => {
  it("round-trips every value with its type through exceljs: numbers, text, dates, times, booleans, NULL", async () => {
    const { bytes, rows } = await write(ROWS, { header: HEADER, kinds: KINDS, batchRows: 4 });
    assert.equal(rows, 6);
    const wb = await readWithExcelJs(bytes);
    assert.deepEqual(
      wb.worksheets.map((w) => w.name),
      ["Sheet1"],
    );
    const ws = wb.worksheets[0] as NonNullable<(typeof wb.worksheets)[0]>;
    const title = ws.getRow(1);
    assert.deepEqual(
      HEADER.map((_, i) => title.getCell(i + 1).value),
      HEADER,
    );
    for (let r = 0; r < 6; r++) {
      const row = ws.getRow(r + 2);
      assert.equal(row.getCell(1).value, r + 1, "the row number");
      for (let c = 0; c < COLUMNS.length; c++) {
        const got = excelValue(row.getCell(c + 2).value);
        const want = EXPECTED[r]?.[c];
        const where = `row ${r + 1}, ${COLUMNS[c]?.label} (${JSON.stringify(ROWS[r]?.[c])})`;
        if (want instanceof Date) {
          assert.ok(got instanceof Date, `${where}: a date, got ${JSON.stringify(got)}`);
          assert.equal(got.toISOString(), want.toISOString(), where);
        } else {
          assert.deepEqual(got, want, where);
          assert.equal(typeof got, typeof want, where);
        }
      }
    }
  });

  it("writes well-formed XML that Python's parser reads to the same values, in typed cells", async () => {
    const { bytes } = await write(ROWS, { header: HEADER, kinds: KINDS });
    const book = readWithPython(bytes);
    assert.deepEqual(book.sheets, [{ name: "Sheet1", part: "xl/worksheets/sheet1.xml" }]);
    assert.deepEqual([...book.entries].sort(), [
      "[Content_Types].xml",
      "_rels/.rels",
      "xl/_rels/workbook.xml.rels",
      "xl/styles.xml",
      "xl/workbook.xml",
      "xl/worksheets/sheet1.xml",
    ]);
    const rows = book.rows[0] ?? [];
    assert.deepEqual(
      rows.map((r) => r.r),
      ["1", "2", "3", "4", "5", "6", "7"],
    );
    // Row 3 (data row 2): the text cell holds controls, the bigint is text, the boolean is b.
    const cells = new Map((rows[2]?.cells ?? []).map((c) => [c.r, c]));
    assert.deepEqual(cells.get("A3"), {
      r: "A3",
      explicit: true,
      t: null,
      s: null,
      v: "2",
      text: null,
    });
    assert.equal(cells.get("B3")?.t, "inlineStr");
    assert.equal(cells.get("B3")?.text, "9223372036854775807");
    assert.equal(decodeXstring(cells.get("C3")?.text ?? ""), '=HYPERLINK("http://x")');
    assert.equal(cells.get("G3")?.t, "b");
    // NULL is no cell at all; the cells after it keep their columns.
    const row7 = new Map((rows[6]?.cells ?? []).map((c) => [c.r, c]));
    assert.equal(row7.has("F7"), false);
    assert.equal(row7.has("G7"), false);
    assert.equal(row7.get("H7")?.text, "  padded  ");
    // Only the row's first cell and a cell after a gap name their place; the others follow on.
    assert.equal(row7.get("H7")?.explicit, true);
    assert.deepEqual(
      (rows[6]?.cells ?? []).filter((c) => c.explicit).map((c) => c.r),
      ["A7", "C7", "H7"],
    );
    const row5 = new Map((rows[4]?.cells ?? []).map((c) => [c.r, c]));
    assert.equal(decodeXstring(row5.get("C5")?.text ?? ""), "a\u0001b\u0008\u001f");
    const row6 = new Map((rows[5]?.cells ?? []).map((c) => [c.r, c]));
    assert.equal(decodeXstring(row6.get("C6")?.text ?? ""), "line1\r\nline2\ttab");
    assert.deepEqual(row6.get("H6"), {
      r: "H6",
      explicit: false,
      t: "inlineStr",
      s: null,
      v: null,
      text: "",
    });
  });

  it("makes the title row bold and frozen on every sheet", async () => {
    const { bytes } = await write(ROWS, { header: HEADER, kinds: KINDS, rowsPerSheet: 4 });
    const wb = await readWithExcelJs(bytes);
    assert.equal(wb.worksheets.length, 2);
    for (const ws of wb.worksheets) {
      assert.equal(ws.views[0]?.state, "frozen");
      assert.equal((ws.views[0] as { ySplit?: number }).ySplit, 1);
      for (let c = 1; c <= HEADER.length; c++)
        assert.equal(ws.getRow(1).getCell(c).font?.bold, true);
      assert.notEqual(ws.getRow(2).getCell(1).font?.bold, true, "data rows are not bold");
    }
    assert.deepEqual(readWithPython(bytes).ySplit, ["1", "1"]);
  });

  it("starts a new sheet every rowsPerSheet rows, each with the title row, numbers continuing", async () => {
    const rows = Array.from({ length: 11 }, (_, i) => [`r${i + 1}`]);
    const { bytes, rows: n } = await write(rows, {
      header: ["序号", "值"],
      kinds: ["text"],
      rowsPerSheet: 4,
      batchRows: 3,
    });
    assert.equal(n, 11);
    const wb = await readWithExcelJs(bytes);
    assert.deepEqual(
      wb.worksheets.map((w) => w.name),
      ["Sheet1", "Sheet2", "Sheet3"],
    );
    const seen = wb.worksheets.map((ws) => {
      const out: unknown[][] = [];
      ws.eachRow((row) => {
        out.push([row.getCell(1).value, row.getCell(2).value]);
      });
      return out;
    });
    assert.deepEqual(seen, [
      [
        ["序号", "值"],
        [1, "r1"],
        [2, "r2"],
        [3, "r3"],
        [4, "r4"],
      ],
      [
        ["序号", "值"],
        [5, "r5"],
        [6, "r6"],
        [7, "r7"],
        [8, "r8"],
      ],
      [
        ["序号", "值"],
        [9, "r9"],
        [10, "r10"],
        [11, "r11"],
      ],
    ]);
  });

  it("writes exactly full sheets without an empty sheet after them", async () => {
    const rows = Array.from({ length: 8 }, (_, i) => [`r${i + 1}`]);
    const { bytes } = await write(rows, { header: ["序号", "值"], rowsPerSheet: 4 });
    const book = readWithPython(bytes, true);
    assert.deepEqual(
      book.rows.map((s) => s.length),
      [5, 5],
    );
  });

  it("writes one sheet with the title row for an empty result; no title row and no pane for a blank title", async () => {
    const empty = readWithPython((await write([], { header: ["序号", "a"] })).bytes);
    assert.deepEqual(
      empty.rows.map((s) => s.map((r) => r.r)),
      [["1"]],
    );
    const untitled = readWithPython((await write([["x"], ["y"]], {})).bytes);
    assert.deepEqual(untitled.ySplit, [null]);
    assert.deepEqual(
      untitled.rows[0]?.map((r) => r.cells.map((c) => [c.r, c.v ?? c.text])),
      [
        [
          ["A1", "1"],
          ["B1", "x"],
        ],
        [
          ["A2", "2"],
          ["B2", "y"],
        ],
      ],
    );
  });

  it("keeps every label of a title wider or narrower than the query, and says so once", async () => {
    const calls: [number, number][] = [];
    const { bytes } = await write(
      [
        ["a", "b"],
        ["c", "d"],
      ],
      { header: ["序号", "一", "二", "三"], onWidthMismatch: (l, c) => calls.push([l, c]) },
    );
    assert.deepEqual(calls, [[4, 2]]);
    const ws = (await readWithExcelJs(bytes)).worksheets[0];
    assert.deepEqual(((ws?.getRow(1).values ?? []) as unknown[]).slice(1), [
      "序号",
      "一",
      "二",
      "三",
    ]);
  });

  it("clips a title label longer than a cell holds, never inside a surrogate pair", async () => {
    const long = `${"标".repeat(32_766)}😀tail`;
    const { bytes } = await write([["x"]], { header: ["序号", long] });
    const got = (await readWithExcelJs(bytes)).worksheets[0]?.getRow(1).getCell(2).value;
    assert.equal(got, "标".repeat(32_766), "the pair that would straddle the limit goes whole");
  });

  it("fails the export when the columns never arrive", async () => {
    const writer = xlsxFormatWith().createWriter({
      header: [],
      settings: { encoding: "gb18030", escapeFormulas: false },
      input: "rows",
      columns: Promise.reject(new Error("the query failed before its first row")),
    });
    await assert.rejects(
      pipeline([
        Readable.from([[["1"]]]),
        ...writer.stages,
        new Writable({ write: (_c, _e, d) => d() }),
      ]),
      /the query failed before its first row/,
    );
  });

  it("writes every value as text when the columns' kinds are not given", async () => {
    const { bytes } = await write([["42", "2024-01-01", "t"]], { header: ["序号", "a", "b", "c"] });
    const ws = (await readWithExcelJs(bytes)).worksheets[0];
    assert.deepEqual(((ws?.getRow(2).values ?? []) as unknown[]).slice(1), [
      1,
      "42",
      "2024-01-01",
      "t",
    ]);
  });

  it("holds a cell of 32,767 characters, and fails naming the row and column for one more", async () => {
    const full = `${"汉".repeat(32_766)}x`;
    const ok = await write([["a"], [full]], { header: ["序号", "备注"], kinds: ["text"] });
    const ws = (await readWithExcelJs(ok.bytes)).worksheets[0];
    assert.equal(ws?.getRow(3).getCell(2).value, full);
    const err = await write(
      [
        ["a", "b"],
        ["c", "d"],
        ["e", `${full}y`],
      ],
      {
        header: ["序号", "编号", "备注"],
        kinds: ["text", "text"],
        batchRows: 1,
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CellTooLong, String(err));
    assert.deepEqual([err.row, err.column, err.limitChars], [3, 2, 32_767]);
    const msg = describeFailure(err, classifyError(err), "export", {
      timeoutSeconds: 1,
      secrets: [],
      labels: ["序号", "编号", "备注"],
    });
    assert.match(msg, /^Row 3, column 2 \(备注\) holds more than 32,767 characters/);
    assert.match(msg, /Export as CSV, or shorten that column/);
  });

  it("holds a bounded amount while the next stage takes nothing (a stalled upload), then finishes", async () => {
    const total = 200_000;
    let produced = 0;
    const source = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        const batch = Array.from({ length: 1000 }, (_, i) => [
          `订单 ${produced + i}`,
          String(produced + i),
        ]);
        produced += batch.length;
        this.push(batch);
      },
    });
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let bytes = 0;
    const writer = xlsxFormatWith().createWriter({
      header: ["序号", "订单", "编号"],
      settings: { encoding: "gb18030", escapeFormulas: false },
      input: "rows",
      columns: Promise.resolve([
        { name: "订单", kind: "text" },
        { name: "编号", kind: "number" },
      ]),
    });
    const piped = pipeline([
      source,
      ...writer.stages,
      new Writable({
        highWaterMark: 1,
        write(c: Buffer, _e, done) {
          bytes += c.length;
          released.then(() => done());
        },
      }),
    ]);
    let last = -1;
    for (let waited = 0; waited < 20_000 && produced !== last; waited += 300) {
      last = produced;
      await new Promise((r) => setTimeout(r, 300));
    }
    const held = produced;
    release();
    await piped;
    assert.ok(held <= 40_000, `${held} rows read ahead of a stalled sink`);
    assert.equal(writer.rowCount(), total);
    assert.ok(bytes > 0);
  });

  it("is registered as xlsx, with the spreadsheet's content type, made from the database's CSV where it can", () => {
    const f = FORMATS.xlsx;
    assert.equal(f.extension, "xlsx");
    const s = { encoding: "gb18030" as const, escapeFormulas: false };
    assert.equal(
      f.contentType(s),
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    // Both writers: test/unit/xlsx-copy.test.ts holds them to the same bytes.
    assert.equal(f.serverRendering(s), "rfc4180-csv");
  });
});
