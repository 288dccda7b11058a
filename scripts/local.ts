// npm run local [-- --until-idle] [-- --max-seconds N] [-- --worker-only]: scheduler + worker
// on this machine (or the worker alone, taking only direct queue messages), against whatever
// the environment configures (see README).
import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { runLocal } from "../lib/local/local-runner.js";
import { localEnv } from "./env.js";

async function main() {
  const args = process.argv.slice(2);
  const untilIdle = args.includes("--until-idle");
  const maxIdx = args.indexOf("--max-seconds");
  const maxSeconds = maxIdx >= 0 ? Number(args[maxIdx + 1]) : 0;
  const scheduler = !args.includes("--worker-only");
  const config = loadConfig(localEnv());
  const app = createApp(config);
  console.error(
    `[local] tasks: ${config.taskDb.label} (${config.taskTable.name}); data: ${config.dataDb.label}; queue: ${config.queueUrl}; bucket: ${config.bucket}${scheduler ? "" : "; worker only (no scheduler)"}${untilIdle ? "; exits when idle" : "; Ctrl-C to stop"}`,
  );
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  try {
    await runLocal(app, { untilIdle, maxSeconds, signal: stop.signal, scheduler });
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(`[local] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
