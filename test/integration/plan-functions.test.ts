// Functions judged as PostgreSQL resolves them: the names in EXPLAIN (VERBOSE)'s plan, what the
// plan leaves out, and the check through the source as the reader.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import mysql from "mysql2/promise";
import pg from "pg";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { classifyError, createDataSource } from "../../lib/engines/index.js";
import { postgresGuard } from "../../lib/engines/postgres/guard.js";
import { planFunctions } from "../../lib/engines/postgres/plan-functions.js";
import { postgresSource } from "../../lib/engines/postgres/source.js";
import { describeFailure } from "../../lib/failure/describe.js";
import type { DataSource } from "../../lib/sources/types.js";
import { readerUrl, serviceUrl, sqlClient, uniqueName } from "../helpers.js";

const drain = () => new Writable({ objectMode: true, write: (_c, _e, cb) => cb() });

/** Runs `sql` to its end through `source`; the error, or undefined. */
async function run(source: DataSource, sql: string, copy = false): Promise<unknown> {
  try {
    const r = copy ? await source.openRendered?.(sql, "rfc4180-csv") : undefined;
    const s = r ? { rows: r.bytes, close: r.close } : await source.open(sql);
    try {
      await pipeline(s.rows, drain());
    } finally {
      await s.close();
    }
  } catch (err) {
    return err;
  }
  return undefined;
}

const msgOf = (err: unknown, seconds = 10) =>
  describeFailure(err, classifyError(err), "query", { timeoutSeconds: seconds, secrets: [] });

describe("postgres: the functions a plan calls, as the server resolved them", () => {
  let reader: pg.Client;
  const plan = async (sql: string) => {
    const r = await reader.query(`EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`);
    return planFunctions(r.rows[0]?.["QUERY PLAN"]);
  };
  before(async () => {
    reader = new pg.Client({ connectionString: readerUrl("postgres") });
    await reader.connect();
  });
  after(() => reader.end());

  // Where each call sits in the plan, and how the task spelled it.
  const SHOWN: [string, string, string][] = [
    ["U& escapes", `SELECT U&"pg_\\0063ancel_backend"(0)`, "pg_cancel_backend"],
    ["a schema", "SELECT pg_catalog.pg_cancel_backend(0)", "pg_cancel_backend"],
    ["quotes and case", `SELECT "pg_cancel_backend"(0), PG_BACKEND_PID()`, "pg_backend_pid"],
    ["a function scan", "SELECT * FROM ts_stat('SELECT to_tsvector(''a'')')", "ts_stat"],
    [
      "SQL given as text",
      "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
      "ts_rewrite",
    ],
    [
      "a filter",
      "SELECT g FROM generate_series(1, 2) g WHERE g > pg_backend_pid()",
      "pg_backend_pid",
    ],
    ["an InitPlan", "SELECT (SELECT pg_cancel_backend(0))", "pg_cancel_backend"],
    [
      "a SubPlan",
      "SELECT g, (SELECT g + pg_backend_pid()) FROM generate_series(1, 2) g",
      "pg_backend_pid",
    ],
    [
      "a CTE",
      "WITH c AS MATERIALIZED (SELECT pg_cancel_backend(0) AS a) SELECT * FROM c",
      "pg_cancel_backend",
    ],
    [
      "a sort key",
      "SELECT g FROM generate_series(1, 3) g ORDER BY g % pg_backend_pid()",
      "pg_backend_pid",
    ],
    [
      "HAVING",
      "SELECT count(*) FROM generate_series(1, 3) g HAVING count(*) > pg_backend_pid()",
      "pg_backend_pid",
    ],
    [
      "a join condition",
      "SELECT 1 FROM generate_series(1, 3) a JOIN generate_series(1, 3) b ON a = b + pg_backend_pid()",
      "pg_backend_pid",
    ],
    [
      "TABLESAMPLE",
      "SELECT 1 FROM pg_class TABLESAMPLE SYSTEM (pg_backend_pid() % 100)",
      "pg_backend_pid",
    ],
    [
      "a window's partition",
      "SELECT row_number() OVER (PARTITION BY pg_backend_pid()) FROM generate_series(1, 2)",
      "pg_backend_pid",
    ],
    [
      "an aggregate's FILTER",
      "SELECT count(*) FILTER (WHERE pg_backend_pid() > 0) FROM generate_series(1, 2)",
      "pg_backend_pid",
    ],
    ["XMLTABLE", "SELECT * FROM XMLTABLE('/a' PASSING '<a/>' COLUMNS x text PATH '.')", "xmltable"],
  ];
  for (const [where, sql, name] of SHOWN) {
    it(`names ${name} called with ${where}`, async () => {
      assert.ok((await plan(sql)).has(name), [...(await plan(sql))].join(", "));
    });
  }

  // What EXPLAIN VERBOSE does not show on PostgreSQL 15: these calls run, unseen by the plan.
  const HIDDEN: [string, string][] = [
    ["a LIMIT count", "SELECT 1 LIMIT pg_backend_pid()"],
    ["an OFFSET count", "SELECT 1 OFFSET pg_backend_pid() % 1"],
    [
      "a window frame's offset",
      "SELECT sum(g) OVER (ORDER BY g ROWS BETWEEN pg_backend_pid() PRECEDING AND CURRENT ROW) FROM generate_series(1, 2) g",
    ],
    ["the rows of a multi-row VALUES", "VALUES (pg_backend_pid()), (1)"],
  ];
  for (const [where, sql] of HIDDEN) {
    it(`does not show a call in ${where} (a gap the quoted-name rule and the lexer cover)`, async () => {
      assert.ok(!(await plan(sql)).has("pg_backend_pid"));
    });
  }
});

