// The MySQL fast path (rendered-rows.ts: CSV from the row packets' bytes) against the row path
// (mysql2's rows as strings), through the whole worker on the real MariaDB: the same query must
// give the same file byte for byte, with MYSQL_FAST_PATH on and off, for every option that
// changes cells (Excel escaping and long digits, each encoding, XLSX). The table holds the types
// the row path reads in its own ways (BIT, binary strings, JSON, ENUM/SET, unsigned 64-bit,
// DATETIME(3), YEAR, TIME, spatial) and the values that need quoting or are not UTF-8.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Harness, makeHarness, seriesSql, uniqueName } from "../helpers.js";
import { assertSameBytes, assertSameWorkbook, exportOn } from "./same-output.js";

const COLUMNS = `id INT PRIMARY KEY, u BIGINT UNSIGNED, i BIGINT, ti TINYINT, dec_ DECIMAL(30,10),
  f FLOAT, dbl DOUBLE, bit_ BIT(12), b1 BIT(1), d DATE, dt DATETIME(3), ts TIMESTAMP(6) NULL,
  tm TIME(2), y YEAR, js JSON, en ENUM('甲','b,c','"q"'), st SET('x','y','z'), vc VARCHAR(200),
  tx LONGTEXT, ch CHAR(4), bn BINARY(4), vb VARBINARY(40), bl BLOB, g GEOMETRY NULL,
  l1 VARCHAR(40) CHARACTER SET latin1`;

// One row per line: every kind, NULL in every column, then the edges of each.
const ROWS = `
(1, 18446744073709551615, -9223372036854775808, -128, 12345678901234567890.0123456789,
 0.1, 1.7976931348623157e308, b'101010101010', b'1', '2024-02-29', '2024-01-01 00:00:01.123',
 '2024-06-30 23:59:59.999999', '-838:59:59.99', 2155, '{"k": "值, \\\\"q\\\\"", "n": 12345678901234567890}',
 '甲', 'x,z', '张三 😀 𠀀𪚥 say "hi", then', 'line\\nbreak\\r\\nand\\rcr', 'ab', 'ab', X'DEADBEEF', X'00FF',
 ST_GeomFromText('POINT(1 2)'), 'café'),
(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(3, 0, 9223372036854775807, 127, -0.0000000001, -3.4e38, 5e-324, b'0', b'0', '1000-01-01',
 '9999-12-31 23:59:59.999', NULL, '00:00:00', 1901, '[]', 'b,c', '', '', 'cr\\ronly', '', X'00000000', X'',
 '', NULL, ''),
(4, 12345678901234, 1, 0, 0, 0, 0, b'111111111111', b'1', '2000-01-01', '2000-01-01 00:00:00',
 '2000-01-01 00:00:00', '12:00:00.5', 2000, 'null', '"q"', 'x,y,z', '=1+2', '-12.5e3', '0012',
 'text', 'utf8 文字', '文字', NULL, '=cmd'),
(5, 1, 2, 3, 4, 5, 6, b'1', b'1', '2001-01-01', '2001-01-01 01:01:01.5', NULL, '01:02:03', 2001,
 '"s"', NULL, NULL, '+86 138 0000 0000', '@user', '"', X'C328FF00', X'E282', X'F0908080', NULL, '"a,b"'),
(6, 7, 8, 9, 10, 11, 12, b'10', b'0', '2002-02-02', '2002-02-02 02:02:02', NULL, '02:02:02', 2002,
 '{}', '甲', 'y', '123456789012345678', '110101199003077777X', '0123', X'EFBFBD00', X'C0AF', X'EDA080',
 NULL, '\\t-tab')`;

