// npm run bench:wide [-- --only <shape substring>]
// The wide-row shapes that used to crash the worker, each exported by the worker in its own
// node process under the deployed NODE_OPTIONS (OE_BENCH_NODE picks the node binary): prints
// how each ended (exported / failed with its msg / crashed) and the process's peak RSS.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { S3Client } from "@aws-sdk/client-s3";
import { awsClientConfig } from "../lib/aws-config.js";
import { loadConfig } from "../lib/config.js";
import { type Engine, parseDbUrl } from "../lib/db/url.js";
import { createSqlClient } from "../lib/engines/index.js";
import { deployedNodeOptions } from "../lib/local/deployment.js";
import { insertTask } from "../lib/local/task-admin.js";
import { deleteObject } from "../lib/storage.js";
import { migrate } from "../lib/tasks/migrate.js";
import { narrowShapes, pathEnv, wideShapes } from "./wide-shapes.js";
import { benchWorkerEnv, bundleExportOne, runExportOne } from "./worker-process.js";

const { values: args } = parseArgs({
  options: { only: { type: "string", default: "" } },
});
const endpoint = process.env.AWS_ENDPOINT_URL ?? "";
const urls: Record<Engine, string> = {
  mysql: process.env.OE_MYSQL_READER_URL ?? process.env.OE_MYSQL_URL ?? "",
  postgres: process.env.OE_PG_READER_URL ?? process.env.OE_PG_URL ?? "",
};
const taskUrl = process.env.OE_PG_URL ?? "";
if (!endpoint || !urls.mysql || !urls.postgres || !taskUrl)
  throw new Error("run with `npm run bench:wide` (it starts the services)");
const NODE_OPTIONS = process.env.OE_BENCH_NODE_OPTIONS ?? deployedNodeOptions("serverless.yml");
const NODE_BIN = process.env.OE_BENCH_NODE ?? process.execPath;
const log = (s: string) => process.stderr.write(`[bench:wide] ${s}\n`);

const bundle = ".bench/export-one.mjs";
await bundleExportOne(bundle);
const { bucket, env: workerEnv } = await benchWorkerEnv({
  endpoint,
  taskUrl,
  taskTable: "oe_bench_wide_tasks",
});
const baseEnv: Record<string, string> = { ...workerEnv };
const taskDb = createSqlClient(parseDbUrl(taskUrl), 1);
const config = loadConfig({ ...baseEnv, DATA_DB_URL: taskUrl });
// A fresh task table: a crashed export leaves its task processing.
await taskDb.query(`DROP TABLE IF EXISTS ${baseEnv.TASK_TABLE}`);
await migrate(taskDb, config.taskTable);
// Each export's file is deleted once measured: the emulator keeps objects on this machine's disk.
const s3 = new S3Client(awsClientConfig(config));

const version = spawnSync(NODE_BIN, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(
  `\nnpm run bench:wide (worker on Node ${version}; NODE_OPTIONS ${NODE_OPTIONS}; ${new Date().toISOString()})\n`,
);
console.log("| shape | path | ended | rows | peak RSS MB | peak heap used MB | wall s | msg |");
console.log("|---|---|---|---|---|---|---|---|");
for (const shape of [...wideShapes(), ...narrowShapes()]) {
  if (args.only && !`${shape.name} ${shape.path}`.includes(args.only)) continue;
  log(`${shape.name} (${shape.path})`);
  const id = await insertTask(taskDb, config.taskTable, {
    name: shape.name,
    title: "",
    query: shape.sql,
    createrName: "bench",
  });
  const r = runExportOne(NODE_BIN, bundle, id, {
    ...process.env,
    ...baseEnv,
    DATA_DB_URL: urls[shape.engine],
    ...pathEnv(shape.path),
    // Exact text, so the COPY path is the one taken where asked for.
    CSV_ESCAPE_FORMULAS: "false",
    CSV_LONG_DIGITS_AS_TEXT: "false",
    NODE_OPTIONS,
  });
  if (r.report?.outcome.key) await deleteObject(s3, bucket, r.report.outcome.key);
  const ended = r.report
    ? r.report.outcome.kind
    : `crashed (exit ${r.status ?? r.signal}): ${
        /heap out of memory|Allocation failed|Invalid string length|ERR_STRING_TOO_LONG/i.exec(
          r.stderr,
        )?.[0] ?? r.stderr.slice(-200).replace(/\s+/g, " ")
      }`;
  console.log(
    `| ${shape.name} | ${shape.engine} ${shape.path} | ${ended} | ${r.report?.outcome.rows ?? "-"} | ${r.report?.peakRssMb.toFixed(0) ?? "-"} | ${r.report?.peaks.heapUsed ?? "-"} | ${r.wallSeconds.toFixed(1)} | ${(r.report?.outcome.msg ?? "").slice(0, 160)} |`,
  );
}
await taskDb.close();
s3.destroy();
