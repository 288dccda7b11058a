// The per-task CSV options as the writer applies them: long digit runs kept as text in text
// columns only, formula escaping, parts of a split export in one ZIP with continuing row
// numbers, and the one-sheet notice. Archives are read back by Python's zipfile.
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import { classifyError } from "../../lib/engines/index.js";
import { describeFailure } from "../../lib/failure/describe.js";
import { isTransient } from "../../lib/failure/policy.js";
import { longDigitsField } from "../../lib/formats/csv/long-digits.js";
import { OptionsRejected, type OutputOptions, resolveOptions } from "../../lib/formats/options.js";
import { bindOutput } from "../../lib/formats/output.js";
import { TaskSqlRejected } from "../../lib/sources/statement-guard.js";
import type { Column } from "../../lib/sources/types.js";
import { readZip } from "./zip-read.js";

const DEFAULTS: OutputOptions = {
  format: "csv",
  encoding: "utf8",
  escapeFormulas: true,
  longDigitsAsText: true,
  splitRows: false,
  compress: "none",
};

async function write(
  o: Partial<OutputOptions>,
  rows: unknown[][],
  columns?: Column[],
  tuning: { rowsPerPart?: number } = {},
): Promise<{ bytes: Buffer; rows: number; contentType: string; extension: string }> {
  const output = bindOutput({ ...DEFAULTS, ...o }, tuning);
  const writer = output.createWriter({
    header: ["序号", "a", "b"],
    input: "rows",
    columns: columns ? Promise.resolve(columns) : undefined,
  });
  const chunks: Buffer[] = [];
  await pipeline([
    Readable.from([rows], { objectMode: true }),
    ...writer.stages,
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
  ]);
  return {
    bytes: Buffer.concat(chunks),
    rows: writer.rowCount(),
    contentType: output.contentType,
    extension: output.extension,
  };
}

describe("long digit runs kept whole in Excel", () => {
  it('writes 12+ digits, a trailing X and a leading zero as ="..."; leaves the rest alone', () => {
    for (const kept of ["123456789012", "11010519491231002X", "11010519491231002x", "0571", "00"])
      assert.equal(longDigitsField(kept), `"=""${kept}"""`, kept);
    for (const left of [
      "12345678901", // 11 digits: Excel shows them all
      "0",
      "0.5",
      "-123456789012",
      "0571-88888888",
      "1234567890123X5",
      "12345678901234567890".repeat(4), // not a number to Excel anyway
      "",
      "abc",
    ])
      assert.equal(longDigitsField(left), undefined, left);
  });

  it("applies to text columns only when the kinds are known, to every column when not", async () => {
    const row = ["110105194912310021", "110105194912310021"];
    const typed = await write(
      {},
      [row],
      [
        { name: "id_card", kind: "text" },
        { name: "amount", kind: "number" },
      ],
    );
    assert.equal(
      typed.bytes.toString("utf8").split("\r\n")[1],
      '1,"=""110105194912310021""",110105194912310021',
    );
    const untyped = await write({}, [row]);
    assert.equal(
      untyped.bytes.toString("utf8").split("\r\n")[1],
      '1,"=""110105194912310021""","=""110105194912310021"""',
    );
    const off = await write({ longDigitsAsText: false }, [row]);
    assert.equal(
      off.bytes.toString("utf8").split("\r\n")[1],
      "1,110105194912310021,110105194912310021",
    );
  });

  it("reads back through a CSV parser as the formula Excel evaluates to the digits", async () => {
    const { bytes } = await write({}, [["012345678901234567", "x"]]);
    const parsed = parse(bytes.toString("utf8")) as string[][];
    assert.equal(parsed[1]?.[1], '="012345678901234567"');
  });
});

describe("formula escaping, on unless a task turns it off", () => {
  it("escapes a cell Excel would run, and leaves plain numbers alone", async () => {
    const on = await write({}, [['=HYPERLINK("http://x")', "-12.5"]]);
    assert.equal(
      on.bytes.toString("utf8").split("\r\n")[1],
      '1,"\'=HYPERLINK(""http://x"")",-12.5',
    );
    const off = await write({ escapeFormulas: false }, [["=1+1", "@SUM(A1)"]]);
    assert.equal(off.bytes.toString("utf8").split("\r\n")[1], "1,=1+1,@SUM(A1)");
  });
  it("lets the database render the CSV whatever the cell rules (the COPY writer applies them), and the CSV an XLSX is made from; not split parts", () => {
    assert.equal(bindOutput(DEFAULTS).serverRendering, "rfc4180-csv");
    assert.equal(bindOutput({ ...DEFAULTS, escapeFormulas: false }).serverRendering, "rfc4180-csv");
    assert.equal(bindOutput({ ...DEFAULTS, splitRows: true }).serverRendering, undefined);
    assert.equal(bindOutput({ ...DEFAULTS, format: "xlsx" }).serverRendering, "rfc4180-csv");
  });

  it("uploads compressed files one part at a time (a quarter of the bytes), others as configured", () => {
    assert.equal(bindOutput(DEFAULTS).uploadQueueSize(2), 2);
    assert.equal(bindOutput({ ...DEFAULTS, format: "xlsx" }).uploadQueueSize(2), 2);
    assert.equal(bindOutput({ ...DEFAULTS, compress: "gzip" }).uploadQueueSize(2), 1);
    assert.equal(bindOutput({ ...DEFAULTS, compress: "zip" }).uploadQueueSize(4), 1);
    assert.equal(bindOutput({ ...DEFAULTS, splitRows: true }).uploadQueueSize(2), 1);
  });
});

