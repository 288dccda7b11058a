// npm run dev: the whole pipeline on this machine, from an inserted row to a downloaded file.

import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { createSqlClient } from "../lib/db/client.js";
import { provisionLocal } from "../lib/local/aws-setup.js";
import { decodeText } from "../lib/local/decode.js";
import { runLocal } from "../lib/local/local-runner.js";
import { insertTask } from "../lib/local/task-admin.js";
import { migrate } from "../lib/tasks/migrate.js";
import { loadDemoOrders } from "./demo-data.js";
import { localEnv } from "./env.js";

const say = (s: string) => console.log(`[dev] ${s}`);

async function main() {
  const env = localEnv();
  const bucket = env.EXPORT_BUCKET as string;
  const queueName = "offline-export-dev-tasks";
  say(`S3/SQS at ${env.AWS_ENDPOINT_URL ?? "AWS"}: bucket ${bucket}, queue ${queueName} (+ DLQ)`);
  const { queueUrl } = await provisionLocal({
    region: env.AWS_REGION as string,
    endpointUrl: env.AWS_ENDPOINT_URL,
    bucket,
    queueName,
    visibilityTimeoutSeconds: 60,
  });

  const config = loadConfig({ ...env, EXPORT_QUEUE_URL: env.EXPORT_QUEUE_URL ?? queueUrl });
  const app = createApp(config);
  say(`task table ${config.taskTable.name} in ${config.taskDb.label}`);
  const report = await migrate(app.taskDb, config.taskTable);
  say(`migrated: ${JSON.stringify(report)}`);

  const dataDb = createSqlClient(config.dataDb, 1);
  const rows = 1000;
  const table = await loadDemoOrders(dataDb, rows);
  await dataDb.close();
  say(`demo data: ${rows} rows in ${table} on ${config.dataDb.label}`);

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
  await app.close();
  if (finished?.status !== 2 || !finished.filepath) {
    throw new Error(`task ${id} ended with status ${finished?.status}: ${finished?.msg}`);
  }
  say(
    `task ${id} succeeded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${finished.rowCount} rows, ${finished.byteCount} bytes (${config.encoding})`,
  );
  const res = await fetch(finished.filepath);
  const text = decodeText(Buffer.from(await res.arrayBuffer()), config.encoding);
  say(`downloaded: HTTP ${res.status}, ${res.headers.get("content-disposition")}`);
  console.log(text.split("\r\n").slice(0, 6).join("\n"));
  say("download link:");
  console.log(finished.filepath);
}

main().catch((err) => {
  console.error(`[dev] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
