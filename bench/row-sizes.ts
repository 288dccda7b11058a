// npm run bench:rows [-- --sizes 4,8,16 --count 5 --kinds ascii,quotes,cjk,cells --paths pg-rows,pg-copy,mysql --limit-mb 1024]
// What a row of a given size costs the worker: each size exported as `count` such rows in a
// row (after a small first one), in its own node process under the deployed NODE_OPTIONS (OE_BENCH_NODE picks the node
// binary), with the row limit set to --limit-mb (by default out of the way) so the size itself
// is what is measured. Prints how each ended and the process's peak RSS and heap. This is how
// MAX_ROW_BYTES (lib/sources/row-limits.ts) was chosen.
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
import { benchWorkerEnv, bundleExportOne, runExportOne } from "./worker-process.js";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "4,8,12,16,24,32" },
    count: { type: "string", default: "5" },
    kinds: { type: "string", default: "ascii,quotes,cjk,cells" },
    paths: { type: "string", default: "pg-rows,pg-copy,mysql" },
    "limit-mb": { type: "string", default: "1024" },
    repeat: { type: "string", default: "1" },
  },
});
const MB = 1024 * 1024;
const count = Number(args.count);
const endpoint = process.env.AWS_ENDPOINT_URL ?? "";
const urls: Record<Engine, string> = {
  mysql: process.env.OE_MYSQL_READER_URL ?? process.env.OE_MYSQL_URL ?? "",
  postgres: process.env.OE_PG_READER_URL ?? process.env.OE_PG_URL ?? "",
};
const taskUrl = process.env.OE_PG_URL ?? "";
if (!endpoint || !urls.mysql || !urls.postgres || !taskUrl)
  throw new Error("run with `npm run bench:rows` (it starts the services)");
const NODE_OPTIONS = process.env.OE_BENCH_NODE_OPTIONS ?? deployedNodeOptions("serverless.yml");
const NODE_BIN = process.env.OE_BENCH_NODE ?? process.execPath;

/**
 * A small first row (so the COPY path's hold of the first record is not what is measured),
 * then `count` rows of about `bytes` bytes each as the server sends them, of one kind.
 */
function rowSql(engine: Engine, kind: string, bytes: number): string {
  const rep = (ch: string, n: number) =>
    engine === "postgres"
      ? `CASE WHEN s.n = 0 THEN '' ELSE repeat('${ch}', ${n}) END`
      : `IF(s.n = 0, '', REPEAT('${ch}', ${n}))`;
  // MariaDB makes no string over max_allowed_packet (16 MB here): wider rows take more cells.
  const perCell = engine === "mysql" ? 15 * MB : bytes;
  const cells = (n: number, ch: string, chBytes: number) => {
    const k = Math.max(n, Math.ceil(bytes / perCell));
    return Array.from({ length: k }, () => rep(ch, Math.floor(bytes / k / chBytes))).join(", ");
  };
  const values =
    kind === "cells"
      ? cells(20, "x", 1)
      : kind === "cjk"
        ? cells(1, "中", 3)
        : kind === "quotes"
          ? cells(1, '"', 1)
          : cells(1, "x", 1);
  const series =
    engine === "postgres"
      ? `generate_series(0, ${count}) s(n)`
      : `(SELECT seq AS n FROM seq_0_to_${count}) s`;
  return `SELECT s.n, ${values} FROM ${series}`;
}

const bundle = ".bench/export-one.mjs";
await bundleExportOne(bundle);
const { bucket, env: workerEnv } = await benchWorkerEnv({
  endpoint,
  taskUrl,
  taskTable: "oe_bench_row_tasks",
});
const baseEnv: Record<string, string> = {
  ...workerEnv,
  OE_BENCH_MAX_ROW_BYTES: String(Number(args["limit-mb"]) * MB),
};
const taskDb = createSqlClient(parseDbUrl(taskUrl), 1);
const config = loadConfig({ ...baseEnv, DATA_DB_URL: taskUrl });
// A fresh task table: a crashed export leaves its task processing.
await taskDb.query(`DROP TABLE IF EXISTS ${baseEnv.TASK_TABLE}`);
await migrate(taskDb, config.taskTable);
// Each export's file is deleted once measured: the emulator keeps objects on this machine's disk.
const s3 = new S3Client(awsClientConfig(config));

const version = (await import("node:child_process"))
  .spawnSync(NODE_BIN, ["--version"], { encoding: "utf8" })
  .stdout.trim();
console.log(
  `\nnpm run bench:rows -- --sizes ${args.sizes} --count ${count} --limit-mb ${args["limit-mb"]} (worker on Node ${version}; NODE_OPTIONS ${NODE_OPTIONS}; ${new Date().toISOString()})\n`,
);
console.log("| path | kind | row MB | ended | peak RSS MB | peak heap used MB | wall s |");
console.log("|---|---|---|---|---|---|---|");
for (const path of args.paths.split(",")) {
  const engine: Engine = path === "mysql" ? "mysql" : "postgres";
  for (const kind of args.kinds.split(",")) {
    for (const size of args.sizes.split(",").map(Number)) {
      for (let r = 0; r < Number(args.repeat); r++) {
        const id = await insertTask(taskDb, config.taskTable, {
          name: `${path} ${kind} ${size}`,
          title: "",
          query: rowSql(engine, kind, size * MB),
          createrName: "bench",
        });
        const res = runExportOne(NODE_BIN, bundle, id, {
          ...process.env,
          ...baseEnv,
          DATA_DB_URL: urls[engine],
          PG_COPY: path === "pg-copy" ? "true" : "false",
          // Exact text, so the COPY path is the one taken where asked for.
          CSV_ESCAPE_FORMULAS: "false",
          CSV_LONG_DIGITS_AS_TEXT: "false",
          NODE_OPTIONS,
        });
        if (res.report?.outcome.key) await deleteObject(s3, bucket, res.report.outcome.key);
        const ended = res.report
          ? `${res.report.outcome.kind}${res.report.outcome.rows !== undefined ? ` ${res.report.outcome.rows} rows` : ""}${res.report.outcome.msg ? `: ${res.report.outcome.msg.slice(0, 60)}` : ""}`
          : `crashed (${res.status ?? res.signal}): ${/heap out of memory|Allocation failed|Invalid string length/i.exec(res.stderr)?.[0] ?? res.stderr.slice(-120).replace(/\s+/g, " ")}`;
        console.log(
          `| ${path} | ${kind} | ${size} | ${ended} | ${res.report?.peakRssMb.toFixed(0) ?? "-"} | ${res.report?.peaks.heapUsed ?? "-"} | ${res.wallSeconds.toFixed(1)} |`,
        );
      }
    }
  }
}
await taskDb.close();
s3.destroy();
