// Per-task options through the whole pipeline on each engine (task and data on it): a row
// inserted with an `options` column -> scheduler -> SQS -> worker -> S3 -> the link. Each file
// is opened with a reader of its own (csv-parse; Python's gzip and zipfile; exceljs for XLSX)
// and compared value by value with what the database holds, as Excel should show it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import type { Engine } from "../../lib/db/url.js";
import { STATUS } from "../../lib/status.js";
import { deleteObject } from "../../lib/storage.js";
import { download, type Harness, makeHarness, seriesSql, uniqueName } from "../helpers.js";
import { readWithExcelJs } from "../unit/xlsx-read.js";
import { readZip } from "../unit/zip-read.js";

const TITLE = "序号,身份证号,电话,金额,大数,备注";

// id card (text), phone (text), amount (numeric), big (a number column), note (text).
const ROWS: [string, string, string, string, string][] = [
  [
    "110105194912310021",
    "05718888888",
    "12.50",
    "123456789012345678",
    '=HYPERLINK("http://x","y")',
  ],
  ["11010519491231002X", "13800138000", "-3.00", "1", "@SUM(A1)"],
  ["张三", "0", "0.00", "2", "-12.5"],
  ["000123", "+86 571", "1000000.25", "3", '中文，逗号,引号"换行\n完'],
];

/** What each cell should read as in a CSV opened by Excel, given the options. */
function expectedCsv(escaping: boolean, longDigits: boolean): string[][] {
  const text = (v: string) => {
    if (longDigits && /^(\d{12,}[Xx]?|0\d+)$/.test(v)) return `="${v}"`;
    const formula = /^[=+\-@\t\r]/.test(v) && !/^[+-]?\d+(\.\d+)?$/.test(v);
    return escaping && formula ? `'${v}` : v;
  };
  return ROWS.map((r, i) => [String(i + 1), text(r[0]), text(r[1]), r[2], r[3], text(r[4])]);
}