describe("postgres: the server's function check in the source, as the reader", () => {
  let admin: SqlClient;
  // Without the lexer guard in front: only the plan check refuses.
  let checked: DataSource;
  before(() => {
    admin = sqlClient("postgres");
    checked = postgresSource(parseDbUrl(readerUrl("postgres")), {
      statementTimeoutSeconds: 10,
      monitor: parseDbUrl(serviceUrl("postgres")),
      functionRules: postgresGuard,
    });
  });
  after(() => admin.close());

  const REFUSED: [string, RegExp][] = [
    ["SELECT pg_cancel_backend(0)", /calls pg_cancel_backend\(\), which stops other sessions/],
    [`SELECT U&"pg_\\0063ancel_backend"(0)`, /calls pg_cancel_backend\(\)/],
    [
      "SELECT * FROM pg_catalog.pg_advisory_lock(1)",
      /calls pg_advisory_lock\(\), which takes advisory locks/,
    ],
    ["SELECT (SELECT set_config('a.b', 'c', true))", /calls set_config\(\)/],
    [
      "SELECT 1 FROM generate_series(1, 2) g WHERE query_to_xml('SELECT 1', true, true, '') IS NULL",
      /calls query_to_xml\(\), which runs SQL given as text/,
    ],
    // Where the plan cannot see: a U& call must be one the plan shows.
    [`SELECT 1 LIMIT U&"pg_\\0063ancel_backend"(0)::int`, /calls a function by a U& name/],
    [`VALUES (U&"pg_\\0063ancel_backend"(0)), (true)`, /calls a function by a U& name/],
  ];
  for (const [sql, message] of REFUSED) {
    for (const copy of [false, true]) {
      it(`refuses ${sql} on the ${copy ? "COPY" : "row"} path`, async () => {
        assert.match(msgOf(await run(checked, sql, copy)), message);
      });
    }
  }

  it("lets ordinary calls through, quoted ones, CTEs and aliases with column names too", async () => {
    for (const sql of [
      "SELECT lower('A'), now(), md5('x')",
      `SELECT "lower"(x), U&"lower"(x) FROM (VALUES ('A'), ('B')) v(x)`,
      "SELECT g FROM generate_series(1, 3) g LIMIT 2",
      `WITH "订单"(编号) AS (SELECT 1) SELECT * FROM "订单", (SELECT 2) AS "s"(n), generate_series(1, 2) AS "g"(m)`,
    ]) {
      assert.equal(await run(checked, sql), undefined, sql);
    }
  });

  it("refuses before anything runs: the session the call would cancel sleeps on", {
    timeout: 20_000,
  }, async () => {
    // The reader may cancel its own role's sessions: a victim of the same role.
    const victim = new pg.Client({ connectionString: readerUrl("postgres") });
    await victim.connect();
    try {
      const pid = (victim as unknown as { processID: number }).processID;
      const sleeping = victim.query("SELECT pg_sleep(2)").then(
        () => "slept",
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 200));
      const err = await run(checked, `SELECT U&"pg_\\0063ancel_backend"(${pid})`);
      assert.match(msgOf(err), /calls pg_cancel_backend\(\)/);
      assert.equal(await sleeping, "slept", "the victim's query was not cancelled");
    } finally {
      await victim.end();
    }
  });

  it("plans under the task's limit: constant folding at plan time is stopped like the query", {
    timeout: 30_000,
  }, async () => {
    // factorial() is immutable: the planner runs it on constants while it plans, ~1 s each here.
    const folds = Array.from({ length: 12 }, (_, i) => `factorial(${20_000 + i}) > 0`).join(
      " AND ",
    );
    const slow = postgresSource(parseDbUrl(readerUrl("postgres")), {
      statementTimeoutSeconds: 1,
      monitor: parseDbUrl(serviceUrl("postgres")),
      functionRules: postgresGuard,
    });
    const started = Date.now();
    const err = await run(slow, `SELECT 1 WHERE ${folds}`);
    assert.match(msgOf(err, 1), /longer than the 1-second limit/);
    assert.ok(Date.now() - started < 6000, `stopped after ${Date.now() - started} ms`);
  });

  it("refuses a plan too large to hold before the driver reads it; a row of constants under it fails as a row", {
    timeout: 30_000,
  }, async () => {
    // The planner folds repeat() of constants, and EXPLAIN VERBOSE shows the whole result.
    const small = postgresSource(parseDbUrl(readerUrl("postgres")), {
      statementTimeoutSeconds: 10,
      monitor: parseDbUrl(serviceUrl("postgres")),
      functionRules: postgresGuard,
      maxRowBytes: 512 * 1024,
      maxPlanBytes: 1024 * 1024,
    });
    for (const copy of [false, true]) {
      assert.match(
        msgOf(await run(small, "SELECT 1 AS n, repeat('x', 2000000) AS big", copy)),
        /^The query plan for the task's SQL is larger than 1 MB .*Shorten that value/,
      );
      assert.match(
        msgOf(await run(small, "SELECT 1 AS n, repeat('x', 700000) AS big", copy)),
        /^Row 1, column 2 makes the row larger than 0.5 MB/,
      );
    }
  });

  it("refuses through the guarded source, whichever check sees the call first", async () => {
    const guarded = createDataSource(parseDbUrl(readerUrl("postgres")), {
      statementTimeoutSeconds: 10,
      monitor: parseDbUrl(serviceUrl("postgres")),
    });
    assert.match(
      msgOf(await run(guarded, `SELECT U&"pg_\\0063ancel_backend"(0)`, true)),
      /stops other sessions' queries/,
    );
  });
});