describe("the MySQL fast path writes what the row path writes", () => {
  const t = uniqueName("oe_mysql_fast");
  const sql = `SELECT * FROM ${t} ORDER BY id`;
  const title = `序号,${COLUMNS.split(/,\s*(?=[a-z_0-9]+ [A-Z])/)
    .map((c) => c.trim().split(" ")[0])
    .join(",")}`;
  const harnesses: Record<"fast" | "rows", Harness | undefined> = {
    fast: undefined,
    rows: undefined,
  };

  before(async () => {
    for (const path of ["fast", "rows"] as const)
      harnesses[path] = await makeHarness({
        taskEngine: "mysql",
        dataEngine: "mysql",
        env: { MYSQL_FAST_PATH: path === "fast" ? "true" : "false" },
      });
    const db = (harnesses.fast as Harness).dataDb;
    await db.query(`CREATE TABLE ${t} (${COLUMNS}) CHARACTER SET utf8mb4`);
    await db.query(`INSERT INTO ${t} VALUES ${ROWS}`);
    // Many more rows, long and short, so that rows run across packets and socket reads: long
    // cells past the row layout's 16K slices, quotes, commas, and binary values now and then.
    await db.query(
      `INSERT INTO ${t} (id, u, dec_, dt, vc, tx, vb)
       SELECT 100 + g, g * 7919, g / 7, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (g * 13) SECOND,
         IF(g % 11 = 0, NULL, CONCAT('v, ', g)),
         CASE WHEN g % 500 = 0 THEN REPEAT('长 "q" & ', 3000) WHEN g % 7 = 0 THEN '' ELSE CONCAT('订单 ', g) END,
         IF(g % 13 = 0, UNHEX(HEX(g * 65537)), NULL)
       FROM (SELECT n AS g FROM ${seriesSql("mysql", 2000)}) series`,
    );
    // The reader (the harness's data user) may already read every table of this database.
  });
  after(async () => {
    await harnesses.fast?.dataDb.query(`DROP TABLE IF EXISTS ${t}`);
    for (const h of Object.values(harnesses)) await h?.close();
  });

  const exportOnPath = (path: "fast" | "rows", options?: string) =>
    exportOn(harnesses[path] as Harness, path, { name: "类型", title, query: sql, options }, 2006);

  const options = [
    undefined, // the deployment's defaults: GB18030, formulas escaped, long digits as text
    '{"escape_formulas": false, "long_digits_as_text": false}',
    '{"encoding": "utf8"}',
    '{"encoding": "utf8-bom", "escape_formulas": false}',
  ];
  for (const o of options)
    it(`the same CSV with MYSQL_FAST_PATH on and off: ${o ?? "defaults"}`, {
      timeout: 120_000,
    }, async () => {
      const fast = await exportOnPath("fast", o);
      const rows = await exportOnPath("rows", o);
      assert.deepEqual(fast.taken, ["fast"]);
      assert.deepEqual(rows.taken, ["rows"]);
      assertSameBytes(fast.bytes, rows.bytes);
      if (o?.includes('"utf8"')) {
        // GEOMETRY comes as bytes typed as text: not UTF-8, read as mysql2 decodes it (U+FFFD).
        assert.ok(fast.bytes.toString("utf8").includes("\u0000\ufffd?\u0000"));
        const text = fast.bytes.toString("utf8");
        // The values the row path reads its own ways, as it reads them.
        for (const cell of [
          "18446744073709551615", // unsigned 64-bit, not rounded
          "2730", // BIT(12) 101010101010 as its number
          ",0xDEADBEEF,", // binary that is not UTF-8, as hex
          "2024-01-01 00:00:01.123",
          '"张三 😀 𠀀𪚥 say ""hi"", then"',
          '"line\nbreak\r\nand\rcr"',
          ",0xC328FF00,", // BINARY(4) that is not UTF-8
          ",\ufffd\u0000,", // BINARY(4) that is UTF-8 (U+FFFD, NUL) stays text
          ",0xC0AF,", // an overlong form is not UTF-8
          ",0xEDA080,", // nor is a surrogate
          ",𐀀,", // F0 90 80 80 is
        ])
          assert.ok(text.includes(cell), `the file holds ${JSON.stringify(cell)}`);
      }
    });

  it("the same workbook with MYSQL_FAST_PATH on and off", { timeout: 120_000 }, async () => {
    const fast = await exportOnPath("fast", '{"format": "xlsx"}');
    const rows = await exportOnPath("rows", '{"format": "xlsx"}');
    assert.deepEqual(fast.taken, ["fast"]);
    assert.deepEqual(rows.taken, ["rows"]);
    assertSameWorkbook(fast.bytes, rows.bytes);
  });
});