function python(script: string, input: Buffer): Buffer {
  const r = spawnSync("python3", ["-c", script], { input, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

const gunzip = (b: Buffer) =>
  python("import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))", b);

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`task options through the pipeline, ${engine}`, () => {
    let h: Harness;
    let table: string;
    before(async () => {
      // The product's defaults, not the other end-to-end tests' exact-text settings.
      h = await makeHarness({
        taskEngine: engine,
        dataEngine: engine,
        env: { CSV_ESCAPE_FORMULAS: "", CSV_LONG_DIGITS_AS_TEXT: "" },
      });
      table = uniqueName("oe_opts");
      const text = engine === "postgres" ? "TEXT" : "VARCHAR(200)";
      await h.dataDb.query(
        `CREATE TABLE ${table} (id INT PRIMARY KEY, id_card ${text}, phone ${text}, amount NUMERIC(12,2), big DECIMAL(20,0), note ${text})`,
      );
      for (const [i, r] of ROWS.entries()) {
        const p = (n: number) => (engine === "mysql" ? "?" : `$${n}`);
        await h.dataDb.query(
          `INSERT INTO ${table} VALUES (${[1, 2, 3, 4, 5, 6].map(p).join(", ")})`,
          [i + 1, ...r],
        );
      }
      // The MySQL reader reads the whole data database; the PostgreSQL one table by table.
      if (engine === "postgres") {
        const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
        await h.dataDb.query(`GRANT SELECT ON ${table} TO ${reader}`);
      }
    });
    after(async () => {
      await h.dataDb.query(`DROP TABLE IF EXISTS ${table}`);
      await h.close();
    });

    const query = () => `SELECT id_card, phone, amount, big, note FROM ${table} ORDER BY id`;

    /** Runs one task with these options; the finished row and the downloaded file. */
    async function run(options: string | null, sql = query()) {
      const id = await h.insertTask({ name: "选项", title: TITLE, query: sql, options });
      await h.runUntilIdle(300);
      const row = await h.app.exportDeps.tasks.get(id);
      assert.ok(row);
      if (row.status !== STATUS.succeeded) return { row, file: undefined };
      const file = await download(row.filepath as string);
      assert.equal(file.status, 200);
      assert.equal(file.bytes.length, row.byteCount);
      await deleteObject(h.app.s3, h.config.bucket, row.s3Key as string);
      return { row, file };
    }

    const csvRows = (text: string) => parse(text) as string[][];

    it("defaults: GB18030, formulas escaped, long digits kept as text in text columns only", async () => {
      const { row, file } = await run(null);
      assert.equal(row.status, STATUS.succeeded, row.msg ?? "");
      assert.ok(file);
      assert.equal(file.headers.get("content-type"), "text/csv; charset=GB18030");
      const [header, ...rows] = csvRows(iconv.decode(file.bytes, "gb18030"));
      assert.deepEqual(header, TITLE.split(","));
      assert.deepEqual(rows, expectedCsv(true, true));
    });

    it("escape_formulas and long_digits_as_text off, UTF-8 with BOM: the database's text as it is", async () => {
      const { row, file } = await run(
        '{"escape_formulas": false, "long_digits_as_text": 0, "encoding": "utf8-bom"}',
      );
      assert.equal(row.status, STATUS.succeeded, row.msg ?? "");
      assert.ok(file);
      assert.deepEqual([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
      assert.equal(file.headers.get("content-type"), "text/csv; charset=utf-8");
      const [, ...rows] = csvRows(file.bytes.subarray(3).toString("utf8"));
      assert.deepEqual(rows, expectedCsv(false, false));
    });

    it("compress gzip: a .csv.gz Python's gzip opens", async () => {
      const { row, file } = await run('{"compress": "gzip"}');
      assert.equal(row.status, STATUS.succeeded, row.msg ?? "");
      assert.ok(file);
      assert.equal(file.headers.get("content-type"), "application/gzip");
      assert.match(file.headers.get("content-disposition") ?? "", /\.csv\.gz$/);
      const [, ...rows] = csvRows(iconv.decode(gunzip(file.bytes), "gb18030"));
      assert.deepEqual(rows, expectedCsv(true, true));
    });

    it("compress zip: a .zip holding export.csv, read by Python's zipfile", async () => {
      const { row, file } = await run('{"compress": "zip", "encoding": "utf8"}');
      assert.equal(row.status, STATUS.succeeded, row.msg ?? "");
      assert.ok(file);
      assert.equal(file.headers.get("content-type"), "application/zip");
      assert.match(file.headers.get("content-disposition") ?? "", /\.zip$/);
      const zip = readZip(file.bytes);
      assert.deepEqual(
        zip.entries.map((e) => e.name),
        ["export.csv"],
      );
      const [, ...rows] = csvRows(zip.entries[0]?.data.toString("utf8") ?? "");
      assert.deepEqual(rows, expectedCsv(true, true));
    });

    it("format xlsx: numbers as numbers, long digit strings as text, the title bold", async () => {
      const { row, file } = await run('{"format": "xlsx"}');
      assert.equal(row.status, STATUS.succeeded, row.msg ?? "");
      assert.ok(file);
      assert.match(file.headers.get("content-disposition") ?? "", /\.xlsx$/);
      const ws = (await readWithExcelJs(file.bytes)).worksheets[0];
      assert.ok(ws);
      assert.equal(ws.getRow(1).getCell(2).font?.bold, true);
      for (const [i, r] of ROWS.entries()) {
        const cells = ws.getRow(i + 2) as { getCell(n: number): { value: unknown } };
        const values: unknown[] = [1, 2, 3, 4, 5, 6].map((n) => cells.getCell(n).value);
        assert.deepEqual(
          values,
          [i + 1, r[0], r[1], Number(r[2]), r[3].length > 15 ? r[3] : Number(r[3]), r[4]],
          `row ${i + 1}`,
        );
      }
    });

    it("bad options end in 3 at the first attempt, naming the option and its values", async () => {
      for (const [options, msg] of [
        ['{"compress": "rar"}', /option "compress" must be one of none, gzip, zip, not "rar"/],
        ['{"fromat": "xlsx"}', /unknown option "fromat" \(the options are format, encoding/],
        ["not json", /options must be a JSON object/],
        ['{"format": "xlsx", "split_rows": true}', /option "split_rows" applies to CSV only/],
      ] as const) {
        const { row } = await run(options);
        assert.equal(row.status, STATUS.failed, options);
        assert.equal(row.task.attempts, 1);
        assert.match(row.msg ?? "", /^The task's options cannot be used: /);
        assert.match(row.msg ?? "", msg);
        assert.equal(row.filepath, null);
      }
    });

    it("past a sheet: 2.1M rows without split_rows succeed with a msg; split_rows gives three parts whose numbers continue", {
      timeout: 600_000,
    }, async () => {
      const total = 2_100_000;
      const sql = `SELECT s.n AS n FROM ${seriesSql(engine, total)} ORDER BY s.n`;
      const plain = await run(
        '{"compress": "gzip", "escape_formulas": false, "long_digits_as_text": false}',
        sql,
      );
      assert.equal(plain.row.status, STATUS.succeeded, plain.row.msg ?? "");
      assert.equal(plain.row.rowCount, total);
      assert.match(
        plain.row.msg ?? "",
        /^Exported 2,100,000 rows\. Excel shows only the first 1,048,575 rows of a CSV/,
      );
      const split = await run('{"split_rows": true, "encoding": "utf8"}', sql);
      assert.equal(split.row.status, STATUS.succeeded, split.row.msg ?? "");
      assert.equal(split.row.msg, null);
      assert.ok(split.file);
      // Python's zipfile: each part's name, first and last lines, and line count.
      const summary = python(
        `import sys, zipfile, io, json
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
out = []
for i in z.infolist():
    lines = z.read(i).decode("utf-8").split("\\r\\n")
    out.append([i.filename, lines[0], lines[1], lines[-2], len(lines) - 2])
print(json.dumps(out))`,
        split.file.bytes,
      );
      assert.deepEqual(JSON.parse(summary.toString("utf8")), [
        [
          "export-1.csv",
          "序号,身份证号,电话,金额,大数,备注",
          "1,1,,,,",
          "1048575,1048575,,,,",
          1_048_575,
        ],
        [
          "export-2.csv",
          "序号,身份证号,电话,金额,大数,备注",
          "1048576,1048576,,,,",
          "2097150,2097150,,,,",
          1_048_575,
        ],
        [
          "export-3.csv",
          "序号,身份证号,电话,金额,大数,备注",
          "2097151,2097151,,,,",
          "2100000,2100000,,,,",
          2_850,
        ],
      ]);
    });
  });
}
