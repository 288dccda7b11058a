// npm run dev: the whole pipeline on this machine, from an inserted row to a downloaded file.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type App, createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { parseDbUrl } from "../lib/db/url.js";
import { createSqlClient } from "../lib/engines/index.js";
import type { DownloadDeps } from "../lib/links/download.js";
import { provisionLocal } from "../lib/local/aws-setup.js";
import { decodeText } from "../lib/local/decode.js";
import { serveDownloads } from "../lib/local/download-server.js";
import { runLocal } from "../lib/local/local-runner.js";
import { insertTask } from "../lib/local/task-admin.js";
import { migrate } from "../lib/tasks/migrate.js";
import { loadDemoOrders } from "./demo-data.js";
import { localEnv } from "./env.js";

const say = (s: string) => console.log(`[dev] ${s}`);
const DOWNLOAD_PORT = Number(process.env.DOWNLOAD_PORT ?? 54580);

/**
 * The download endpoint's port, taken before any other connection is opened (54580 sits in
 * Linux's ephemeral range, where this process's own client sockets could land). If the default
 * is busy anyway, any free port will do; an explicit DOWNLOAD_PORT must be free.
 */
async function listenForDownloads(deps: () => DownloadDeps) {
  try {
    return await serveDownloads(deps, DOWNLOAD_PORT);
  } catch (err) {
    if ((err as { code?: string }).code !== "EADDRINUSE" || process.env.DOWNLOAD_PORT) throw err;
    const server = await serveDownloads(deps, 0);
    say(`port ${DOWNLOAD_PORT} is taken; serving downloads on ${server.url} instead`);
    return server;
  }
}

/** One link key per checkout, kept in .cache/, so links from earlier runs still verify. */
function devLinkSecret(): string {
  const file = join(import.meta.dirname, "..", ".cache", "dev-link-secret");
  if (!existsSync(file)) {
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

async function main() {
  const env = localEnv();
  const bucket = env.EXPORT_BUCKET as string;
  const queueName = "offline-export-dev-tasks";
  let app: App | undefined;
  const downloads = await listenForDownloads(() => {
    if (!app) throw new Error("the app is still starting");
    return app.downloadDeps;
  });
  say(`S3/SQS at ${env.AWS_ENDPOINT_URL ?? "AWS"}: bucket ${bucket}, queue ${queueName} (+ DLQ)`);
  const { queueUrl } = await provisionLocal({
    region: env.AWS_REGION as string,
    endpointUrl: env.AWS_ENDPOINT_URL,
    bucket,
    queueName,
    visibilityTimeoutSeconds: 60,
  });

  // Stable links, as deployed: the download function answers on 127.0.0.1.
  const config = loadConfig({
    LINK_MODE: "stable",
    LINK_SECRET: devLinkSecret(),
    LINK_BASE_URL: downloads.url,
    ...env,
    EXPORT_QUEUE_URL: env.EXPORT_QUEUE_URL ?? queueUrl,
  });
  app = createApp(config);
  say(`download function serving ${downloads.url} (as its function URL would)`);
  say(`task table ${config.taskTable.name} in ${config.taskDb.label}`);
  const report = await migrate(app.taskDb, config.taskTable);
  say(`migrated: ${JSON.stringify(report)}`);

  // The demo table is created by the data database's owner; task SQL then reads it as the
  // SELECT-only reader (DATA_DB_URL defaults to it), which may not create tables.
  const owner = process.env.DATA_DB_URL
    ? config.dataDb
    : parseDbUrl(env.OE_PG_URL ?? config.dataDb.url);
  const dataDb = createSqlClient(owner, 1);
  const rows = 1000;
  const table = await loadDemoOrders(dataDb, rows);
  await dataDb.close();
  say(
    `demo data: ${rows} rows in ${table} on ${config.dataDb.label}; task SQL runs as ${new URL(config.dataDb.url).username}`,
  );

  const id = await insertTask(app.taskDb, config.taskTable, {
    name: "订单导出",
    title: "序号,订单号,客户,金额,下单时间,备注",
    query: `SELECT order_no, customer, amount, created_at, note FROM ${table} ORDER BY id`,
    createrName: "张三",
  });
  say(`inserted task ${id} as the PHP app would; running scheduler + worker until idle`);
  const t0 = Date.now();
  await runLocal(app, { untilIdle: true, maxSeconds: 300 });
  const finished = await app.exportDeps.tasks.get(id);
  if (finished?.status !== 2 || !finished.filepath) {
    throw new Error(`task ${id} ended with status ${finished?.status}: ${finished?.msg}`);
  }
  say(
    `task ${id} succeeded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${finished.rowCount} rows, ${finished.byteCount} bytes (${config.encoding})`,
  );
  const link = finished.filepath;
  const first = await fetch(link, { redirect: "manual" });
  say(`link answered HTTP ${first.status} -> ${first.headers.get("location")?.slice(0, 60)}...`);
  const res = await fetch(link);
  const text = decodeText(Buffer.from(await res.arrayBuffer()), config.encoding);
  if (first.status !== 302 || res.status !== 200) throw new Error(`the link did not download`);
  say(`downloaded: HTTP ${res.status}, ${res.headers.get("content-disposition")}`);
  console.log(text.split("\r\n").slice(0, 6).join("\n"));
  // The same link with curl, as a user's browser would follow it.
  // (async: this process serves the link, so a blocking spawn would never be answered)
  const curl = await promisify(execFile)(
    "curl",
    ["-sSL", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", link],
    { encoding: "utf8" },
  ).catch((err: Error) => ({ stdout: `failed: ${err.message}` }));
  say(`curl -L: HTTP ${curl.stdout.replace(" ", ", ")} bytes`);
  if (!curl.stdout.startsWith("200 ")) throw new Error("curl -L did not download the link");
  say("stable download link:");
  console.log(link);
  say("the PHP download centre for this task's creator: npm run panel (README, The PHP side)");
  if (process.stdout.isTTY && !process.env.CI) {
    say(`serving downloads until Ctrl-C: curl -L -o export.csv '${link}'`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
  await downloads.close();
  await app.close();
}

main().catch((err) => {
  console.error(`[dev] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