describe("split_rows: parts with their own header in one ZIP, row numbers continuing", () => {
  it("cuts every N rows, names the parts, and repeats the header", async () => {
    const rows = Array.from({ length: 7 }, (_, i) => [`v${i + 1}`, String(i)]);
    const out = await write({ splitRows: true }, rows, undefined, { rowsPerPart: 3 });
    assert.equal(out.extension, "zip");
    assert.equal(out.contentType, "application/zip");
    assert.equal(out.rows, 7);
    const zip = readZip(out.bytes);
    assert.deepEqual(
      zip.entries.map((e) => e.name),
      ["export-1.csv", "export-2.csv", "export-3.csv"],
    );
    const parts = zip.entries.map((e) => parse(e.data.toString("utf8")) as string[][]);
    for (const p of parts) assert.deepEqual(p[0], ["序号", "a", "b"]);
    assert.deepEqual(
      parts.map((p) => p.slice(1).map((r) => r[0])),
      [["1", "2", "3"], ["4", "5", "6"], ["7"]],
    );
  });
  it("writes one part with the header when there are no rows, or exactly a part's worth", async () => {
    const none = readZip(
      (await write({ splitRows: true }, [], undefined, { rowsPerPart: 3 })).bytes,
    );
    assert.deepEqual(
      none.entries.map((e) => [e.name, e.data.toString("utf8")]),
      [["export-1.csv", "序号,a,b\r\n"]],
    );
    const three = [
      ["a", "b"],
      ["c", "d"],
      ["e", "f"],
    ];
    const exact = readZip(
      (await write({ splitRows: true }, three, undefined, { rowsPerPart: 3 })).bytes,
    );
    assert.equal(exact.entries.length, 1);
  });
  it("starts each part in GB18030 afresh and keeps the parts' text intact", async () => {
    const rows = [
      ["中文", "x"],
      ["𠀀", "y"],
    ];
    const out = await write({ splitRows: true, encoding: "gb18030" }, rows, undefined, {
      rowsPerPart: 1,
    });
    const iconv = (await import("iconv-lite")).default;
    const texts = readZip(out.bytes).entries.map((e) => iconv.decode(e.data, "gb18030"));
    assert.deepEqual(texts, ["序号,a,b\r\n1,中文,x\r\n", "序号,a,b\r\n2,𠀀,y\r\n"]);
  });
});

describe("compression and the one-sheet notice", () => {
  it("names and types gzip and ZIP files", () => {
    assert.deepEqual(
      ["none", "gzip", "zip"].map((compress) => {
        const o = bindOutput({ ...DEFAULTS, compress: compress as OutputOptions["compress"] });
        return [o.extension, o.contentType];
      }),
      [
        ["csv", "text/csv; charset=utf-8"],
        ["csv.gz", "application/gzip"],
        ["zip", "application/zip"],
      ],
    );
  });
  it("says when a CSV holds more rows than Excel shows, and not when split or XLSX", () => {
    const csv = bindOutput(DEFAULTS);
    assert.equal(csv.notice(1_048_575), undefined);
    assert.match(
      csv.notice(2_100_000) ?? "",
      /^Exported 2,100,000 rows\. Excel shows only the first 1,048,575 rows/,
    );
    assert.equal(bindOutput({ ...DEFAULTS, splitRows: true }).notice(2_100_000), undefined);
    assert.equal(bindOutput({ ...DEFAULTS, format: "xlsx" }).notice(2_100_000), undefined);
  });
});

describe("bad options", () => {
  it("fail the task with a msg naming the option and the allowed values", () => {
    let err: unknown;
    try {
      resolveOptions('{"compress": "rar"}', DEFAULTS);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof OptionsRejected);
    assert.equal(
      describeFailure(err, classifyError(err), "export", { timeoutSeconds: 1, secrets: [] }),
      `The task's options cannot be used: option "compress" must be one of none, gzip, zip, not "rar". Fix the options and create the task again.`,
    );
  });

  it("are never retried, whatever their text says (an option's value quoted in the msg)", () => {
    for (const raw of ['{"format": "Lost connection"}', '{"socket hang up": 1}']) {
      let err: unknown;
      try {
        resolveOptions(raw, DEFAULTS);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof OptionsRejected);
      assert.equal(isTransient(err, classifyError(err), "export"), false, raw);
    }
    const sql = new TaskSqlRejected('The task\'s SQL calls "lost connection"(), which ...');
    assert.equal(isTransient(sql, classifyError(sql), "query"), false);
  });

  it("settle the deployment's defaults as a task's own: CSV-only defaults do not apply to XLSX", () => {
    const xlsxDefaults = {
      ...DEFAULTS,
      format: "xlsx" as const,
      splitRows: true,
      compress: "gzip" as const,
    };
    for (const raw of [null, "", "{}"])
      assert.deepEqual(resolveOptions(raw, xlsxDefaults), {
        ...xlsxDefaults,
        splitRows: false,
        compress: "none",
      });
    const gzipDefault = { ...DEFAULTS, compress: "gzip" as const };
    assert.equal(resolveOptions('{"split_rows": true}', gzipDefault).splitRows, true);
    assert.equal(bindOutput(resolveOptions('{"split_rows": true}', gzipDefault)).extension, "zip");
  });
});
