// Task SQL as an attacker writes it, against the real servers: the worker's own timer and
// cancel, a close that never waits, escape modes pinned on both engines.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import mysql from "mysql2/promise";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { classifyError, createDataSource, createSqlClient } from "../../lib/engines/index.js";
import { mysqlSource } from "../../lib/engines/mysql/source.js";
import { postgresSource } from "../../lib/engines/postgres/source.js";
import { describeFailure } from "../../lib/failure/describe.js";
import type { DataSource } from "../../lib/sources/types.js";
import { ENGINES, serviceUrl, sqlClient, uniqueName, until } from "../helpers.js";

const drain = () => new Writable({ objectMode: true, write: (_c, _e, cb) => cb() });

/** Whether a query carrying `marker` is still running on the server. */
async function running(db: SqlClient, marker: string): Promise<boolean> {
  const sql =
    db.engine === "mysql"
      ? "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'"
      : "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE state <> 'idle' AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'";
  const r = await db.query<{ n: number | string }>(sql, [`%${marker}%`]);
  return Number(r.rows[0]?.n) > 0;
}

for (const engine of ENGINES) {
  describe(`${engine}: a timeout and a close that no task SQL can stop`, () => {
    let db: SqlClient;
    before(() => {
      db = sqlClient(engine);
    });
    after(() => db.close());
    const unguarded = (seconds: number): DataSource =>
      (engine === "mysql" ? mysqlSource : postgresSource)(parseDbUrl(serviceUrl(engine)), {
        statementTimeoutSeconds: seconds,
      });

    it("cancels the query itself when the SQL switched the server's limit off", {
      timeout: 30_000,
    }, async () => {
      const marker = uniqueName("lift");
      // The attacks from the issue, sent without the guard: only the worker's timer is left.
      const sql =
        engine === "mysql"
          ? `/*!SET STATEMENT max_statement_time=0 FOR*/ SELECT SLEEP(8), '${marker}'`
          : // set_config switches the limit off for later statements; the whole result is one
            // Execute, so the server's timer armed at its start still fires, or the worker's.
            `SELECT set_config('statement_timeout', '0', true), CASE WHEN g = 2500 THEN pg_sleep(8)::text END, '${marker}' FROM generate_series(1, 2500) g`;
      const started = Date.now();
      const s = await unguarded(2).open(sql);
      const err = await pipeline(s.rows, drain()).then(
        () => undefined,
        (e: unknown) => e,
      );
      await s.close();
      const seconds = (Date.now() - started) / 1000;
      assert.ok(err, "the query did not finish");
      assert.ok(seconds < 5, `stopped after ${seconds} s, not at the query's 8 s`);
      assert.match(
        describeFailure(err, classifyError(err), "query", { timeoutSeconds: 2, secrets: [] }),
        /longer than the 2-second limit/,
      );
      assert.equal(
        await until(async () => !(await running(db, marker)), 3000),
        true,
        "server query stopped",
      );
    });

    it("closes at once mid-query, and the server stops the query (nothing left running or idle in a transaction)", {
      timeout: 30_000,
    }, async () => {
      const marker = uniqueName("close");
      const sql =
        engine === "mysql" ? `SELECT SLEEP(30), '${marker}'` : `SELECT pg_sleep(30), '${marker}'`;
      const s = await unguarded(60).open(sql);
      try {
        s.rows.resume();
        s.rows.on("error", () => {});
        assert.equal(await until(() => running(db, marker), 5000), true, "the query started");
        const t0 = Date.now();
        await s.close();
        assert.ok(Date.now() - t0 < 3000, `close took ${Date.now() - t0} ms`);
        assert.equal(
          await until(async () => !(await running(db, marker)), 3000),
          true,
          "server query stopped",
        );
        if (engine === "postgres") {
          const idle = await db.query<{ n: string }>(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND application_name = 'offline-export-worker'",
          );
          assert.equal(Number(idle.rows[0]?.n), 0);
        }
      } finally {
        await s.close();
      }
    });
  });
}

