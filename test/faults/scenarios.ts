import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { App } from "../../lib/app.js";
import type { Engine } from "../../lib/db/url.js";
import { exportTask } from "../../lib/export/export-task.js";
import { schedulerPass } from "../../lib/scheduler.js";
import { STATUS } from "../../lib/status.js";
import { handleSqsBatch } from "../../lib/worker.js";
import { seriesSql, serviceUrl } from "../helpers.js";
import { restartPostgres } from "./restart.js";
import {
  makeWorld,
  type Outcome,
  queueDepth,
  runFleet,
  sleep,
  slowQuery,
  type World,
  waitForUpload,
} from "./world.js";

export interface Row extends Outcome {
  scenario: string;
  tasks: number;
  duplicatesDelivered: number;
  faults: number;
  expected: { ended2: number; ended3: number };
  note: string;
}

export type Scenario = () => Promise<Row>;

const ENGINES: Engine[] = ["mysql", "postgres"];
const other = (e: Engine): Engine => (e === "mysql" ? "postgres" : "mysql");

async function withWorld<T>(
  o: Parameters<typeof makeWorld>[0],
  fn: (w: World) => Promise<T>,
): Promise<T> {
  const w = await makeWorld(o);
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

const smallQuery = (engine: Engine) =>
  `SELECT s.n, CONCAT('行', s.n) AS t FROM ${seriesSql(engine, 20)}`;
const pgSmall = "SELECT g, '行' || g AS t FROM generate_series(1, 20) g";
const small = (engine: Engine) => (engine === "postgres" ? pgSmall : smallQuery("mysql"));

async function insertMany(
  w: World,
  engine: Engine,
  n: number,
  query = small(engine),
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++)
    ids.push(await w.insertTask({ name: `任务${i}`, title: "序号,n,t", query }));
  return ids;
}

async function sendIds(app: App, ids: number[], times: number): Promise<number> {
  let sent = 0;
  for (let t = 0; t < times; t++) {
    for (let i = 0; i < ids.length; i += 10) {
      const group = ids.slice(i, i + 10);
      await app.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: app.config.queueUrl,
          Entries: group.map((id, j) => ({
            Id: `${t}-${j}`,
            MessageBody: JSON.stringify({ id: String(id) }),
          })),
        }),
      );
      sent += group.length;
    }
  }
  return sent;
}

/** The same messages delivered many times (PHP also publishing), to two deployed copies at once. */
export const duplicateDelivery: Scenario = () =>
  withWorld({ taskEngine: "mysql", dataEngine: "postgres" }, async (w) => {
    const ids = await insertMany(w, "postgres", 20);
    const a = w.spawnApp();
    const b = w.spawnApp();
    // PHP publishes each task itself, three times, on top of what the scheduler sends.
    await sendIds(a, ids, 3);
    const fleet = await runFleet(w, [a, b], ids, { workersPerApp: 3, maxSeconds: 90 });
    return {
      scenario: "duplicate delivery, 2 workers (PHP + scheduler)",
      tasks: ids.length,
      duplicatesDelivered: fleet.duplicateDeliveries,
      faults: 0,
      expected: { ended2: ids.length, ended3: 0 },
      note: `${fleet.deliveries} deliveries`,
      ...(await w.outcome(ids)),
    };
  });

/** The very same message handled by two workers at the same instant. */
export const simultaneousClaims: Scenario = () =>
  withWorld({ taskEngine: "postgres", dataEngine: "mysql" }, async (w) => {
    const ids = await insertMany(w, "mysql", 10);
    const a = w.spawnApp();
    const b = w.spawnApp();
    const outcomes = await Promise.all(
      ids.flatMap((id) => [exportTask(a.exportDeps, id), exportTask(b.exportDeps, id)]),
    );
    const exported = outcomes.filter((o) => o.kind === "exported").length;
    const deferred = outcomes.filter((o) => o.kind === "deferred").length;
    // Tasks deferred by the in-flight cap are the scheduler's to send again.
    const fleet = await runFleet(w, [a], ids, { workersPerApp: 2, maxSeconds: 60 });
    return {
      scenario: "same message to two workers at once",
      tasks: ids.length,
      duplicatesDelivered: ids.length,
      faults: 0,
      expected: { ended2: ids.length, ended3: 0 },
      note: `${exported} exported at once, ${deferred} deferred by the cap, ${fleet.deliveries} later deliveries`,
      ...(await w.outcome(ids)),
    };
  });

