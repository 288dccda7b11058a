import type { SqlClient } from "../lib/db/sql-client.js";
import type { Engine } from "../lib/db/url.js";

export const BENCH_TABLE = "oe_bench_orders";

const DIGITS =
  "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";

/**
 * Orders with mixed Chinese and ASCII text (about 78 bytes a row as GB18030 CSV, so 2M rows is
 * about 155 MB), made by the server itself. Kept between runs: rebuilt only if the row count
 * differs.
 */
export async function ensureBenchData(db: SqlClient, rows: number): Promise<boolean> {
  const n = Math.floor(rows);
  const count = await db
    .query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${BENCH_TABLE}`)
    .then((r) => Number(r.rows[0]?.n))
    .catch(() => -1);
  if (count === n) return false;
  await db.query(`DROP TABLE IF EXISTS ${BENCH_TABLE}`);
  await db.query(
    `CREATE TABLE ${BENCH_TABLE} (id BIGINT PRIMARY KEY, order_no VARCHAR(20) NOT NULL, customer VARCHAR(20) NOT NULL,
      city VARCHAR(20) NOT NULL, amount DECIMAL(12,2) NOT NULL, created_at TIMESTAMP NOT NULL, note VARCHAR(60) NULL)`,
  );
  const names = ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十"];
  const cities = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉"];
  const notes = ["加急", "门店自提, 周末送达", '备注 "VIP"', "", "普通订单", "ok"];
  if (db.engine === "postgres") {
    const arr = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(",")}]`;
    await db.query(
      `INSERT INTO ${BENCH_TABLE} SELECT g, 'ORD-' || lpad(g::text, 9, '0'), (${arr(names)})[1 + g % 8], (${arr(cities)})[1 + g % 7],
        ((g * 7919) % 1000000) / 100.0, timestamp '2024-01-01 00:00:00' + g * interval '13 seconds',
        CASE WHEN g % 11 = 0 THEN NULL ELSE (${arr(notes)})[1 + g % 6] END
       FROM generate_series(1::bigint, ${n}) g`,
    );
  } else {
    // Seven digits reach 10M; the eighth counts tens of millions, only as many as needed.
    const tens = Array.from(
      { length: Math.max(1, Math.ceil(n / 1e7)) },
      (_, i) => `SELECT ${i} n`,
    ).join(" UNION ALL ");
    const elt = (xs: string[], i: string) =>
      `ELT(${i}, ${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(",")})`;
    await db.query(
      `INSERT INTO ${BENCH_TABLE} SELECT g, CONCAT('ORD-', LPAD(g, 9, '0')), ${elt(names, "1 + g % 8")}, ${elt(cities, "1 + g % 7")},
        ((g * 7919) % 1000000) / 100.0, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (g * 13) SECOND,
        IF(g % 11 = 0, NULL, ${elt(notes, "1 + g % 6")})
       FROM (SELECT 1 + a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n + 100000 * f.n + 1000000 * h.n + 10000000 * i.n AS g
             FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} d, ${DIGITS} e, ${DIGITS} f, ${DIGITS} h, (${tens}) i) s
       WHERE g <= ${n}`,
    );
  }
  return true;
}

export const benchQuery = (limit?: number) =>
  `SELECT id, order_no, customer, city, amount, created_at, note FROM ${BENCH_TABLE}${limit ? ` WHERE id <= ${Math.floor(limit)}` : ""} ORDER BY id`;

export type { Engine };
