// Sliced exports: a file written as slices by separate writers (the first whole, the rest
// continuations, WriterOptions.continueAt) and concatenated byte for byte must be the file one
// writer makes, on the row path (layout + encoder) and the COPY path, in every encoding and
// with every option that changes the bytes.
import assert from "node:assert/strict";
import { type Duplex, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { csvFormat } from "../../lib/formats/csv/format.js";
import { MAX_FIRST_RECORD_BYTES } from "../../lib/formats/csv/limits.js";
import { TEXT_ENCODINGS, type TextEncoding } from "../../lib/formats/encoding/encoder.js";
import type { OutputOptions } from "../../lib/formats/options.js";
import { bindOutput } from "../../lib/formats/output.js";
import type { Column } from "../../lib/sources/types.js";

type Value = string | null;
type Settings = { encoding: TextEncoding; escapeFormulas: boolean; longDigitsAsText: boolean };

const COLUMNS: Column[] = [
  { name: "t", kind: "text" },
  { name: "n", kind: "number" },
  { name: "u", kind: "text" },
  { name: "v", kind: "text" },
];

// Every byte the layouts treat specially, in a text column and a number column.
const VALUES: Value[] = [
  "a,b",
  'say "hi"',
  '"q',
  "x\ry",
  "l1\nl2",
  "\r\n",
  "中文，全角",
  "😀𠀀",
  "110105194912310021",
  "12345678901234567890",
  "0571",
  "",
  null,
  "=1+1",
  "-12.5",
  "+86 571",
  "@SUM(A1)",
  "plain",
];

/** Rows of COLUMNS.length values, every value in every column over the rows. */
function makeRows(n: number): Value[][] {
  return Array.from({ length: n }, (_, r) =>
    COLUMNS.map((_c, c) => VALUES[(r * 5 + c * 7) % VALUES.length] as Value),
  );
}

/** A value as COPY (FORMAT csv) writes it: NULL bare, "" and anything special quoted. */
function copyField(v: Value): string {
  if (v === null) return "";
  return v === "" || /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}
const copyCsv = (rows: Value[][]) =>
  Buffer.from(rows.map((r) => `${r.map(copyField).join(",")}\n`).join(""), "utf8");

/** Fewer labels than columns + 1, as many, more, and none. */
const HEADERS: Record<string, string[]> = {
  fewer: ["序号", "编号,号"],
  equal: ["序号", "a", 'say "b"', "=c", "丁"],
  more: ["序号", "a", "b", "c", "d", "多出", "e,f"],
  none: [],
};

async function collect(stages: Duplex[], input: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  });
  await pipeline([input, ...stages, sink]);
  return Buffer.concat(out);
}

/** One writer of the CSV format, as the exporter makes it, over `rows`. */
async function write(
  path: "rows" | "copy",
  rows: Value[][],
  header: string[],
  s: Settings,
  continueAt: number | undefined,
  chunkBytes = Number.POSITIVE_INFINITY,
): Promise<{ bytes: Buffer; rows: number }> {
  const writer = csvFormat.createWriter({
    header,
    settings: s,
    input: path === "rows" ? "rows" : "rfc4180-csv",
    columns: Promise.resolve(COLUMNS),
    continueAt,
  });
  let input: Readable;
  if (path === "rows") {
    // Batches of three rows, so a slice's rows span several batches.
    const batches: Value[][][] = [];
    for (let i = 0; i < rows.length; i += 3) batches.push(rows.slice(i, i + 3));
    input = Readable.from(batches, { objectMode: true });
  } else {
    const bytes = copyCsv(rows);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += Math.min(chunkBytes, bytes.length))
      chunks.push(bytes.subarray(i, i + chunkBytes));
    input = Readable.from(chunks);
  }
  const bytes = await collect(writer.stages, input);
  return { bytes, rows: writer.rowCount() };
}

/** The rows cut at `cuts`, written as slices, the first whole and the rest continuations. */
async function sliced(
  path: "rows" | "copy",
  rows: Value[][],
  header: string[],
  s: Settings,
  cuts: number[],
  chunkBytes?: number,
): Promise<Buffer> {
  const bounds = [0, ...cuts, rows.length];
  const parts: Buffer[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [from, to] = [bounds[k] as number, bounds[k + 1] as number];
    const part = await write(path, rows.slice(from, to), header, s, from, chunkBytes);
    assert.equal(part.rows, to - from, "rowCount() is this writer's rows");
    parts.push(part.bytes);
  }
  return Buffer.concat(parts);
}

const ROWS = makeRows(13);
// Two slices, three slices, and three with an empty middle one (a key range with no rows).
const CUTS = [[6], [1, 8], [5, 5]];

function* combinations() {
  for (const encoding of TEXT_ENCODINGS)
    for (const escapeFormulas of [false, true])
      for (const longDigitsAsText of [false, true])
        for (const [name, header] of Object.entries(HEADERS))
          yield { s: { encoding, escapeFormulas, longDigitsAsText }, name, header };
}

