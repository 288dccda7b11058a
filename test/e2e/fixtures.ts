import assert from "node:assert/strict";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import type { TextEncoding } from "../../lib/formats/encoding/encoder.js";
import { decodeText } from "../../lib/local/decode.js";
import { slicePrefix } from "../../lib/slices/objects.js";
import { type Harness, ph, seriesSql, uniqueName } from "../helpers.js";

/** Values that break naive exporters, one per row. */
export const TRICKY: (string | null)[][] = [
  ["张三", "12.50", "2024-01-01 00:00:01", "普通备注"],
  ["李四, 王五", "-0.01", "2024-02-29 23:59:59", 'He said "你好", then left'],
  ["😀 emoji", "99999999.99", "1999-12-31 12:00:00", "第一行\n第二行\r\n第三行"],
  ["𠀀𠀁𠀂 Ext-B", "0.00", "2024-06-01 08:00:00", null],
  ["=SUM(A1:A9)", null, "2024-06-02 08:00:00", ""],
  ["tab\there", "1.10", "2024-06-03 08:00:00", "€ ¥ £ — …"],
];

/**
 * An orders table in the data database: the tricky rows, then `generated` plain rows made by
 * the database itself. Returns its name.
 */
export async function createOrders(db: SqlClient, generated: number): Promise<string> {
  const t = uniqueName("orders");
  const my = db.engine === "mysql";
  await db.query(
    `CREATE TABLE ${t} (id INT PRIMARY KEY, customer VARCHAR(100) NULL, amount ${my ? "DECIMAL" : "NUMERIC"}(12,2) NULL,
     created_at ${my ? "DATETIME" : "TIMESTAMP"} NULL, note TEXT NULL)${my ? " DEFAULT CHARSET=utf8mb4" : ""}`,
  );
  for (const [i, r] of TRICKY.entries()) {
    await db.query(
      `INSERT INTO ${t} VALUES (${ph(db.engine, 1)}, ${ph(db.engine, 2)}, ${ph(db.engine, 3)}, ${ph(db.engine, 4)}, ${ph(db.engine, 5)})`,
      [i + 1, ...r],
    );
  }
  if (generated > 0) {
    const off = TRICKY.length;
    if (my) {
      await db.query(
        `INSERT INTO ${t} SELECT ${off} + s.n, CONCAT('客户', s.n), s.n * 1.01, DATE_ADD('2024-01-01', INTERVAL s.n SECOND),
           IF(s.n % 10 = 0, NULL, CONCAT('备注 ', s.n, ', "q"'))
         FROM ${seriesSql("mysql", generated)}`,
      );
    } else {
      await db.query(
        `INSERT INTO ${t} SELECT ${off} + n, '客户' || n, n * 1.01, timestamp '2024-01-01' + n * interval '1 second',
           CASE WHEN n % 10 = 0 THEN NULL ELSE '备注 ' || n || ', "q"' END
         FROM ${seriesSql("postgres", generated)}`,
      );
    }
  }
  return t;
}

export const ORDERS_TITLE = "序号,客户,金额,下单时间,备注";
export const ordersQuery = (t: string) =>
  `SELECT customer, amount, created_at, note FROM ${t} ORDER BY id`;

/** The same rows, each value cast to text by the database itself (NULL stays null). */
export async function expectedOrders(db: SqlClient, t: string): Promise<(string | null)[][]> {
  const c = (col: string) => (db.engine === "mysql" ? `CAST(${col} AS CHAR)` : `${col}::text`);
  const res = await db.query<Record<string, string | null>>(
    `SELECT ${c("customer")} AS a, ${c("amount")} AS b, ${c("created_at")} AS c, ${c("note")} AS d FROM ${t} ORDER BY id`,
  );
  return res.rows.map((r) => [r.a ?? null, r.b ?? null, r.c ?? null, r.d ?? null]);
}

/** Decodes and parses a downloaded export into header and data rows. */
export function parseExport(
  bytes: Buffer,
  encoding: TextEncoding,
): { header: string[]; rows: string[][] } {
  const records = parse(decodeText(bytes, encoding), { relax_column_count: true }) as string[][];
  return { header: records[0] ?? [], rows: records.slice(1) };
}

/** Nothing of task `id`'s slices is left: no slice object, no multipart upload, no slice row. */
export async function assertNoSlicesLeft(h: Harness, id: number): Promise<void> {
  const bucket = h.config.bucket;
  const listed = await h.app.s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: slicePrefix(h.config.keyPrefix, id) }),
  );
  assert.deepEqual(listed.Contents ?? [], [], "slice objects left");
  const uploads = await h.app.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  assert.deepEqual(uploads.Uploads ?? [], [], "multipart uploads left");
  const slices = await h.app.exportDeps.slicing?.store.list(id);
  assert.deepEqual(slices, [], "slice rows left");
}
