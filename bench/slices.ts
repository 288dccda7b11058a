// npm run bench:slices [-- --rows 2000000,20000000 --slices 1,2,4,8 --engines postgres,mysql
//                         --workers 2 --proof]
//
// Sliced exports (README "Sliced exports") timed as deployed: the packaged worker (osls
// package, the template's environment, Node 22, as test/package/run.ts runs it) handles each
// SQS message in a process of its own, `--workers` at a time, as Lambda would run concurrent
// messages. For each engine and row count, the same task runs whole (1 slice) and sliced 2, 4
// and 8 ways; each sliced file is compared with the whole one by SHA-256. Prints, per run: the
// time from the task's message to status 2, the planning scans, the slowest slice, the join in
// S3, and the peak RSS of the largest worker.
//
// --proof: the run with the most slices gives each worker a remaining time too short for one
// worker to write the whole task (three quarters of the whole run's time, plus the deadline
// margin), and the whole task is run once more with that time too, to show it fail with the msg
// that says to slice it.
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { parseDbUrl } from "../lib/db/url.js";
import { createSqlClient } from "../lib/engines/index.js";
import { provisionLocal } from "../lib/local/aws-setup.js";
import { putLocalParameter, putLocalSecret } from "../lib/local/secrets-setup.js";
import { deleteRecords, receiveRecords } from "../lib/local/sqs-records.js";
import { insertTask } from "../lib/local/task-admin.js";
import { createLogger } from "../lib/logger.js";
import { STATUS } from "../lib/status.js";
import { migrate } from "../lib/tasks/migrate.js";
import {
  asyncInvoker,
  type Invocation,
  node22,
  packageStack,
  putTaskDbSecret,
} from "../test/package/stack.js";
import { BENCH_TABLE, benchQuery, ensureBenchData } from "./data.js";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "2000000" },
    slices: { type: "string", default: "1,2,4,8" },
    engines: { type: "string", default: "postgres,mysql" },
    workers: { type: "string", default: "2" },
    proof: { type: "boolean", default: false },
  },
});
const ROWS = args.rows.split(",").map(Number);
const SLICES = args.slices.split(",").map(Number);
const ENGINES = args.engines.split(",") as ("postgres" | "mysql")[];
const WORKERS = Number(args.workers);
const log = (s: string) => console.error(`[slices] ${new Date().toISOString().slice(11, 19)} ${s}`);
const TITLE = "序号,编号,订单号,客户,城市,金额,下单时间,备注";

const endpoint = process.env.AWS_ENDPOINT_URL ?? "";
const taskUrl = process.env.OE_MYSQL_TASK_URL ?? process.env.OE_MYSQL_URL ?? "";
const admin = { postgres: process.env.OE_PG_URL ?? "", mysql: process.env.OE_MYSQL_URL ?? "" };
const reader = {
  postgres: process.env.OE_PG_READER_URL ?? admin.postgres,
  mysql: process.env.OE_MYSQL_READER_URL ?? admin.mysql,
};
if (!endpoint || !taskUrl || !admin.postgres || !admin.mysql)
  throw new Error("run with `npm run bench:slices`");

const region = "us-east-1";
const name = `oe-slices-${Date.now().toString(36)}`;
const table = name.replaceAll("-", "_");
const where = { region, endpointUrl: endpoint };
const { queueUrl } = await provisionLocal({
  region,
  endpointUrl: endpoint,
  bucket: name,
  queueName: name,
  visibilityTimeoutSeconds: 900,
});

// The stack as `serverless deploy` would upload it; secrets by ARN, as deployed.
const node = node22();
const out = mkdtempSync(join(tmpdir(), "oe-slices-"));
const my = new URL(taskUrl);
const taskSecretArn = await putTaskDbSecret(where, `${name}-task-db`, taskUrl);
const dataArn = {
  postgres: await putLocalParameter(where, `/${name}/pg-url`, reader.postgres),
  mysql: await putLocalParameter(where, `/${name}/mysql-url`, reader.mysql),
};
const linkSecretArn = await putLocalSecret(where, `${name}-link`, `${"k".repeat(40)}${Date.now()}`);
log(`osls package -> ${out}`);
const { template, refs } = packageStack(
  out,
  {
    ...process.env,
    TASK_DB_SECRET_ARN: taskSecretArn,
    DATA_DB_SECRET_ARN: dataArn.postgres,
    TASK_TABLE: table,
    AWS_REGION: region,
  },
  {
    ExportBucket: name,
    TaskQueue: queueUrl,
    LinkSecret: linkSecretArn,
    "DownloadLambdaFunctionUrl.FunctionUrl":
      "https://download.example.lambda-url.us-east-1.on.aws/",
  },
);
const passwords = [
  decodeURIComponent(my.password),
  new URL(reader.postgres).password,
  new URL(reader.mysql).password,
];

