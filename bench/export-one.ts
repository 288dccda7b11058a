// The worker's export path as one process, bundled by the benchmark and run with plain
// `node`, as Lambda runs the bundle: exports one task and reports its figures as JSON.
import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { exportTask } from "../lib/export.js";
import { createLogger } from "../lib/logger.js";

const app = createApp(loadConfig(), createLogger("bench"));
const started = process.hrtime.bigint();
const outcome = await exportTask(app.exportDeps, Number(process.argv[2]));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await app.close();
// maxRSS is in kilobytes: the peak resident set of this whole process.
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ outcome, seconds, peakRssMb })}\n`);