describe("postgres: the COPY wrapper under standard_conforming_strings = off", () => {
  const role = uniqueName("oe_scs").toLowerCase();
  const victim = uniqueName("victim").toLowerCase();
  let admin: SqlClient;
  let url: string;
  before(async () => {
    admin = sqlClient("postgres");
    await admin.query(`CREATE TABLE ${victim} (id int)`);
    await admin.query(`INSERT INTO ${victim} VALUES (1)`);
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'scs-off-pw'`);
    await admin.query(`ALTER ROLE ${role} SET standard_conforming_strings = off`);
    await admin.query(`GRANT SELECT ON ${victim} TO ${role}`);
    const u = new URL(serviceUrl("postgres"));
    u.username = role;
    u.password = "scs-off-pw";
    url = u.toString();
  });
  after(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${victim}`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.close();
  });

  // A broken promise must fail this test, never hang the file: the source is closed in finally.
  it("runs the SQL as the guard read it: one SELECT of two strings, nothing after COMMIT", {
    timeout: 30_000,
  }, async () => {
    // Standard strings: 'a\' and ') TO STDOUT; ...'. With the role's setting (off), the
    // backslash would escape the quote and the DROP would run after the COPY.
    const sql = `SELECT 'a\\', ') TO STDOUT; DROP TABLE ${victim}; --'`;
    const source = createDataSource(parseDbUrl(url), { statementTimeoutSeconds: 10 });
    const r = await source.openRendered?.(sql, "rfc4180-csv");
    assert.ok(r, "taken on the COPY path");
    const chunks: Buffer[] = [];
    try {
      await pipeline(
        r.bytes,
        new Writable({
          write: (c, _e, cb) => {
            chunks.push(c);
            cb();
          },
        }),
      );
    } finally {
      await r.close();
    }
    assert.equal(
      Buffer.concat(chunks).toString("utf8"),
      `a\\,) TO STDOUT; DROP TABLE ${victim}; --\n`,
    );
    const still = await admin.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${victim}`);
    assert.equal(Number(still.rows[0]?.n), 1, "the table is still there");
  });
});

describe("mysql: task-table writes under NO_BACKSLASH_ESCAPES", () => {
  const table = uniqueName("nbe");
  // What a crafted task SQL makes the error text (and so msg) say.
  // mysql2 sends ' as \' ; with NO_BACKSLASH_ESCAPES the server ends the string there.
  const evil = Buffer.from("https://evil.example/").toString("hex");
  const payload = `x', status = 2, filepath = 0x${evil} WHERE id = 2 -- `;

  it("is injectable on a raw connection, and not through our client", async () => {
    const admin = sqlClient("mysql");
    await admin.query(
      `CREATE TABLE ${table} (id INT PRIMARY KEY, status INT, msg TEXT, filepath TEXT)`,
    );
    await admin.query(`INSERT INTO ${table} VALUES (1, 1, NULL, NULL), (2, 0, NULL, NULL)`);
    const before = await admin.query<{ m: string }>("SELECT @@GLOBAL.sql_mode AS m");
    const global = String(before.rows[0]?.m);
    await admin.query(`SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')`);
    const ours = createSqlClient(parseDbUrl(serviceUrl("mysql")), 1);
    try {
      // The attack is real: mysql2's client-side escaping under the server's default.
      const raw = await mysql.createConnection({ uri: serviceUrl("mysql") });
      await raw.query(`UPDATE ${table} SET msg = ? WHERE id = 1`, [payload]).catch(() => {});
      await raw.end();
      const hit = await admin.query<{ status: number; filepath: string }>(
        `SELECT status, filepath FROM ${table} WHERE id = 2`,
      );
      assert.equal(Number(hit.rows[0]?.status), 2, "the raw connection was injected");
      assert.equal(hit.rows[0]?.filepath, "https://evil.example/");
      await admin.query(`UPDATE ${table} SET status = 0, filepath = NULL WHERE id = 2`);

      const mode = await ours.query<{ m: string }>("SELECT @@SESSION.sql_mode AS m");
      assert.doesNotMatch(String(mode.rows[0]?.m), /NO_BACKSLASH_ESCAPES/);
      await ours.query(`UPDATE ${table} SET msg = ? WHERE id = 1`, [payload]);
      const rows = await admin.query<{
        id: number;
        status: number;
        msg: string | null;
        filepath: string | null;
      }>(`SELECT id, status, msg, filepath FROM ${table} ORDER BY id`);
      assert.equal(rows.rows[0]?.msg, payload, "stored as text");
      assert.equal(Number(rows.rows[1]?.status), 0, "the other row untouched");
      assert.equal(rows.rows[1]?.filepath, null);
    } finally {
      await admin.query("SET GLOBAL sql_mode = ?", [global]);
      await ours.close();
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.close();
    }
  });
});
