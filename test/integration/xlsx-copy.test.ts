// The XLSX from PostgreSQL's COPY (copy-sheet.ts) against the XLSX from rows (sheet-writer.ts),
// on the real server: the same query must give the same workbook byte for byte, through the
// whole worker (PG_COPY on and off) and through the writers alone (sheet roll-over, the cell
// limit). The table holds every kind the row path types, and the values that take each of the
// COPY writer's ways (bytes as they are, entities and quotes, the string path).
import assert from "node:assert/strict";
import { type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import { createDataSource } from "../../lib/engines/index.js";
import { CellTooLong } from "../../lib/failure/too-large.js";
import { xlsxFormatWith } from "../../lib/formats/xlsx/format.js";
import type { Column } from "../../lib/sources/types.js";
import { STATUS } from "../../lib/status.js";
import {
  download,
  type Harness,
  makeHarness,
  recordInputs,
  serviceUrl,
  uniqueName,
} from "../helpers.js";
import { readZip } from "../unit/zip-read.js";

const COLUMNS = `id INT PRIMARY KEY, i2 SMALLINT, i8 BIGINT, num NUMERIC, f4 REAL, f8 DOUBLE PRECISION,
  b BOOLEAN, d DATE, t TIME, ttz TIMETZ, ts TIMESTAMP(3), tstz TIMESTAMPTZ, iv INTERVAL, js JSON,
  jb JSONB, ba BYTEA, tx TEXT, vc VARCHAR(40), ch CHAR(6), u UUID, arr INT[], oid OID, c "char"`;

// One row per line: every kind, then NULL in every column, then the edges of each.
const ROWS = `
(1, 1, 42, 123.450, 0.1, 1.5, true, '2024-01-01', '12:34:56', '12:00:00+05:30', '2024-01-01 00:00:01.123', '2024-06-30 23:59:59+08',
 '1 year 2 mons -3 days 04:05:06.789', '{"k": "值, \\"q\\""}', '{"a": [1, 2]}', '\\xff00', '张三 😀 𠀀𪚥', 'plain', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2}', 26, 'x'),
(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(3, -32768, 9223372036854775807, 12345678901234567.891, 'NaN', 'Infinity', false, '0044-03-15 BC', '24:00:00', '23:59:59-08', '1899-12-31 23:00:00', '1900-03-01 00:00:00+00',
 '-1 days', '[]', '[]', '', E'say "hi", then\\nleave\\rx\\r\\ny\\t|\\x01\\x1f|', '', ' pad', NULL, '{}', 0, ' '),
(4, 0, -9223372036854775808, 'NaN', '-Infinity', '-Infinity', true, '10000-01-01', '00:00:00.25', '00:00:00+00', '9999-12-31 23:59:59.999', 'infinity',
 '00:00:00', 'null', 'null', '\\x', '_x0041_ _X00aB_ _x12_ & < > ]]> "" ''', '"leading quote', '"q"', NULL, '{NULL}', 4294967295, '"'),
(5, 7, 123456789012345, 0.000000000000000000001, 1e30, 5e-324, false, 'infinity', '23:59:59.999999', '01:02:03.5+01', '2024-02-29 12:00:00', '2024-02-29 12:00:00.5-05:30',
 '1 mon', '1', '1', 'a', E'\\uFFFE\\uFFFF \\uFEFF ok', '  both  ', 'x', NULL, '{3}', 1, ','),
(6, -1, 1000000000000000, -0.0, 3.4028235e38, 1.7976931348623157e308, true, '1900-02-28', '10:00:00', '10:00:00+00', '1900-03-01 00:00:00', '2000-01-01 00:00:00+00',
 '1 day', '"s"', '"s"', 'b', '\\.', '\\.', 'y', NULL, '{4}', 2, 'y'),
(7, 2, 1, 1e-300, -0, 1e-310, false, '2000-01-01', '10:00:00', '10:00:00+00', '2000-01-01 00:00:00', '-infinity',
 '2 days', '{}', '{}', 'c', 'tab' || chr(9) || 'in the middle', 'trailing' || chr(10), 'z', NULL, '{5}', 3, 'z')`;

/** Every entry of a workbook, name and bytes, as Python's zipfile reads them. */
const entries = (bytes: Buffer) =>
  readZip(bytes).entries.map((e) => ({ name: e.name, xml: e.data.toString("utf8") }));

describe("XLSX from PostgreSQL's COPY, against the row path", () => {
  const t = uniqueName("oe_xlsx_copy");
  const sql = `SELECT * FROM ${t} ORDER BY id`;
  const title = `序号,${COLUMNS.split(",")
    .map((c) => c.trim().split(" ")[0])
    .join(",")}`;
  const harnesses: Record<"copy" | "rows", Harness | undefined> = {
    copy: undefined,
    rows: undefined,
  };
  const source = createDataSource(parseDbUrl(serviceUrl("postgres")), {
    statementTimeoutSeconds: 60,
  });

  before(async () => {
    for (const path of ["copy", "rows"] as const)
      harnesses[path] = await makeHarness({
        taskEngine: "postgres",
        dataEngine: "postgres",
        env: { PG_COPY: path === "copy" ? "true" : "false", PG_FAST_PATH: "false" },
      });
    const db = (harnesses.copy as Harness).dataDb;
    await db.query(`CREATE TABLE ${t} (${COLUMNS})`);
    await db.query(`INSERT INTO ${t} VALUES ${ROWS}`);
    // Many more rows, long and short, so that records run across the server's chunks.
    await db.query(
      `INSERT INTO ${t} (id, i8, num, b, ts, tx, vc) SELECT 100 + g, g * 7919, g / 7.0, g % 3 = 0,
         timestamp '2024-01-01' + g * interval '13 seconds',
         CASE WHEN g % 500 = 0 THEN repeat('长 "q" & ', 3000) WHEN g % 7 = 0 THEN '' ELSE '订单 ' || g END,
         CASE WHEN g % 11 = 0 THEN NULL ELSE 'v, ' || g END
       FROM generate_series(1, 20000) g`,
    );
    const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
    await db.query(`GRANT SELECT ON ${t} TO ${reader}`);
  });
  after(async () => {
    await harnesses.copy?.dataDb.query(`DROP TABLE IF EXISTS ${t}`);
    for (const h of Object.values(harnesses)) await h?.close();
  });

  it("the worker writes the same workbook with PG_COPY on and off, each by its own path", {
    timeout: 120_000,
  }, async () => {
    const files: Record<string, { name: string; xml: string }[]> = {};
    for (const path of ["copy", "rows"] as const) {
      const h = harnesses[path] as Harness;
      // Which input the worker's source gave: the server's CSV, or rows.
      const { taken } = recordInputs(h, "copy");
      const id = await h.insertTask({
        name: "类型",
        title,
        query: sql,
        options: '{"format": "xlsx"}',
      });
      await h.runUntilIdle(120);
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.succeeded, `${path}: task ended with msg: ${row?.msg}`);
      assert.equal(row.rowCount, 20_007);
      assert.deepEqual(taken, [path]);
      files[path] = entries((await download(row.filepath as string)).bytes);
    }
    const [copy, rows] = [files.copy ?? [], files.rows ?? []];
    assert.deepEqual(
      copy.map((e) => e.name),
      rows.map((e) => e.name),
    );
    for (const [i, e] of rows.entries()) {
      // Compared as strings, not deepEqual: a diff of 20,000 rows would be unreadable.
      if (copy[i]?.xml !== e.xml) {
        const other = copy[i]?.xml ?? "";
        let at = 0;
        while (at < e.xml.length && e.xml.charCodeAt(at) === other.charCodeAt(at)) at++;
        assert.fail(
          `${e.name} differs at ${at}: copy ${other.slice(at - 80, at + 80)} | rows ${e.xml.slice(at - 80, at + 80)}`,
        );
      }
    }
    // The table's edges made it into the file typed: a number, a date serial, a boolean, text.
    const sheet = rows.find((e) => e.name === "xl/worksheets/sheet1.xml")?.xml ?? "";
    assert.match(sheet, /<c><v>123\.450<\/v><\/c>/);
    assert.match(sheet, / s="2"><v>45292<\/v>/);
    assert.match(sheet, /t="b"><v>1<\/v>/);
    assert.match(sheet, /<t>9223372036854775807<\/t>/);
    assert.match(sheet, /_x005F_x0041_ _x005F_X00aB_ _x12_ &amp; &lt; &gt; \]\]&gt; "" '/);
  });

  /** One query through the writer of one path, with sheets of `rowsPerSheet` rows. */
  async function write(path: "copy" | "rows", query: string, rowsPerSheet: number) {
    const r = path === "copy" ? await source.openRendered?.(query, "rfc4180-csv") : undefined;
    assert.equal(path === "copy", r !== undefined, "a plain SELECT takes the COPY path");
    const o: { input: Readable; close: () => Promise<void>; columns?: Promise<Column[]> } = r
      ? { input: r.bytes, close: r.close, columns: r.columns }
      : await source
          .open(query)
          .then((x) => ({ input: x.rows, close: x.close, columns: x.columns }));
    const writer = xlsxFormatWith({ rowsPerSheet }).createWriter({
      header: ["序号", "a", "b"],
      settings: { encoding: "utf8", escapeFormulas: false },
      input: r ? "rfc4180-csv" : "rows",
      columns: o.columns,
    });
    const parts: Buffer[] = [];
    try {
      await pipeline([
        o.input,
        ...writer.stages,
        new Writable({
          write(c: Buffer, _e, done) {
            parts.push(c);
            done();
          },
        }),
      ]);
    } finally {
      await o.close();
    }
    return { rows: writer.rowCount(), entries: entries(Buffer.concat(parts)) };
  }

  it("rolls over to a new sheet with the title row at the same rows on both paths", async () => {
    const query = `SELECT g AS a, '值 ' || g AS b FROM generate_series(1, 2500) g`;
    const [copy, rows] = [await write("copy", query, 1000), await write("rows", query, 1000)];
    assert.equal(copy.rows, 2500);
    assert.deepEqual(
      copy.entries.filter((e) => e.name.startsWith("xl/worksheets/")).map((e) => e.name),
      ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"],
    );
    assert.ok(
      copy.entries.every(
        (e, i) => e.name === rows.entries[i]?.name && e.xml === rows.entries[i]?.xml,
      ),
    );
    assert.match(
      copy.entries[1]?.xml ?? "",
      /<row r="2"><c r="A2"><v>1001<\/v><\/c><c><v>1001<\/v>/,
    );
  });

  it("fails a value past 32,767 characters at the same row and column on both paths", async () => {
    // Four-byte characters count two each: 16,383 of them and one more character fit, 16,384
    // do not. The long value comes after many rows, some of them full.
    const query = `SELECT g AS a, CASE WHEN g = 3000 THEN repeat('😀', 16384)
        WHEN g % 500 = 0 THEN repeat('😀', 16383) || 'x' ELSE 'v' || g END AS b
      FROM generate_series(1, 3001) g`;
    for (const path of ["copy", "rows"] as const) {
      const err = await write(path, query, 1_048_575).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof CellTooLong, `${path}: ${String(err)}`);
      assert.deepEqual([err.row, err.column], [3000, 2], path);
    }
  });
});