function startWorkerProcess(
  w: World,
  id: number,
): { kill(): Promise<void>; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/faults/export-one.ts", String(id)],
    {
      env: { ...process.env, ...w.env, POWERTOOLS_LOG_LEVEL: "SILENT" },
      stdio: "ignore",
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    exited,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** kill -9 of the worker process mid-upload (a Lambda killed at its timeout looks the same). */
export const workerKilled: Scenario = () =>
  withWorld({ taskEngine: "postgres", dataEngine: "postgres" }, async (w) => {
    const ids = [
      await w.insertTask({
        name: "killed-pg",
        title: "序号,id,pad,p",
        query: slowQuery("postgres", 150_000, 4),
      }),
    ];
    const worker = startWorkerProcess(w, ids[0] as number);
    await waitForUpload(w, ids[0] as number);
    await worker.kill();
    const fleet = await runFleet(w, [w.spawnApp()], ids, { workersPerApp: 2, maxSeconds: 90 });
    const row = await w.app.exportDeps.tasks.get(ids[0] as number);
    return {
      scenario: "worker process killed mid-upload",
      tasks: ids.length,
      duplicatesDelivered: fleet.duplicateDeliveries,
      faults: 1,
      expected: { ended2: 1, ended3: 0 },
      note: `recovered by the lease; attempts ${row?.task.attempts}`,
      ...(await w.outcome(ids)),
    };
  });

/** Killed on every attempt: after MAX_ATTEMPTS the task fails, saying so; nothing is left stuck. */
export const killedEveryAttempt: Scenario = () =>
  withWorld({ taskEngine: "mysql", dataEngine: "mysql", env: { MAX_ATTEMPTS: "2" } }, async (w) => {
    const id = await w.insertTask({
      name: "always-killed",
      title: "",
      query: slowQuery("mysql", 150_000, 6),
    });
    let kills = 0;
    for (;;) {
      const row = await w.app.exportDeps.tasks.get(id);
      if (row?.status === STATUS.failed || kills > 4) break;
      if (row?.status === STATUS.pending) {
        const worker = startWorkerProcess(w, id);
        await waitForUpload(w, id);
        await worker.kill();
        kills += 1;
      }
      await schedulerPass(w.app.schedulerDeps).catch(() => {});
      await sleep(500);
    }
    // The pass that failed the task also swept the dead upload.
    await schedulerPass(w.app.schedulerDeps);
    const out = await w.outcome([id]);
    const problems = /stopped without finishing/.test(out.msgs[0] ?? "")
      ? []
      : [`unexpected msg: ${out.msgs[0]}`];
    return {
      scenario: "killed on every attempt (MAX_ATTEMPTS=2)",
      tasks: 1,
      duplicatesDelivered: 0,
      faults: kills,
      expected: { ended2: 0, ended3: 1 },
      note: "msg: worker stopped N times",
      ...out,
      problems: [...out.problems, ...problems],
    };
  });

/** The Lambda's deadline arrives mid-export: the worker aborts the upload and says why. */
export const deadline: Scenario = () =>
  withWorld({ taskEngine: "postgres", dataEngine: "postgres" }, async (w) => {
    const ids = [
      await w.insertTask({ name: "too-long", title: "", query: slowQuery("postgres", 300_000, 8) }),
    ];
    const fleet = await runFleet(w, [w.spawnApp()], ids, {
      workersPerApp: 1,
      maxSeconds: 60,
      exportOptions: () => ({ deadline: Date.now() + 3000 }),
    });
    const out = await w.outcome(ids);
    const problems = /stopped after \d+ seconds/.test(out.msgs[0] ?? "")
      ? []
      : [`unexpected msg: ${out.msgs[0]}`];
    return {
      scenario: "deadline before the Lambda timeout",
      tasks: 1,
      duplicatesDelivered: fleet.duplicateDeliveries,
      faults: 1,
      expected: { ended2: 0, ended3: 1 },
      note: "aborted at 3 s, msg says why",
      ...out,
      problems: [...out.problems, ...problems],
    };
  });

/** A worker cut off from the task table loses its lease; the task is handed on; the old worker must leave no trace. */
export const zombieWorker: Scenario = () =>
  withWorld({ taskEngine: "mysql", dataEngine: "postgres" }, async (w) => {
    const id = await w.insertTask({
      name: "zombie",
      title: "",
      query: slowQuery("postgres", 150_000, 6),
    });
    const { proxy, url } = await w.proxy(w.env.TASK_DB_URL as string);
    const zombie = w.spawnApp({ TASK_DB_URL: url });
    // Settled at once, so its rejection (it cannot reach the task table) is never unhandled.
    const first = exportTask(zombie.exportDeps, id).then(
      (o) => o.kind,
      (err) => `threw ${String((err as Error).message ?? err).slice(0, 40)}`,
    );
    await waitForUpload(w, id);
    await proxy.cut(); // the zombie can no longer heartbeat
    const fleet = await runFleet(w, [w.spawnApp()], [id], { workersPerApp: 1, maxSeconds: 90 });
    await proxy.restore();
    const zombieOutcome = await first.catch((err) => ({
      kind: `threw ${String(err).slice(0, 60)}`,
    }));
    await schedulerPass(w.app.schedulerDeps);
    return {
      scenario: "zombie worker (lease lost, task handed on)",
      tasks: 1,
      duplicatesDelivered: fleet.duplicateDeliveries,
      faults: 1,
      expected: { ended2: 1, ended3: 0 },
      note: `old worker: ${zombieOutcome}`,
      ...(await w.outcome([id])),
    };
  });

/** The data database restarts (PostgreSQL, really) or drops the export's connection (MariaDB) mid-stream. */
export const dataDbRestart =
  (engine: Engine): Scenario =>
  () =>
    withWorld(
      { taskEngine: other(engine), dataEngine: engine, env: { MAX_ATTEMPTS: "5" } },
      async (w) => {
        const id = await w.insertTask({
          name: "restart",
          title: "",
          query: slowQuery(engine, 150_000, 4),
        });
        const worker = w.spawnApp();
        const fleet = runFleet(w, [worker], [id], { workersPerApp: 1, maxSeconds: 120 });
        await waitForUpload(w, id);
        let how: string;
        if (engine === "postgres") {
          how = await restartPostgres(w.dataDb);
        } else {
          // Every connection running the export's query is killed, as a server restart would.
          const res = await w.dataDb.query<{ id: number }>(
            "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE '%订单数据 order-%' AND ID <> CONNECTION_ID()",
          );
          for (const r of res.rows) await w.dataDb.query(`KILL CONNECTION ${Number(r.id)}`);
          how = `KILL CONNECTION x${res.rows.length}`;
        }
        const f = await fleet;
        const row = await w.app.exportDeps.tasks.get(id);
        return {
          scenario: `data database (${engine}) restarted mid-stream`,
          tasks: 1,
          duplicatesDelivered: f.duplicateDeliveries,
          faults: 1,
          expected: { ended2: 1, ended3: 0 },
          note: `${how}; attempts ${row?.task.attempts}`,
          ...(await w.outcome([id])),
        };
      },
    );

/** The S3/SQS emulator goes away mid-upload for a few seconds. */
export const storageDown: Scenario = () =>
  withWorld({ taskEngine: "postgres", dataEngine: "postgres" }, async (w) => {
    const id = await w.insertTask({
      name: "s3-down",
      title: "",
      query: slowQuery("postgres", 150_000, 4),
    });
    const { proxy, url } = await w.proxy(w.env.AWS_ENDPOINT_URL as string);
    const worker = w.spawnApp({ AWS_ENDPOINT_URL: url });
    const fleet = runFleet(w, [worker], [id], { workersPerApp: 1, maxSeconds: 120 });
    await waitForUpload(w, id);
    await proxy.cut();
    await sleep(3000);
    await proxy.restore();
    const f = await fleet;
    const row = await w.app.exportDeps.tasks.get(id);
    return {
      scenario: "S3/SQS emulator unreachable mid-upload (3 s)",
      tasks: 1,
      duplicatesDelivered: f.duplicateDeliveries,
      faults: 1,
      expected: { ended2: 1, ended3: 0 },
      note: `attempts ${row?.task.attempts}`,
      ...(await w.outcome([id])),
    };
  });

/** The task database is unreachable for a while during scheduler passes and exports. */
export const taskDbDown: Scenario = () =>
  withWorld({ taskEngine: "mysql", dataEngine: "postgres" }, async (w) => {
    const ids = await insertMany(w, "postgres", 10, slowQuery("postgres", 20_000, 1));
    const { proxy, url } = await w.proxy(w.env.TASK_DB_URL as string);
    const app = w.spawnApp({ TASK_DB_URL: url });
    const fleet = runFleet(w, [app], ids, { workersPerApp: 3, maxSeconds: 120 });
    await sleep(1500);
    await proxy.cut();
    await sleep(2500);
    await proxy.restore();
    const f = await fleet;
    return {
      scenario: "task database unreachable 2.5 s during passes",
      tasks: ids.length,
      duplicatesDelivered: f.duplicateDeliveries,
      faults: 1,
      expected: { ended2: ids.length, ended3: 0 },
      note: "",
      ...(await w.outcome(ids)),
    };
  });

/** 200 tasks at once, PHP also publishing each; the in-flight cap is sampled throughout. */
export const load: Scenario = () =>
  withWorld(
    { taskEngine: "postgres", dataEngine: "mysql", env: { MAX_IN_FLIGHT: "4" } },
    async (w) => {
      const ids = await insertMany(w, "mysql", 200);
      const a = w.spawnApp();
      const b = w.spawnApp();
      await sendIds(a, ids, 1);
      let max = 0;
      let samples = 0;
      let sampling = true;
      const table = w.config.taskTable.name;
      const sampler = (async () => {
        while (sampling) {
          const res = await w.taskDb.query<{ n: string | number }>(
            `SELECT COUNT(*) AS n FROM ${table} WHERE status = 1`,
          );
          max = Math.max(max, Number(res.rows[0]?.n ?? 0));
          samples += 1;
          await sleep(20);
        }
      })();
      const fleet = await runFleet(w, [a, b], ids, {
        workersPerApp: 4,
        maxSeconds: 300,
        passEveryMs: 250,
      });
      sampling = false;
      await sampler;
      const out = await w.outcome(ids);
      return {
        scenario: "200 tasks at once, MAX_IN_FLIGHT=4",
        tasks: ids.length,
        duplicatesDelivered: fleet.duplicateDeliveries,
        faults: 0,
        expected: { ended2: ids.length, ended3: 0 },
        note: `max in status 1: ${max} (cap 4) over ${samples} samples`,
        ...out,
        problems: [...out.problems, ...(max > 4 ? [`cap exceeded: ${max}`] : [])],
      };
    },
  );

/** Task SQL that tries to write, on each engine: every one fails with a msg, and the data is unchanged. */
export const writesRefused =
  (engine: Engine): Scenario =>
  () =>
    withWorld(
      { taskEngine: other(engine), dataEngine: engine, env: { STATEMENT_TIMEOUT_SECONDS: "2" } },
      async (w) => {
        const g = `oe_guard_${Date.now().toString(36)}`;
        const db = w.dataDb;
        const outfile = `/tmp/${g}.txt`;
        await db.query(`CREATE TABLE ${g} (id INT PRIMARY KEY, v INT)`);
        await db.query(`INSERT INTO ${g} VALUES (1, 10), (2, 20)`);
        await db.query(`CREATE SEQUENCE ${g}_seq`);
        const nextval =
          engine === "postgres" ? `SELECT nextval('${g}_seq')` : `SELECT NEXTVAL(${g}_seq)`;
        const forever = engine === "postgres" ? "SELECT pg_sleep(100000)" : "SELECT SLEEP(100000)";
        const queries = [
          `DELETE FROM ${g}`,
          `UPDATE ${g} SET v = v + 1`,
          `DROP TABLE ${g}`,
          `INSERT INTO ${g} SELECT id + 10, v FROM ${g}`,
          `CREATE TABLE ${g}_copy AS SELECT * FROM ${g}`,
          nextval,
          `SELECT 1; DELETE FROM ${g}`,
          forever,
          engine === "postgres"
            ? `WITH d AS (DELETE FROM ${g} RETURNING *) SELECT * FROM d`
            : `SELECT * FROM ${g} INTO OUTFILE '${outfile}'`,
          engine === "postgres"
            ? `COPY (SELECT * FROM ${g}) TO '${outfile}'`
            : `/* x */ LOAD DATA INFILE '/etc/hostname' INTO TABLE ${g}`,
          `SELECT * FROM ${g} FOR UPDATE`,
        ];
        const ids: number[] = [];
        for (const query of queries)
          ids.push(await w.insertTask({ name: "write", title: "", query }));
        await runFleet(w, [w.spawnApp()], ids, { workersPerApp: 4, maxSeconds: 60 });
        const out = await w.outcome(ids);
        const problems: string[] = [];
        const data = await db.query<{ id: number; v: number }>(
          `SELECT id, v FROM ${g} ORDER BY id`,
        );
        const seq = await db.query<Record<string, unknown>>(
          engine === "postgres"
            ? `SELECT last_value, is_called FROM ${g}_seq`
            : `SELECT next_not_cached_value AS last_value FROM ${g}_seq`,
        );
        const text = JSON.stringify(data.rows.map((r) => [Number(r.id), Number(r.v)]));
        if (text !== "[[1,10],[2,20]]") problems.push(`data changed: ${text}`);
        const seqText = JSON.stringify(seq.rows[0]);
        if (
          engine === "postgres"
            ? seq.rows[0]?.is_called !== false
            : Number(seq.rows[0]?.last_value) !== 1
        )
          problems.push(`sequence advanced: ${seqText}`);
        if (existsSync(outfile)) {
          problems.push(`file written: ${outfile}`);
          rmSync(outfile, { force: true });
        }
        const copy = await db
          .query(`SELECT COUNT(*) AS n FROM ${g}_copy`)
          .then(() => true)
          .catch(() => false);
        if (copy) problems.push("table created");
        out.msgs.forEach((m, i) => {
          if (!m || m.length > 2000) problems.push(`query ${i}: msg ${JSON.stringify(m)}`);
        });
        await db.query(`DROP TABLE ${g}`);
        await db.query(`DROP SEQUENCE ${g}_seq`);
        return {
          scenario: `task SQL that writes (${engine}), ${queries.length} kinds`,
          tasks: ids.length,
          duplicatesDelivered: 0,
          faults: queries.length,
          // FOR UPDATE takes row locks: both engines refuse it in a read-only transaction too.
          expected: { ended2: 0, ended3: ids.length },
          note: "data, sequence, files unchanged",
          ...out,
          problems: [...out.problems, ...problems],
        };
      },
    );

/** Malformed message bodies, in the queue and in one batch with good ones. */
export const badMessages: Scenario = () =>
  withWorld({ taskEngine: "postgres", dataEngine: "postgres" }, async (w) => {
    const ids = await insertMany(w, "postgres", 2);
    const bad = [
      "not json",
      "{}",
      '{"id":"abc"}',
      '{"id":-3}',
      '{"id":1.5}',
      '{"id":999999999}',
      "null",
      `{"id":1,"pad":"${"x".repeat(200_000)}"}`,
    ];
    const app = w.spawnApp();
    // One batch, as Lambda would deliver it: bad records must not fail the good ones.
    const records = [...bad, ...ids.map((id) => JSON.stringify({ id }))].map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: "",
      body,
      attributes: {} as never,
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "",
      awsRegion: "",
    }));
    const res = await handleSqsBatch(app.exportDeps, { Records: records });
    // And through the real queue: each bad body is consumed once, not redelivered forever.
    for (const body of bad)
      await app.sqs.send(
        new SendMessageCommand({ QueueUrl: app.config.queueUrl, MessageBody: body }),
      );
    const fleet = await runFleet(w, [app], ids, { workersPerApp: 2, maxSeconds: 60 });
    const depth = await queueDepth(app);
    const out = await w.outcome(ids);
    const problems = [
      ...(res.batchItemFailures.length ? [`batch failures: ${res.batchItemFailures.length}`] : []),
      ...(depth ? [`${depth} messages left on the queue`] : []),
    ];
    return {
      scenario: "malformed messages (batch + queue)",
      tasks: ids.length,
      duplicatesDelivered: 0,
      faults: bad.length * 2,
      expected: { ended2: ids.length, ended3: 0 },
      note: `${fleet.deliveries} deliveries, 0 batch failures, queue empty`,
      ...out,
      problems: [...out.problems, ...problems],
    };
  });

