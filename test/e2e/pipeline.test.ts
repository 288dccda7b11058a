import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { type Engine, parseDbUrl } from "../../lib/db/url.js";
import { createDataSource } from "../../lib/engines/index.js";
import { exportTask } from "../../lib/export/export-task.js";
import { deleteRecords, receiveRecords } from "../../lib/local/sqs-records.js";
import { secretsOf } from "../../lib/redact.js";
import { STATUS } from "../../lib/status.js";
import { handleSqsBatch } from "../../lib/worker.js";
import { download, type Harness, makeHarness } from "../helpers.js";
import {
  createOrders,
  expectedOrders,
  ORDERS_TITLE,
  ordersQuery,
  parseExport,
  TRICKY,
} from "./fixtures.js";

/** Inserted row -> scheduler -> SQS -> worker -> S3 -> link in the row -> downloaded, decoded, compared. */
async function exportAndCheck(h: Harness, table: string, name: string) {
  const id = await h.insertTask({ name, title: ORDERS_TITLE, query: ordersQuery(table) });
  const t0 = Date.now();
  await h.runUntilIdle(300);
  const seconds = (Date.now() - t0) / 1000;
  const row = await h.app.exportDeps.tasks.get(id);
  assert.equal(row?.status, STATUS.succeeded, `task ended with msg: ${row?.msg}`);
  assert.ok(row?.filepath?.startsWith("http"), "filepath holds the download link");
  assert.match(
    row.filepath as string,
    /[?&]X-Amz-Expires=604800(&|$)/,
    "LINK_TTL_SECONDS defaults to 7 days",
  );
  const file = await download(row.filepath as string);
  assert.equal(file.status, 200);
  assert.equal(file.bytes.length, row.byteCount, "byte_count matches the download");
  assert.equal(file.headers.get("content-type"), "text/csv; charset=GB18030");
  assert.equal(
    file.headers.get("content-disposition"),
    `attachment; filename="${name.replace(/[^\x20-\x7e]/g, "_")}.csv"; filename*=UTF-8''${encodeURIComponent(name)}.csv`,
  );
  const { header, rows } = parseExport(file.bytes, "gb18030");
  assert.deepEqual(header, ORDERS_TITLE.split(","));
  const expected = await expectedOrders(h.dataDb, table);
  assert.equal(rows.length, expected.length);
  assert.equal(row.rowCount, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const want = [String(i + 1), ...(expected[i] ?? []).map((v) => v ?? "")];
    if (JSON.stringify(rows[i]) !== JSON.stringify(want))
      assert.deepEqual(rows[i], want, `row ${i + 1}`);
  }
  return { id, rows: rows.length, bytes: file.bytes.length, seconds };
}

const COMBOS: [Engine, Engine, number][] = [
  ["mysql", "postgres", 100_000], // the seed's layout: tasks in MySQL, data in PostgreSQL
  ["postgres", "mysql", 100_000],
  ["mysql", "mysql", 1_000],
  ["postgres", "postgres", 1_000],
];

for (const [taskEngine, dataEngine, generated] of COMBOS) {
  describe(`export: task table on ${taskEngine}, data on ${dataEngine}`, () => {
    let h: Harness;
    let orders: string;
    before(async () => {
      h = await makeHarness({ taskEngine, dataEngine });
      orders = await createOrders(h.dataDb, generated);
    });
    after(async () => {
      await h.dataDb.query(`DROP TABLE IF EXISTS ${orders}`);
      await h.close();
    });

    it(`exports ${TRICKY.length + generated} rows value for value, Chinese, emoji, Ext-B, quotes and newlines intact`, async () => {
      const r = await exportAndCheck(h, orders, "订单导出");
      // Figures for the closing note; the assertions above are what the test checks.
      console.log(
        `# e2e ${taskEngine}->${dataEngine}: ${r.rows} rows, ${r.bytes} bytes GB18030, ${r.seconds.toFixed(2)} s from insert to status 2`,
      );
      const uploads = await h.app.s3.send(
        new ListMultipartUploadsCommand({ Bucket: h.config.bucket }),
      );
      assert.deepEqual(uploads.Uploads ?? [], []);
    });

    it("writes only the header for an empty result", async () => {
      const id = await h.insertTask({
        name: "空结果",
        title: ORDERS_TITLE,
        query: `${ordersQuery(orders).replace("ORDER BY", "WHERE 1 = 0 ORDER BY")}`,
      });
      await h.runUntilIdle();
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
      assert.equal(row.rowCount, 0);
      const file = await download(row.filepath as string);
      assert.equal(
        file.bytes.toString("latin1"),
        "\xd0\xf2\xba\xc5,\xbf\xcd\xbb\xa7,\xbd\xf0\xb6\xee,\xcf\xc2\xb5\xa5\xca\xb1\xbc\xe4,\xb1\xb8\xd7\xa2\r\n",
      );
    });

    it("fails a task whose SQL is wrong, with the database's reason in msg and no secrets", async () => {
      const id = await h.insertTask({
        name: "坏任务",
        title: "a,b",
        query: "SELECT nope FROM no_such_table_here",
      });
      await h.runUntilIdle();
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.failed);
      assert.match(
        row?.msg ?? "",
        /^The query failed: .*no_such_table_here.*(doesn't exist|does not exist)/,
      );
      for (const secret of ["export-local-pw", "127.0.0.1", "mysql://", "postgres://"]) {
        assert.ok(!row?.msg?.includes(secret), `msg leaks ${secret}: ${row?.msg}`);
      }
      assert.equal(row?.filepath, null);
    });
  });
}

