// What the containment checks cost a task on the real servers: on PostgreSQL the one-statement
// proof (Parse of the COPY-wrapped text) and the plan's functions (EXPLAIN VERBOSE), each timed
// on an open read-only session beside a plain round trip; on both engines a whole data session
// (connect, read-only transaction, checks, one row, close) with and without the checks.

import type { Readable } from "node:stream";
import pg from "pg";
import { parseDbUrl } from "../lib/db/url.js";
import { createDataSource, DIALECTS } from "../lib/engines/index.js";
import { copyStatement } from "../lib/engines/postgres/copy-sql.js";
import { proveOneStatement } from "../lib/engines/postgres/one-statement.js";
import { checkPlanFunctions } from "../lib/engines/postgres/plan-functions.js";
import { MAX_PLAN_BYTES, MAX_ROW_BYTES } from "../lib/sources/row-limits.js";

export const CHECK_RUNS = 30;
const RUNS = CHECK_RUNS;

export interface CheckCost {
  engine: string;
  step: string;
  medianMs: number;
  maxMs: number;
}

// A task's ordinary shape, on generated rows so no bench table is needed: a filter, casts,
// functions, ordering.
const QUERY = {
  postgres:
    "SELECT g AS id, 'ORD' || g AS order_no, md5(g::text) AS customer, round(g * 1.5, 2) AS amount, now() AS created_at FROM generate_series(1, 1000) g WHERE g % 2 = 0 ORDER BY g",
  mysql:
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000) SELECT n AS id, CONCAT('ORD', n) AS order_no, MD5(n) AS customer, ROUND(n * 1.5, 2) AS amount, NOW() AS created_at FROM s WHERE n % 2 = 0 ORDER BY n",
};

async function timed(step: string, engine: string, fn: () => Promise<unknown>): Promise<CheckCost> {
  await fn(); // warm: the first call pays for code loading, not for the check
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { engine, step, medianMs: ms[RUNS >> 1] as number, maxMs: ms[RUNS - 1] as number };
}

async function drain(rows: Readable): Promise<void> {
  for await (const _ of rows) {
    // read to the end
  }
}

async function wholeSession(url: string, checks: boolean): Promise<void> {
  const db = parseDbUrl(url);
  const o = { statementTimeoutSeconds: 60, serverRendering: false };
  const source = checks
    ? createDataSource(db, o)
    : DIALECTS[db.engine].createSource(db, { ...o, functionRules: undefined });
  const { rows, close } = await source.open(QUERY[db.engine]);
  await drain(rows);
  await close();
}

export async function measureChecks(pgUrl: string, mysqlUrl: string): Promise<CheckCost[]> {
  const out: CheckCost[] = [];
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const rules = DIALECTS.postgres.guard;
  const extended = { text: "SELECT 1", queryMode: "extended" } as pg.QueryConfig;
  out.push(
    await timed("a plain round trip (SELECT 1), for scale", "postgres", () =>
      client.query(extended),
    ),
  );
  out.push(
    await timed("one-statement proof (Parse of the COPY text)", "postgres", () =>
      proveOneStatement(client, copyStatement(QUERY.postgres)),
    ),
  );
  out.push(
    await timed("plan functions (EXPLAIN VERBOSE JSON)", "postgres", () =>
      checkPlanFunctions(client, QUERY.postgres, rules, {
        planBytes: MAX_PLAN_BYTES,
        maxRowBytes: MAX_ROW_BYTES,
      }),
    ),
  );
  await client.query("ROLLBACK");
  await client.end();
  for (const [engine, url] of [
    ["postgres", pgUrl],
    ["mysql", mysqlUrl],
  ] as const) {
    out.push(
      await timed("whole session without the checks", engine, () => wholeSession(url, false)),
    );
    out.push(await timed("whole session with the checks", engine, () => wholeSession(url, true)));
  }
  return out;
}

// npm run bench:checks: this table alone (the full bench prints it too).
if (import.meta.url === `file://${process.argv[1]}`) {
  const costs = await measureChecks(process.env.OE_PG_URL ?? "", process.env.OE_MYSQL_URL ?? "");
  console.log("| engine | step | median ms | max ms |\n|---|---|---|---|");
  for (const c of costs)
    console.log(`| ${c.engine} | ${c.step} | ${c.medianMs.toFixed(2)} | ${c.maxMs.toFixed(2)} |`);
}
