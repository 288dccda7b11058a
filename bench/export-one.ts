// The worker's export path as one process, bundled by the benchmark and run with plain
// `node`, as Lambda runs the bundle: exports one task and reports its figures as JSON.
import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { createDataSource } from "../lib/engines/index.js";
import { exportTask } from "../lib/export/export-task.js";
import { createLogger } from "../lib/logger.js";

const config = loadConfig();
const app = createApp(config, createLogger([], "bench"));
// Only for measuring (npm run bench:rows): a different row limit than the product's, to find
// what a row of a given size costs with the guard out of the way.
if (process.env.OE_BENCH_MAX_ROW_BYTES)
  app.exportDeps.source = createDataSource(config.dataDb, {
    statementTimeoutSeconds: config.statementTimeoutSeconds,
    serverRendering: config.serverRendering,
    maxRowBytes: Number(process.env.OE_BENCH_MAX_ROW_BYTES),
  });
// Where the memory is, sampled: V8 heap vs Buffers (external) vs the rest.
const peak = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak) as (keyof typeof peak)[])
    peak[k] = Math.max(peak[k], m[k] / 2 ** 20);
  if (process.env.OE_BENCH_TRACE)
    process.stderr.write(
      `rss ${Math.round(m.rss / 2 ** 20)} heap ${Math.round(m.heapTotal / 2 ** 20)} ext ${Math.round(m.external / 2 ** 20)}\n`,
    );
}, 50);
const started = process.hrtime.bigint();
const outcome = await exportTask(app.exportDeps, Number(process.argv[2]));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await app.close();
// maxRSS is in kilobytes: the peak resident set of this whole process. CPU time (all threads,
// start-up included) is what a Lambda's fraction of a core pays for, whatever this machine's
// other processes take from the wall.
const usage = process.resourceUsage();
const peakRssMb = usage.maxRSS / 1024;
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
clearInterval(sampler);
const peaks = Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v)]));
process.stdout.write(`${JSON.stringify({ outcome, seconds, peakRssMb, cpuSeconds, peaks })}\n`);