describe("delivery paths", () => {
  let h: Harness;
  let orders: string;
  before(async () => {
    h = await makeHarness({
      taskEngine: "postgres",
      dataEngine: "postgres",
      env: { CSV_ENCODING: "utf8-bom", LINK_TTL_SECONDS: "3600" },
    });
    orders = await createOrders(h.dataDb, 10);
  });
  after(async () => {
    await h.dataDb.query(`DROP TABLE IF EXISTS ${orders}`);
    await h.close();
  });

  it("PHP publishing {id} directly starts the task without the scheduler, and duplicates export once", async () => {
    const id = await h.insertTask({
      name: "direct",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
    });
    for (const body of [JSON.stringify({ id }), JSON.stringify({ id: String(id) }), "not json"]) {
      await h.app.sqs.send(
        new SendMessageCommand({ QueueUrl: h.config.queueUrl, MessageBody: body }),
      );
    }
    const records = [];
    for (let i = 0; i < 5 && records.length < 3; i++) {
      records.push(...(await receiveRecords(h.app.sqs, h.config.queueUrl, 10, 1)));
    }
    assert.equal(records.length, 3);
    // One batch holding the message, its duplicate and garbage: no record fails.
    const res = await handleSqsBatch(h.app.exportDeps, { Records: records });
    assert.deepEqual(res.batchItemFailures, []);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
    assert.equal(row.task.attempts, 1, "claimed once");
    const objects = await h.app.s3.send(new ListObjectsV2Command({ Bucket: h.config.bucket }));
    assert.deepEqual(
      objects.Contents?.map((o) => o.Key),
      [row.s3Key],
      "one object",
    );
    const file = await download(row.filepath as string);
    assert.equal(file.bytes.subarray(0, 3).toString("hex"), "efbbbf", "CSV_ENCODING=utf8-bom");
    assert.equal(parseExport(file.bytes, "utf8-bom").rows.length, TRICKY.length + 10);
    assert.equal(file.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(row.filepath as string, /[?&]X-Amz-Expires=3600(&|$)/);
  });

  it("a storage failure ends the task in status 3 with a readable msg, not stuck in 1", async () => {
    const id = await h.insertTask({
      name: "no bucket",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
    });
    const deps = {
      ...h.app.exportDeps,
      settings: { ...h.app.exportDeps.settings, bucket: "oe-no-such-bucket" },
    };
    const outcome = await exportTask(deps, id);
    assert.equal(outcome.kind, "failed");
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.failed);
    assert.match(row?.msg ?? "", /^Writing the file to storage failed: NoSuchBucket/);
    assert.equal(row?.filepath, null);
  });

  it("an unreachable data database is retried, then fails the task with a msg free of hosts and passwords", async () => {
    const url = "postgres://exporter:Top$ecret9@127.0.0.1:1/app";
    const deps = {
      ...h.app.exportDeps,
      source: createDataSource(parseDbUrl(url), { statementTimeoutSeconds: 5 }),
      settings: { ...h.app.exportDeps.settings, maxAttempts: 2, retryDelaySeconds: 0 },
      secrets: secretsOf([url]),
    };
    const id = await h.insertTask({ name: "down", title: "a", query: "SELECT 1" });
    assert.equal((await exportTask(deps, id)).kind, "retrying");
    const first = await h.app.exportDeps.tasks.get(id);
    assert.equal(first?.status, STATUS.pending, "back to pending for another attempt");
    assert.match(
      first?.msg ?? "",
      /^Attempt 1 of 2 failed and will be retried in 0 s: Could not reach the database \(connection refused\)/,
    );
    assert.equal((await exportTask(deps, id)).kind, "failed");
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.failed);
    assert.match(
      row?.msg ?? "",
      /^Gave up after 2 attempts\. Could not reach the database \(connection refused\)/,
    );
    for (const msg of [first?.msg, row?.msg])
      for (const leak of ["Top$ecret9", "127.0.0.1", ":1", "exporter"])
        assert.ok(!msg?.includes(leak), leak);
  });

  it("the deployed handlers work when loaded with the environment, as Lambda loads them", async () => {
    const id = await h.insertTask({
      name: "handlers",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
    });
    const env = {
      TASK_DB_URL: h.config.taskDb.url,
      DATA_DB_URL: h.config.dataDb.url,
      TASK_TABLE: h.config.taskTable.name,
      EXPORT_BUCKET: h.config.bucket,
      EXPORT_QUEUE_URL: h.config.queueUrl,
      SCHEDULER_RUN_SECONDS: "0",
    };
    Object.assign(process.env, env);
    // The handlers read the environment when loaded, as on a Lambda cold start: import them late.
    const scheduler = await import("../../functions/scheduler.js");
    const worker = await import("../../functions/worker.js");
    const context = {
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as import("aws-lambda").Context;
    const pass = await scheduler.handler({}, context);
    assert.deepEqual(pass, { passes: 1, sent: 1 });
    const records = await receiveRecords(h.app.sqs, h.config.queueUrl, 10, 2);
    assert.deepEqual(
      records.map((r) => JSON.parse(r.body)),
      [{ id }],
    );
    const res = await worker.handler({ Records: records }, context);
    assert.deepEqual(res.batchItemFailures, []);
    await deleteRecords(h.app.sqs, h.config.queueUrl, records);
    assert.equal((await h.app.exportDeps.tasks.get(id))?.status, STATUS.succeeded);
  });
});