export { ENGINES, serviceUrl };

/**
 * Task fields a PHP app might really send: quotes, backslashes, SQL fragments, very long text,
 * invalid UTF-8 (stored as raw bytes), a title whose width differs from the query, and a
 * failure whose msg the (legacy, utf8mb3) msg column cannot hold.
 */
export const hostileFields: Scenario = () =>
  withWorld({ taskEngine: "mysql", dataEngine: "postgres", env: {} }, async (w) => {
    const t = w.config.taskTable.name;
    const nasty = `O'Brien "q" \\ back\\slash '; DROP TABLE ${t}; -- %s %d $1 ? \u0000`;
    const specs: { name: string; title: string; query: string; ok: boolean }[] = [
      {
        name: nasty,
        title: `序号,${nasty},b`,
        query: "SELECT 'it''s' AS a, E'back\\\\slash' AS b",
        ok: true,
      },
      {
        name: "长标题",
        title: Array.from({ length: 5000 }, (_, i) => `列${i}`).join(","),
        query: "SELECT 1 AS a",
        ok: true,
      },
      { name: "窄标题", title: "序号", query: "SELECT 1 AS a, 2 AS b, 3 AS c", ok: true },
      { name: "宽标题", title: "序号,a,b,c,d,e", query: "SELECT 1 AS a", ok: true },
      {
        name: "x".repeat(255),
        title: "",
        query: `SELECT 1 AS a -- ${"长".repeat(100_000)}`,
        ok: true,
      },
      { name: "err😀", title: "", query: 'SELECT "列😀不存在" FROM (SELECT 1) x', ok: false },
      { name: "syntax", title: "", query: `SELEC ${"'".repeat(3)}`, ok: false },
    ];
    const ids: number[] = [];
    for (const s of specs) ids.push(await w.insertTask(s));
    // Invalid UTF-8 as raw bytes, as a PHP app on a latin1/binary connection can store it.
    const raw = w.taskDb;
    await raw.withLock("oe-faults-binary", async (s) => {
      // Not strict: the server keeps what it can of the bytes, as a lax PHP setup would.
      await s.query("SET SESSION sql_mode = ''");
      await s.query("SET NAMES binary");
      await s.query(
        `INSERT INTO ${t} (name, title, query, creater_name) VALUES (X'C328FF6E616D65', X'E5BA8FE58FB72CC328', 'SELECT 1 AS a', X'FE')`,
      );
      const res = await s.query<{ id: number }>("SELECT LAST_INSERT_ID() AS id");
      ids.push(Number(res.rows[0]?.id));
      await s.query("SET NAMES utf8mb4");
      await s.query("SET SESSION sql_mode = DEFAULT");
    });
    // A legacy msg column that cannot hold 4-byte characters: the failure must still be recorded.
    await raw.query(`ALTER TABLE ${t} MODIFY msg TEXT CHARACTER SET utf8mb3 NULL`);
    await runFleet(w, [w.spawnApp()], ids, { workersPerApp: 3, maxSeconds: 60 });
    const out = await w.outcome(ids);
    const problems: string[] = [];
    const expectedOk = specs.filter((s) => s.ok).length + 1;
    for (const m of out.msgs) {
      if (m && (m.length > 2000 || /export-local-pw|127\.0\.0\.1|:5\d{4}/.test(m)))
        problems.push(`msg leaks or too long: ${m.slice(0, 80)}`);
    }
    const tableStill = await raw.query(`SELECT COUNT(*) AS n FROM ${t}`).then(
      () => true,
      () => false,
    );
    if (!tableStill) problems.push("task table gone");
    return {
      scenario: "hostile task fields (quotes, SQL, long, bad UTF-8)",
      tasks: ids.length,
      duplicatesDelivered: 0,
      faults: ids.length,
      expected: { ended2: expectedOk, ended3: ids.length - expectedOk },
      note: "msgs short, no secrets, table intact",
      ...out,
      problems: [...out.problems, ...problems],
    };
  });
