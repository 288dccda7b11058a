import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { classifyError, createDataSource } from "../../lib/engines/index.js";
import { mysqlSource } from "../../lib/engines/mysql/source.js";
import { postgresSource } from "../../lib/engines/postgres/source.js";
import { describeFailure } from "../../lib/failure/describe.js";
import { isTransient } from "../../lib/failure/policy.js";
import { BATCH_ROWS } from "../../lib/sources/row-limits.js";
import type { DataSource } from "../../lib/sources/types.js";
import { ENGINES, seriesSql, serviceUrl, sqlClient, uniqueName } from "../helpers.js";

async function readAll(source: DataSource, sql: string): Promise<unknown[][]> {
  const s = await source.open(sql);
  try {
    const rows: unknown[][] = [];
    for await (const batch of s.rows) rows.push(...(batch as unknown[][]));
    return rows;
  } finally {
    await s.close();
  }
}

async function readError(source: DataSource, sql: string): Promise<unknown> {
  try {
    await readAll(source, sql);
  } catch (err) {
    return err;
  }
  assert.fail(`expected ${sql} to fail`);
}

const TYPES = {
  mysql: `(id INT PRIMARY KEY, ts DATETIME, ts6 DATETIME(6), d DATE, amount DECIMAL(20,6), big BIGINT, flag BOOLEAN,
           f DOUBLE, txt TEXT, js JSON, bits BIT(8), bin VARBINARY(10)) DEFAULT CHARSET=utf8mb4`,
  postgres: `(id INT PRIMARY KEY, ts TIMESTAMP, ts6 TIMESTAMP(6), d DATE, amount NUMERIC(20,6), big BIGINT, flag BOOLEAN,
              f DOUBLE PRECISION, txt TEXT, js JSONB, bits BIT(8), bin BYTEA)`,
};
const COLS = ["ts", "ts6", "d", "amount", "big", "flag", "f", "txt", "js", "bits", "bin"];