const app = createApp(
  loadConfig({
    TASK_DB_URL: taskUrl,
    DATA_DB_URL: reader.postgres,
    TASK_TABLE: table,
    EXPORT_BUCKET: name,
    EXPORT_QUEUE_URL: queueUrl,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
  }),
  createLogger([], "bench"),
);
await migrate(app.taskDb, app.config.taskTable);

/** The logged seconds of a step ("slices planned", "slices joined") in a worker's output. */
function loggedSeconds(output: string, message: string): number | undefined {
  for (const line of output.split("\n")) {
    if (!line.startsWith("{") || !line.includes(`"${message}"`)) continue;
    const v = (JSON.parse(line) as { seconds?: number }).seconds;
    if (typeof v === "number") return v;
  }
  return undefined;
}

interface RunResult {
  seconds: number;
  status: number;
  msg: string | null;
  key: string | null;
  bytes: number;
  plan?: number;
  join?: number;
  slowestSlice: number;
  invocations: number;
  peakRssMb: number;
}

/** One task from its message to its end, each message in a packaged worker of its own. */
async function exportOnce(
  engine: "postgres" | "mysql",
  rows: number,
  slices: number,
  remainingMs: number,
): Promise<RunResult> {
  const invoke = asyncInvoker({
    out,
    template,
    refs,
    node,
    region,
    endpoint,
    passwords,
    override: { DATA_DB_SECRET_ARN: dataArn[engine], POWERTOOLS_LOG_LEVEL: "INFO" },
    quiet: true,
  });
  const id = await insertTask(app.taskDb, app.config.taskTable, {
    name: `bench ${engine} ${rows} x${slices}`,
    title: TITLE,
    query: benchQuery(rows),
    createrName: "bench",
    options: slices > 1 ? JSON.stringify({ slice_key: "id", slices }) : null,
  });
  const started = Date.now();
  await app.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ id }) }),
  );
  const running = new Set<Promise<void>>();
  const done: Invocation[] = [];
  let failure: unknown;
  for (;;) {
    const row = await app.exportDeps.tasks.get(id);
    if (
      row &&
      (row.status === STATUS.succeeded || row.status === STATUS.failed) &&
      running.size === 0
    )
      break;
    if (failure) throw failure;
    if (running.size >= WORKERS) {
      await Promise.race(running);
      continue;
    }
    const records: SQSRecord[] = await receiveRecords(app.sqs, queueUrl, WORKERS - running.size, 1);
    for (const record of records) {
      const job = invoke("functions/worker.handler", "worker", { Records: [record] }, remainingMs)
        .then(async (r) => {
          done.push(r);
          const failed = (r.result as { batchItemFailures: unknown[] }).batchItemFailures;
          if (failed.length === 0) await deleteRecords(app.sqs, queueUrl, [record]);
        })
        .catch((err) => {
          failure = err;
        })
        .finally(() => running.delete(job));
      running.add(job);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const row = await app.exportDeps.tasks.get(id);
  const outputs = done.map((d) => d.output).join("\n");
  const slicesMs = done.filter((d) => d.output.includes('"slice done"')).map((d) => d.ms);
  return {
    seconds,
    status: row?.status ?? -1,
    msg: row?.msg ?? null,
    key: row?.s3Key ?? null,
    bytes: row?.byteCount ?? 0,
    plan: loggedSeconds(outputs, "slices planned"),
    join: loggedSeconds(outputs, "slices joined"),
    slowestSlice: slicesMs.length ? Math.max(...slicesMs) / 1000 : 0,
    invocations: done.length,
    peakRssMb: Math.max(0, ...done.map((d) => d.maxRssMb)),
  };
}

async function sha256(key: string): Promise<string> {
  const res = await app.s3.send(new GetObjectCommand({ Bucket: name, Key: key }));
  const hash = createHash("sha256");
  for await (const chunk of res.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest("hex");
}

const drop = (key: string | null) =>
  key ? app.s3.send(new DeleteObjectCommand({ Bucket: name, Key: key })) : Promise.resolve();

const lines: string[] = [];
const fmt = (n: number | undefined, d = 1) => (n === undefined ? "-" : n.toFixed(d));
for (const engine of ENGINES) {
  const data = createSqlClient(parseDbUrl(admin[engine]), 1);
  const most = Math.max(...ROWS);
  log(`${engine}: ${most.toLocaleString("en-US")} rows in ${BENCH_TABLE}`);
  if (await ensureBenchData(data, most)) log(`${engine}: data made`);
  if (engine === "postgres")
    await data.query(`GRANT SELECT ON ${BENCH_TABLE} TO ${new URL(reader.postgres).username}`);
  await data.close();
  for (const rows of ROWS) {
    log(`${engine} ${rows}: whole`);
    const whole = await exportOnce(engine, rows, 1, 900_000);
    if (whole.status !== STATUS.succeeded || !whole.key) throw new Error(`whole: ${whole.msg}`);
    const reference = await sha256(whole.key);
    await drop(whole.key);
    const margin = 30_000; // DEADLINE_MARGIN_SECONDS in the template
    // Three quarters of what the whole task took: too short for it, long enough for a slice and
    // for the join, each a Lambda invocation of its own with this same timeout.
    const short = args.proof ? margin + Math.round(whole.seconds * 750) : 900_000;
    const row = (k: number | string, r: RunResult, same: string) =>
      `| ${engine} | ${rows.toLocaleString("en-US")} | ${k} | ${fmt(r.seconds)} | ${fmt(whole.seconds / r.seconds, 2)} | ${fmt(r.plan)} | ${fmt(r.slowestSlice)} | ${fmt(r.join)} | ${r.invocations} | ${fmt(r.peakRssMb, 0)} | ${same} |`;
    lines.push(row(1, whole, "reference"));
    if (args.proof) {
      log(`${engine} ${rows}: whole with ${short} ms remaining`);
      const cut = await exportOnce(engine, rows, 1, short);
      log(`whole with ${short} ms: status ${cut.status}: ${cut.msg}`);
      lines.push(
        `| ${engine} | ${rows.toLocaleString("en-US")} | 1, ${Math.round(short / 1000)} s left | ${fmt(cut.seconds)} | - | - | - | - | ${cut.invocations} | ${fmt(cut.peakRssMb, 0)} | status ${cut.status}: ${(cut.msg ?? "").slice(0, 60)}... |`,
      );
      await drop(cut.key);
    }
    const mostSlices = Math.max(...SLICES);
    for (const k of SLICES.filter((x) => x > 1)) {
      // The proof's short time goes to the most slices; fewer, larger slices get the full time.
      const remaining = k === mostSlices ? short : 900_000;
      log(`${engine} ${rows}: ${k} slices, ${remaining} ms remaining each`);
      const r = await exportOnce(engine, rows, k, remaining);
      if (r.status !== STATUS.succeeded || !r.key) throw new Error(`${k} slices: ${r.msg}`);
      const same = (await sha256(r.key)) === reference ? "identical" : "DIFFERS";
      await drop(r.key);
      lines.push(
        row(
          k === mostSlices && args.proof ? `${k}, ${Math.round(short / 1000)} s left` : k,
          r,
          same,
        ),
      );
      log(lines[lines.length - 1] as string);
    }
  }
}
await app.taskDb.query(`DROP TABLE IF EXISTS ${table}`);
await app.taskDb.query(`DROP TABLE IF EXISTS ${table}_lock`);
await app.taskDb.query(`DROP TABLE IF EXISTS ${table}_slice`);
await app.close();
console.log(
  `\nnode ${node.version}, ${WORKERS} worker process(es) at a time, ${new Date().toISOString()}\n`,
);
console.log(
  "| engine | rows | slices | s (message to status 2) | x whole | plan s | slowest slice s | join s | invocations | peak RSS MB | file |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const l of lines) console.log(l);
if (lines.some((l) => l.includes("DIFFERS"))) process.exit(1);
