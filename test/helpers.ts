import { randomBytes } from "node:crypto";
import { type App, createApp } from "../lib/app.js";
import { type Config, loadConfig } from "../lib/config.js";
import { type Engine, parseDbUrl } from "../lib/db/url.js";
import type { DbClient as SqlClient } from "../lib/engines/dialect.js";
import { createSqlClient } from "../lib/engines/index.js";
import { provisionLocal } from "../lib/local/aws-setup.js";
import { runLocal } from "../lib/local/local-runner.js";
import { insertTask } from "../lib/local/task-admin.js";
import { createLogger } from "../lib/logger.js";
import { migrate } from "../lib/tasks/migrate.js";

export const ENGINES: Engine[] = ["mysql", "postgres"];

/** Connection strings of the services `npm test` started (scripts/services.sh). */
export function serviceUrl(engine: Engine): string {
  const v = engine === "mysql" ? process.env.OE_MYSQL_URL : process.env.OE_PG_URL;
  if (!v || !process.env.AWS_ENDPOINT_URL) {
    throw new Error(
      "OE_MYSQL_URL, OE_PG_URL and AWS_ENDPOINT_URL are not set: run the tests with `npm test`.",
    );
  }
  return v;
}

/**
 * The task tables' database (scripts/services.sh): the same server as serviceUrl, a database
 * the reader cannot read, as the README's grant script keeps them apart.
 */
export function taskUrl(engine: Engine): string {
  const v = engine === "mysql" ? process.env.OE_MYSQL_TASK_URL : process.env.OE_PG_TASK_URL;
  return v ?? serviceUrl(engine);
}

/** The SELECT-only user (scripts/services.sh) that task SQL runs as in the tests, as deployed. */
export function readerUrl(engine: Engine): string {
  serviceUrl(engine);
  const v = engine === "mysql" ? process.env.OE_MYSQL_READER_URL : process.env.OE_PG_READER_URL;
  return v ?? serviceUrl(engine);
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
}

export function sqlClient(engine: Engine, poolSize = 2): SqlClient {
  return createSqlClient(parseDbUrl(serviceUrl(engine)), poolSize);
}

const DIGITS =
  "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";

/**
 * A derived table `s` with one column `n` = 1..count, made by the server. MariaDB stops
 * recursive CTEs at 1,000 rows, so MySQL gets a cross join of digits (and, past a million,
 * of as many millions as needed).
 */
export function seriesSql(engine: Engine, count: number): string {
  const n = Number(count);
  if (engine === "postgres") return `(SELECT n FROM generate_series(1, ${n}) n) s`;
  const millions = Math.max(1, Math.ceil(n / 1_000_000));
  const m = Array.from({ length: millions }, (_, i) => `SELECT ${i} n`).join(" UNION ALL ");
  return `(SELECT n FROM (SELECT 1 + a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n + 100000 * f.n + 1000000 * g.n AS n
    FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} d, ${DIGITS} e, ${DIGITS} f, (${m}) g) x WHERE x.n <= ${n}) s`;
}

/** `$n` or `?` placeholders for ad-hoc test SQL. */
export const ph = (engine: Engine, n: number) => (engine === "mysql" ? "?" : `$${n}`);

export interface HarnessOptions {
  taskEngine: Engine;
  dataEngine: Engine;
  env?: Record<string, string>;
  /** The queue's visibility timeout: how long a message a dead worker took stays hidden (30 s). */
  visibilityTimeoutSeconds?: number;
}

export interface Harness {
  config: Config;
  /** The environment the config was loaded from, queue included: a worker process of its own gets the same. */
  env: Record<string, string>;
  app: App;
  taskDb: SqlClient;
  dataDb: SqlClient;
  dlqUrl: string;
  insertTask(f: {
    name: string;
    title: string;
    query: string;
    createrName?: string;
    options?: string | null;
  }): Promise<number>;
  runUntilIdle(maxSeconds?: number): Promise<void>;
  close(): Promise<void>;
}

/** A task table, bucket and queue of its own on the real services, torn down by close(). */
export async function makeHarness(o: HarnessOptions): Promise<Harness> {
  const suffix = uniqueName("t").toLowerCase();
  const table = `oe_${suffix}`;
  const name = `oe-${suffix.replace(/_/g, "-")}`;
  const env = {
    TASK_DB_URL: taskUrl(o.taskEngine),
    DATA_DB_URL: readerUrl(o.dataEngine),
    TASK_TABLE: table,
    EXPORT_BUCKET: name,
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
    SCHEDULER_POLL_SECONDS: "1",
    // Most end-to-end tests compare files with the database's own text, on both CSV paths
    // (COPY included): the Excel-facing rewrites are off unless a test turns them on (an
    // empty value takes the product's default; options.test.ts does).
    CSV_ESCAPE_FORMULAS: "false",
    CSV_LONG_DIGITS_AS_TEXT: "false",
    ...o.env,
  };
  const { queueUrl, dlqUrl } = await provisionLocal({
    region: env.AWS_REGION,
    endpointUrl: env.AWS_ENDPOINT_URL,
    bucket: name,
    queueName: name,
    visibilityTimeoutSeconds: o.visibilityTimeoutSeconds ?? 30,
  });
  const fullEnv = { ...env, EXPORT_QUEUE_URL: queueUrl };
  const config = loadConfig(fullEnv);
  const app = createApp(config, createLogger([], "test"));
  await migrate(app.taskDb, config.taskTable);
  const taskDb = createSqlClient(parseDbUrl(taskUrl(o.taskEngine)), 2);
  const dataDb = sqlClient(o.dataEngine);
  return {
    config,
    env: Object.fromEntries(
      Object.entries(fullEnv).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    app,
    taskDb,
    dataDb,
    dlqUrl,
    insertTask: (f) => insertTask(app.taskDb, config.taskTable, { createrName: "测试员", ...f }),
    runUntilIdle: (maxSeconds = 120) => runLocal(app, { untilIdle: true, maxSeconds }),
    async close() {
      await taskDb.query(`DROP TABLE IF EXISTS ${table}`);
      await taskDb.query(`DROP TABLE IF EXISTS ${table}_lock`);
      await taskDb.query(`DROP TABLE IF EXISTS ${table}_slice`);
      await Promise.all([app.close(), taskDb.close(), dataDb.close()]);
    },
  };
}

/**
 * Records, for each export the harness's worker runs, which input its source gave: the
 * server's rendering (`rendered`) or rows. `restore` puts the source back.
 */
export function recordInputs(h: Harness, rendered: string): { taken: string[]; restore(): void } {
  const taken: string[] = [];
  const src = h.app.exportDeps.source;
  const openRendered = src.openRendered?.bind(src);
  src.openRendered = async (text, rendering) => {
    const r = await openRendered?.(text, rendering);
    taken.push(r ? rendered : "rows");
    return r;
  };
  return {
    taken,
    restore: () => {
      src.openRendered = openRendered;
    },
  };
}

export async function download(
  url: string,
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Polls `check` every 100 ms until it holds or `ms` pass; its last answer. */
export async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}