for (const engine of ENGINES) {
  describe(`${engine} source`, () => {
    let db: SqlClient;
    let source: DataSource;
    const t = uniqueName("src");
    before(async () => {
      db = sqlClient(engine);
      source = createDataSource(parseDbUrl(serviceUrl(engine)), { statementTimeoutSeconds: 2 });
      await db.query(`CREATE TABLE ${t} ${TYPES[engine]}`);
      const bits = engine === "mysql" ? "b'00000101'" : "B'00000101'";
      const bin = engine === "mysql" ? "X'FF00'" : "'\\xff00'";
      await db.query(
        `INSERT INTO ${t} VALUES (1, '2024-01-01 00:00:01', '2024-01-01 00:00:01.123456', '2024-02-29', 12345678901234.000001,
         9007199254740993, TRUE, 0.1, '中文 "引号", 逗号\n换行 😀𠀀', '{"k": "值"}', ${bits}, ${bin})`,
      );
      await db.query(`INSERT INTO ${t} (id) VALUES (2)`);
    });
    after(async () => {
      await db.query(`DROP TABLE IF EXISTS ${t}`);
      await db.close();
    });

    it("returns every value as the database's own text, in column order, NULL as null", async () => {
      const rows = await readAll(source, `SELECT ${COLS.join(", ")} FROM ${t} ORDER BY id`);
      // What the server prints for the same values, cast to text by the server itself.
      const cast = COLS.map((c) => (engine === "mysql" ? `CAST(${c} AS CHAR)` : `${c}::text`));
      if (engine === "mysql") {
        cast[9] = "CAST(bits + 0 AS CHAR)"; // BIT shows as its number
        cast[10] = "CONCAT('0x', HEX(bin))"; // bytes that are not UTF-8 show as a hex literal
      } else {
        cast[5] = "CASE WHEN flag THEN 't' WHEN NOT flag THEN 'f' END"; // as psql and COPY print it
      }
      const expected = await db.query<Record<string, string | null>>(
        `SELECT ${cast.map((c, i) => `${c} AS c${i}`).join(", ")} FROM ${t} ORDER BY id`,
      );
      assert.equal(rows.length, 2);
      for (const [r, row] of rows.entries()) {
        const want = COLS.map((_, i) => expected.rows[r]?.[`c${i}`] ?? null);
        assert.deepEqual(row, want);
      }
      const first = rows[0] as string[];
      assert.equal(first[0], "2024-01-01 00:00:01", "timestamp, not epoch ms");
      assert.equal(first[1], "2024-01-01 00:00:01.123456");
      assert.equal(first[3], "12345678901234.000001", "exact decimal");
      assert.equal(first[4], "9007199254740993", "bigint beyond 2^53 unrounded");
      assert.equal(first[7], '中文 "引号", 逗号\n换行 😀𠀀');
      assert.deepEqual(rows[1], Array(COLS.length).fill(null));
    });

    it("runs read-only: statements that write fail and change nothing", async () => {
      const writes = [
        `DELETE FROM ${t}`,
        `UPDATE ${t} SET txt = 'x'`,
        `INSERT INTO ${t} (id) SELECT id + 100 FROM ${t}`,
        `DROP TABLE ${t}`,
        engine === "mysql" ? `SELECT * FROM ${t} FOR UPDATE` : `CREATE TABLE ${t}_x (id int)`,
        engine === "mysql"
          ? `CREATE TEMPORARY TABLE ${t}_tmp (id int)`
          : `WITH d AS (DELETE FROM ${t} RETURNING id) SELECT * FROM d`,
      ];
      // The engine's source without the statement guard: the transaction itself must refuse.
      const db0 = parseDbUrl(serviceUrl(engine));
      const unguarded = (engine === "mysql" ? mysqlSource : postgresSource)(db0, {
        statementTimeoutSeconds: 2,
      });
      for (const sql of writes) {
        const err = await readError(unguarded, sql);
        const msg = describeFailure(err, classifyError(err), "query", {
          timeoutSeconds: 2,
          secrets: [],
        });
        assert.match(msg, /read-only|READ ONLY/i, `${sql}: ${msg}`);
      }
      // And the guarded source refuses the obvious ones before they reach the server.
      const deleteError = await readError(source, `DELETE FROM ${t}`);
      const refused = describeFailure(deleteError, classifyError(deleteError), "query", {
        timeoutSeconds: 2,
        secrets: [],
      });
      assert.match(refused, /^Only a single SELECT .* starts with DELETE/);
      if (engine === "postgres") {
        // Nor can the task switch its transaction to read-write first. (On MySQL one statement
        // cannot both switch and write, and the connection is closed after every export.)
        await readError(unguarded, "SELECT set_config('transaction_read_only', 'off', true)");
      }
      const count = await db.query<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM ${t} WHERE txt IS NULL OR txt <> 'x'`,
      );
      assert.equal(Number(count.rows[0]?.n), 2);
    });

    it("refuses several statements in one task", async () => {
      const err = await readError(source, `SELECT 1; DELETE FROM ${t}`);
      assert.ok(err instanceof Error);
      const count = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${t}`);
      assert.equal(Number(count.rows[0]?.n), 2);
    });

    it("stops a query at the statement timeout", async () => {
      const started = Date.now();
      const err = await readError(
        source,
        engine === "mysql" ? "SELECT SLEEP(10)" : "SELECT pg_sleep(10)",
      );
      assert.ok(Date.now() - started < 8000, "stopped well before the query would end");
      assert.match(
        describeFailure(err, classifyError(err), "query", { timeoutSeconds: 2, secrets: [] }),
        /longer than the 2-second limit/,
      );
    });

    it("streams with backpressure: a paused reader does not buffer the whole result", async () => {
      // Its own source: the shared one's 2-second timeout is for the timeout test, not a busy machine.
      const roomy = createDataSource(parseDbUrl(serviceUrl(engine)), {
        statementTimeoutSeconds: 120,
      });
      const s = await roomy.open(`SELECT s.n, REPEAT('x', 100) FROM ${seriesSql(engine, 200000)}`);
      try {
        let seen = 0;
        let batches = 0;
        for await (const batch of s.rows) {
          seen += (batch as unknown[][]).length;
          batches += 1;
          if (batches === 3) {
            await new Promise((r) => setTimeout(r, 300));
            // While we waited, the stream may have buffered only up to its high-water mark:
            // one batch (of at most BATCH_ROWS rows), and one more on its way in.
            assert.ok(s.rows.readableLength <= 2, `buffered ${s.rows.readableLength} batches`);
          }
        }
        assert.equal(seen, 200000);
        assert.ok(batches >= 200000 / BATCH_ROWS, `${batches} batches`);
      } finally {
        await s.close();
      }
    });

    it("ends the row stream with the server's error when its connection is killed mid-stream", {
      timeout: 30_000,
    }, async () => {
      const marker = uniqueName("killme");
      const slow =
        engine === "postgres"
          ? `SELECT n, '${marker}' AS m, CASE WHEN n % 500 = 0 THEN pg_sleep(0.02)::text END FROM ${seriesSql(engine, 100_000)}`
          : `SELECT n, '${marker}' AS m, IF(n % 500 = 0, SLEEP(0.02), 0) FROM ${seriesSql(engine, 100_000)}`;
      const s = await createDataSource(parseDbUrl(serviceUrl(engine)), {
        statementTimeoutSeconds: 120,
      }).open(slow);
      let rows = 0;
      const ended = new Promise<unknown>((resolve) => {
        s.rows.on("data", (batch: unknown[][]) => {
          rows += batch.length;
        });
        s.rows.on("error", resolve);
        s.rows.on("end", () => resolve(undefined));
      });
      while (rows < 1000) await new Promise((r) => setTimeout(r, 20));
      if (engine === "postgres") {
        await db.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'offline-export-worker' AND query LIKE $1",
          [`%${marker}%`],
        );
      } else {
        const res = await db.query<{ id: number }>(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()",
          [`%${marker}%`],
        );
        for (const r of res.rows) await db.query(`KILL CONNECTION ${Number(r.id)}`);
      }
      const err = (await ended) as { code?: string } | undefined;
      await s.close();
      assert.ok(err, "the stream must error, not end or hang");
      assert.ok(rows < 100_000, `stopped early (${rows} rows)`);
      assert.equal(isTransient(err, classifyError(err), "query"), true, `retryable: ${err?.code}`);
    });
  });
}
