// The MySQL fast path against the row path value by value on the real MariaDB, at the source
// and CSV writer (no worker): one SELECT of expressions whose types, charsets and bytes the two
// read differently, each written with every encoding and Excel option.
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import { mysqlSource } from "../../lib/engines/mysql/source.js";
import { csvFormat } from "../../lib/formats/csv/format.js";
import type { TextEncoding } from "../../lib/formats/encoding/encoder.js";
import type { Column } from "../../lib/sources/types.js";
import { readerUrl } from "../helpers.js";

const EXPRS = [
  "_latin1 x'E9'",
  "CONVERT('中文' USING gbk)",
  "CONVERT('é' USING latin1)",
  "CAST('é' AS BINARY)",
  "x''",
  "b''",
  "b'0'",
  "CAST(b'1' AS UNSIGNED)",
  "NULL",
  "''",
  "x'00'",
  "CHAR(0)",
  "x'EFBBBF41'",
  "x'EDA080'",
  "x'F4908080'",
  "x'C0'",
  "POINT(1, 2)",
  "ST_AsBinary(POINT(1, 2))",
  "INET6_ATON('::1')",
  "'\\t-tab'",
  "'=1'",
  "'-1'",
  "'+1e5'",
  "' -1'",
  "'-'",
  "'-1,5'",
  "'\"'",
  "'\"\"'",
  "'a\\rb'",
  "'\\r'",
  "'\\n'",
  "'012'",
  "'123456789012'",
  "'12345678901X'",
  "'123456789012X'",
  "REPEAT('1', 64)",
  "REPEAT('1', 65)",
  "CONCAT(REPEAT('a', 16383), '😀')",
  "CONCAT('=', REPEAT('\"', 20000))",
  "CONCAT('-', REPEAT('1', 20000))",
  "CAST(0.1 AS DOUBLE) + 0.2",
  "1/3",
  "CAST(-0.0 AS DOUBLE)",
  "18446744073709551615",
  "CAST('2020-01-01 00:00:00.5' AS DATETIME(6))",
  "CAST('-838:59:59' AS TIME)",
  "JSON_OBJECT('k', 'v\"')",
  "JSON_EXTRACT('{\"a\": 1}', '$.a')",
  "x'E282AC'",
  "CAST(x'E282AC' AS CHAR CHARACTER SET utf8mb4)",
  "CAST(x'FF' AS CHAR CHARACTER SET utf8mb4)",
  "CAST(x'FF' AS CHAR CHARACTER SET latin1)",
  "CAST(x'81' AS CHAR CHARACTER SET gbk)",
  "CAST(x'80' AS CHAR CHARACTER SET binary)",
];

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(parts);
}

async function csvOn(
  path: "rows" | "fast",
  sql: string,
  settings: { encoding: TextEncoding; escapeFormulas: boolean; longDigitsAsText: boolean },
): Promise<Buffer> {
  const source = mysqlSource(parseDbUrl(readerUrl("mysql")), { statementTimeoutSeconds: 30 });
  let input: Readable;
  let close: () => Promise<void>;
  let columns: Promise<Column[]> | undefined;
  if (path === "fast") {
    const r = await source.openRendered?.(sql, "rfc4180-csv");
    assert.ok(r);
    ({ bytes: input, close, columns } = r);
  } else ({ rows: input, close, columns } = await source.open(sql));
  const header = ["序号", ...EXPRS.map((_, i) => `c${i}`)];
  const w = csvFormat.createWriter({
    header,
    settings,
    input: path === "fast" ? "rfc4180-csv" : "rows",
    columns,
  });
  const parts: Buffer[] = [];
  try {
    const run = pipeline as unknown as (...streams: unknown[]) => Promise<void>;
    await run(input, ...w.stages, async (src: Readable) => {
      parts.push(await collect(src));
    });
  } finally {
    await close();
  }
  return Buffer.concat(parts);
}

describe("the MySQL fast path, value by value", () => {
  const sql = `SELECT ${EXPRS.map((e, i) => `${e} AS c${i}`).join(", ")}`;
  for (const settings of [
    { encoding: "utf8", escapeFormulas: true, longDigitsAsText: true },
    { encoding: "utf8", escapeFormulas: false, longDigitsAsText: false },
    { encoding: "gb18030", escapeFormulas: true, longDigitsAsText: true },
    { encoding: "utf8-bom", escapeFormulas: true, longDigitsAsText: false },
  ] as const)
    it(`writes the row path's bytes: ${JSON.stringify(settings)}`, async () => {
      const fast = await csvOn("fast", sql, settings);
      const rows = await csvOn("rows", sql, settings);
      if (!fast.equals(rows)) {
        const a = fast.toString("latin1").split(",");
        const b = rows.toString("latin1").split(",");
        const i = a.findIndex((v, k) => v !== b[k]);
        assert.fail(
          `differ at field ${i}: fast ${JSON.stringify(a[i]?.slice(0, 80))} rows ${JSON.stringify(b[i]?.slice(0, 80))}`,
        );
      }
    });
});