describe("a file written in slices is the file written whole, byte for byte", () => {
  it("row path (layout + encoder)", async () => {
    for (const { s, name, header } of combinations()) {
      const whole = await write("rows", ROWS, header, s, undefined);
      assert.equal(whole.rows, ROWS.length);
      for (const cuts of CUTS) {
        const got = await sliced("rows", ROWS, header, s, cuts);
        assert.deepEqual(got, whole.bytes, `${JSON.stringify(s)}, header ${name}, cuts ${cuts}`);
      }
    }
  });

  it("COPY path, fed in chunks that cut records, quotes and characters", async () => {
    for (const { s, name, header } of combinations()) {
      const whole = await write("copy", ROWS, header, s, undefined);
      // The COPY path writes what the row path writes: the reference holds for both.
      assert.deepEqual(whole.bytes, (await write("rows", ROWS, header, s, 0)).bytes);
      for (const cuts of CUTS)
        for (const chunkBytes of [1, 5, 13, Number.POSITIVE_INFINITY]) {
          const got = await sliced("copy", ROWS, header, s, cuts, chunkBytes);
          const at = `${JSON.stringify(s)}, header ${name}, cuts ${cuts}, chunks of ${chunkBytes}`;
          assert.deepEqual(got, whole.bytes, at);
        }
    }
  });
});

describe("a continuation", () => {
  const s = (encoding: TextEncoding): Settings => ({
    encoding,
    escapeFormulas: true,
    longDigitsAsText: true,
  });

  it("of no rows is no bytes, where a whole file of no rows is its header (and BOM)", async () => {
    for (const path of ["rows", "copy"] as const)
      for (const encoding of TEXT_ENCODINGS) {
        const empty = await write(path, [], HEADERS.equal as string[], s(encoding), 7);
        assert.equal(empty.bytes.length, 0, `${path}, ${encoding}`);
        assert.equal(empty.rows, 0);
        const whole = await write(path, [], HEADERS.equal as string[], s(encoding), 0);
        assert.ok(whole.bytes.length > 0, `${path}, ${encoding}: the whole file has its header`);
      }
  });

  it("numbers its rows from continueAt + 1, with no header and no BOM", async () => {
    const rows: Value[][] = [
      ["x", "1", "y", "z"],
      ["中", null, "", "w"],
    ];
    // 9 and 99: the COPY path's counted digits carry into a new digit.
    for (const continueAt of [1, 9, 41, 99, 999_999_999_999])
      for (const path of ["rows", "copy"] as const) {
        const got = await write(path, rows, ["序号", "a"], s("utf8-bom"), continueAt);
        assert.equal(
          got.bytes.toString("utf8"),
          `${continueAt + 1},x,1,y,z\r\n${continueAt + 2},中,,,w\r\n`,
          `${path}, continueAt ${continueAt}`,
        );
        assert.equal(got.rows, 2, "rowCount() does not count continueAt");
      }
  });

  it("on the COPY path does not hold its first record as the whole file's first (no header waits)", async () => {
    // In 1 MB chunks: the record is still open a chunk after more than the limit has come.
    const big = "b".repeat(MAX_FIRST_RECORD_BYTES + (2 << 20));
    const got = await write("copy", [[big, "1", "", ""]], [], s("utf8"), 5, 1 << 20);
    assert.equal(got.rows, 1);
    assert.equal(got.bytes.length, `6,${big},1,,\r\n`.length);
  });

  it("is refused where it cannot continue a file: parts, and a bad count", () => {
    assert.throws(
      () =>
        csvFormat.createWriter({
          header: [],
          settings: { encoding: "utf8", escapeFormulas: false, rowsPerPart: 10 },
          input: "rows",
          multipleEntries: true,
          continueAt: 3,
        }),
      /cannot be split/,
    );
    for (const continueAt of [-1, 1.5, Number.NaN])
      for (const input of ["rows", "rfc4180-csv"] as const)
        assert.throws(
          () =>
            csvFormat.createWriter({
              header: [],
              settings: { encoding: "utf8", escapeFormulas: false },
              input,
              continueAt,
            }),
          RangeError,
        );
  });
});

describe("BoundOutput.sliceable", () => {
  const csv: OutputOptions = {
    format: "csv",
    encoding: "gb18030",
    escapeFormulas: true,
    longDigitsAsText: true,
    splitRows: false,
    compress: "none",
  };
  const cases: [OutputOptions, boolean][] = [
    [csv, true],
    [{ ...csv, encoding: "utf8-bom" }, true],
    [{ ...csv, compress: "gzip" }, false],
    [{ ...csv, compress: "zip" }, false],
    [{ ...csv, splitRows: true }, false],
    [{ ...csv, format: "xlsx" }, false],
  ];

  it("is true for plain CSV only, and a writer that cannot continue refuses continueAt", () => {
    for (const [o, sliceable] of cases) {
      const out = bindOutput(o);
      assert.equal(out.sliceable, sliceable, JSON.stringify(o));
      const make = () => out.createWriter({ header: ["#"], input: "rows", continueAt: 10 });
      if (sliceable) make();
      else assert.throws(make, /cannot be written in slices/, JSON.stringify(o));
      // continueAt 0 is a whole file, which every format writes.
      out.createWriter({ header: ["#"], input: "rows", continueAt: 0 });
    }
  });
});