// Why MySQL/MariaDB gets no server-side function check: facts of MariaDB 10.11, as the reader.
describe("mysql: EXPLAIN runs parts of the query, and names resolve only as builtins", () => {
  let reader: mysql.Connection;
  let admin: mysql.Connection;
  const held = async (lock: string) => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT IS_USED_LOCK(?) AS h", [lock]);
    return rows[0]?.h !== null;
  };
  before(async () => {
    reader = await mysql.createConnection({ uri: readerUrl("mysql") });
    admin = await mysql.createConnection({ uri: serviceUrl("mysql") });
  });
  after(async () => {
    await reader.end();
    await admin.end();
  });

  it("runs a derived table and a constant subquery while it only explains", async () => {
    const derived = uniqueName("oe_explain_d");
    const constant = uniqueName("oe_explain_c");
    const t = uniqueName("oe_explain_t");
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
    try {
      await admin.query(`INSERT INTO ${t} VALUES (1), (2)`);
      await reader.query(`EXPLAIN SELECT * FROM (SELECT GET_LOCK('${derived}', 0) AS x) d`);
      // The key's value is needed to plan the lookup: the optimizer runs the subquery.
      await reader.query(
        `EXPLAIN SELECT * FROM ${t} WHERE id = (SELECT 1 FROM DUAL WHERE GET_LOCK('${constant}', 0))`,
      );
      assert.equal(await held(derived), true, "EXPLAIN took the derived table's lock");
      assert.equal(await held(constant), true, "EXPLAIN took the subquery's lock");
      await reader.query("SELECT RELEASE_ALL_LOCKS()");
    } finally {
      await admin.query(`DROP TABLE ${t}`);
    }
  });

  it("runs a builtin named in backticks, and takes a qualified name for a stored function", async () => {
    const lock = uniqueName("oe_backtick");
    await reader.query(`SELECT \`GET_LOCK\`('${lock}', 0)`);
    assert.equal(await held(lock), true, "the backticked name ran the builtin");
    await reader.query("SELECT RELEASE_ALL_LOCKS()");
    await assert.rejects(reader.query(`SELECT offline_export.GET_LOCK('${lock}', 0)`), {
      message: /execute command denied .* routine 'offline_export\.GET_LOCK'/,
    });
  });
});
