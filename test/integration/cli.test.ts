// The operator CLI as an operator runs it: the real process (bin/offline-export.mjs) against
// the real task table on each engine, moto's S3 and SQS. Each verb's output, exit code and
// its effect on the row, the bucket and the queue.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { textWidth } from "../../cli/format.js";
import { awsClientConfig } from "../../lib/aws-config.js";
import type { Engine } from "../../lib/db/url.js";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient } from "../../lib/engines/dialect.js";
import { createSqlClient } from "../../lib/engines/index.js";
import { parseTableName, type TableName } from "../../lib/identifiers.js";
import { provisionLocal } from "../../lib/local/aws-setup.js";
import { insertTask } from "../../lib/local/task-admin.js";
import { STATUS } from "../../lib/status.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { TaskStore } from "../../lib/tasks/store.js";
import { ENGINES, taskUrl, uniqueName } from "../helpers.js";

const root = join(import.meta.dirname, "..", "..");
const BIN = join(root, "bin", "offline-export.mjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a separate process, with exactly the environment given (plus PATH and AWS keys). */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
        // c8 follows the child when the suite runs under it.
        ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const interval = (engine: Engine, n: number, unit: "DAY" | "HOUR") =>
  engine === "mysql" ? `INTERVAL ${n} ${unit}` : `INTERVAL '${n} ${unit.toLowerCase()}s'`;

describe("operator CLI: command line and settings (no database needed)", () => {
  it("prints help, per-verb help, and refuses bad command lines with exit 2", async () => {
    const [help, verbHelp, badVerb, badFlag, noId, noAge, badAge] = await Promise.all([
      cli(["help"], {}),
      cli(["cancel", "--help"], {}),
      cli(["frobnicate"], {}),
      cli(["list", "--colour"], {}),
      cli(["show"], {}),
      cli(["purge", "--json"], {}),
      cli(["list", "--older-than", "7x"], {}),
    ]);
    assert.equal(help.code, 0);
    for (const verb of ["list", "show", "enqueue", "retry", "requeue-stuck", "cancel", "purge"])
      assert.match(help.stdout, new RegExp(`^  ${verb} `, "m"));
    assert.match(help.stdout, /Exit codes:/);
    assert.equal(verbHelp.code, 0);
    assert.match(verbHelp.stdout, /cancel <id\.\.\.> \[--by NAME\]/);
    assert.deepEqual(
      [badVerb.code, badFlag.code, noId.code, noAge.code, badAge.code],
      [2, 2, 2, 2, 2],
    );
    assert.match(badVerb.stderr, /unknown verb "frobnicate": use one of list, show/);
    assert.match(
      badFlag.stderr,
      /list has no option --colour\nRun `npx offline-export list --help`/,
    );
    assert.match(noId.stderr, /show needs a task id/);
    assert.match(badAge.stderr, /--older-than must be an age such as 30m, 12h, 7d or 2w, not "7x"/);
    // --json: the error as one JSON document on stdout too.
    assert.deepEqual(JSON.parse(noAge.stdout), {
      error: "purge needs --older-than",
      hint: "Run `npx offline-export purge --help` for usage.",
      exit_code: 2,
    });
  });

  it("says which setting is missing and what to set it to, exit 1", async () => {
    const missing = await cli(["list"], { EXPORT_BUCKET: "b", AWS_REGION: "us-east-1" });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /TASK_DB_URL is not set: set it to the task database's URL .*TASK_DB_SECRET_ARN/,
    );
  });

  it("answers through `npx offline-export` from the repository", async () => {
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn("npx", ["--no-install", "offline-export", "help", "purge"], {
        cwd: root,
        env: { ...process.env },
      });
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr: "" }));
    });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /purge --older-than AGE \[--dry-run\]/);
  });
});

for (const engine of ENGINES) {
  describe(`operator CLI on a ${engine} task table`, () => {
    let db: DbClient;
    let table: TableName;
    let store: TaskStore;
    let env: Record<string, string>;
    let s3: S3Client;
    let sqs: SQSClient;
    let queueUrl: string;
    const bucket = `oe-cli-${engine}-${uniqueName("b").toLowerCase().replace(/_/g, "-")}`;
    const password = new URL(taskUrl(engine)).password;

    const add = (createrName = "alice", name = "订单导出") =>
      insertTask(db, table, { name, title: "序号,订单号", query: "SELECT 1 AS n", createrName });
    const claimed = async (createrName?: string) => {
      const id = await add(createrName);
      const c = await store.claim(id, 100, 100);
      assert.ok(c.kind === "claimed");
      return c.task;
    };
    const row = async (id: number) => {
      const r = await store.get(id);
      assert.ok(r, `task ${id} exists`);
      return r;
    };
    const exec = (sql: string) => db.query(sql);
    /** A succeeded task whose file is really in the bucket. */
    const exported = async (body: string, createrName?: string) => {
      const task = await claimed(createrName);
      const s3Key = `exports/task-${task.id}-a${task.attempts}-cli.csv`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: s3Key, Body: body }));
      const filepath = `http://127.0.0.1:54580/d/${task.id}?o=x&e=1&s=2`;
      assert.ok(
        await store.complete(task, { filepath, s3Key, rowCount: 2, byteCount: body.length }),
      );
      return { id: task.id, s3Key };
    };
    const received = async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      return (res.Messages ?? []).map((m) => JSON.parse(m.Body ?? "{}").id as number);
    };

    before(async () => {
      db = createSqlClient(parseDbUrl(taskUrl(engine)), 2);
      table = parseTableName(uniqueName("cli"));
      await migrate(db, table);
      store = new TaskStore(db, table);
      const region = process.env.AWS_REGION ?? "us-east-1";
      const endpointUrl = process.env.AWS_ENDPOINT_URL as string;
      ({ queueUrl } = await provisionLocal({
        region,
        endpointUrl,
        bucket,
        queueName: bucket,
        visibilityTimeoutSeconds: 30,
      }));
      s3 = new S3Client(awsClientConfig({ region, endpointUrl }));
      sqs = new SQSClient(awsClientConfig({ region, endpointUrl }));
      env = {
        TASK_DB_URL: taskUrl(engine),
        TASK_TABLE: table.name,
        EXPORT_BUCKET: bucket,
        EXPORT_QUEUE_URL: queueUrl,
        AWS_REGION: region,
        AWS_ENDPOINT_URL: endpointUrl,
        USER: "tester",
      };
    });
    after(async () => {
      await exec(`DROP TABLE IF EXISTS ${table.name}`);
      await exec(`DROP TABLE IF EXISTS ${table.name}_lock`);
      await db.close();
      s3.destroy();
      sqs.destroy();
    });

    it("list: newest first, filtered by status, creator and age, paged; a table or JSON", async () => {
      const pending = await add("dave", "待办");
      const done = await exported("a,b\r\n1,2\r\n", "dave");
      const failedTask = await claimed("erin");
      await store.fail(failedTask, 'Bad SQL: column "x" does not exist');
      await exec(
        `UPDATE ${table.name} SET created_at = created_at - ${interval(engine, 3, "HOUR")} WHERE id = ${pending}`,
      );

      const [all, failed, page, old] = await Promise.all([
        cli(["list"], env),
        cli(["list", "--status", "failed,0", "--json"], env),
        cli(["list", "--creator", "dave", "--limit", "1", "--json"], env),
        cli(["list", "--older-than=2h", "--status", "pending"], env),
      ]);
      assert.equal(all.code, 0, all.stderr);
      const lines = all.stdout.trimEnd().split("\n");
      assert.match(
        lines[0] as string,
        /^ *id {2}status +creator +name +rows +size +run +age {2}msg$/,
      );
      const ids = lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[0]));
      assert.deepEqual(ids, [failedTask.id, done.id, pending]);
      assert.match(
        lines[1] as string,
        /failed +erin +订单导出 .*Bad SQL: column "x" does not exist$/,
      );
      assert.match(lines[2] as string, /succeeded +dave +订单导出 +2 +10 B +\d+s +\d+s$/);
      assert.match(lines[3] as string, /pending +dave +待办 +- +- +- +3h 0\dm$/);
      // Columns line up, counting a Chinese character as two columns as a terminal does.
      const msgAt = (l: string, text: string) => textWidth(l.slice(0, l.indexOf(text)));
      assert.equal(msgAt(lines[1] as string, "Bad SQL"), msgAt(lines[0] as string, "msg"));

      assert.equal(failed.code, 0);
      const f = JSON.parse(failed.stdout);
      assert.deepEqual(
        f.tasks.map((t: { id: number; status_name: string }) => [t.id, t.status_name]),
        [
          [failedTask.id, "failed"],
          [pending, "pending"],
        ],
      );
      assert.equal(f.tasks[0].msg, 'Bad SQL: column "x" does not exist');
      assert.equal(f.tasks[0].query, undefined, "list leaves the query out");

      const p = JSON.parse(page.stdout);
      assert.deepEqual(
        p.tasks.map((t: { id: number }) => t.id),
        [done.id],
      );
      assert.equal(p.next_before_id, done.id);
      assert.equal(p.tasks[0].bytes, 10);
      assert.equal(p.tasks[0].link, `http://127.0.0.1:54580/d/${done.id}?o=x&e=1&s=2`);

      assert.equal(old.code, 0);
      assert.deepEqual(
        old.stdout
          .trim()
          .split("\n")
          .slice(1)
          .map((l) => Number(l.trim().split(/\s+/)[0])),
        [pending],
      );
    });

    it("show: every field, the timeline with steps between, attempts of this run; no credentials", async () => {
      const done = await exported("x,y\r\n");
      await exec(
        `UPDATE ${table.name} SET options = '{"format":"csv","compress":"gzip"}', attempts = 4, attempt_base = 3 WHERE id = ${done.id}`,
      );
      const [text, json, missing] = await Promise.all([
        cli(["show", String(done.id)], env),
        cli(["show", String(done.id), "--json"], env),
        cli(["show", "987654321"], env),
      ]);
      assert.equal(text.code, 0, text.stderr);
      const out = text.stdout;
      assert.match(out, new RegExp(`^Task ${done.id}: 订单导出$`, "m"));
      assert.match(out, /^ {2}status +succeeded \(2\)$/m);
      assert.match(out, /^ {2}creator +alice$/m);
      assert.match(out, /^ {2}title +序号,订单号$/m);
      assert.match(out, /^ {2}options +\{"format":"csv","compress":"gzip"\}$/m);
      assert.match(out, /^ {2}size +5 B \(5 bytes\)$/m);
      assert.match(
        out,
        /^ {2}attempts +1 in this run, of at most 3; 4 in all \(re-run after 3\)$/m,
      );
      assert.match(out, new RegExp(`^ {2}object +${done.s3Key}$`, "m"));
      assert.match(out, /^ {2}link +http:\/\/127\.0\.0\.1:54580\/d\//m);
      assert.match(
        out,
        /^Timeline\n {2}created +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n {2}started +\S+ \S+ {2}\+\d+s\n/m,
      );
      assert.match(out, /^ {2}last heartbeat +\S+ \S+ {2}\+\d+s$/m);
      assert.match(out, /^ {2}finished +\S+ \S+ {2}\+\d+s$/m);
      assert.match(out, /^Query\n {2}SELECT 1 AS n$/m);
      assert.ok(!out.includes(password), "the database password is never printed");

      const t = JSON.parse(json.stdout).task;
      assert.deepEqual(
        [t.id, t.status, t.status_name, t.attempts, t.attempt_base, t.run_attempt, t.query],
        [done.id, 2, "succeeded", 4, 3, 1, "SELECT 1 AS n"],
      );
      assert.ok(t.timeline.finished_at.endsWith("Z"));
      assert.equal(t.timeline.cancel_requested_at, null);

      assert.equal(missing.code, 3);
      assert.equal(missing.stdout.trim(), "No task 987654321.");
    });

    it("enqueue: a pending task's message really reaches the queue; others are left alone (exit 3)", async () => {
      const pending = await add();
      const done = await exported("z\r\n");
      const run = await cli(["enqueue", String(pending), String(done.id), "424242420"], env);
      assert.equal(run.code, 3, run.stderr);
      const lines = run.stdout.trim().split("\n");
      assert.match(
        lines[1] as string,
        new RegExp(`^ *${pending} {2}sent +sent to the queue: a worker starts it now$`),
      );
      assert.match(
        lines[2] as string,
        /not-pending +it is succeeded, not pending: create the task again for a new file$/,
      );
      assert.match(lines[3] as string, /424242420 {2}not-found +no such task$/);
      assert.equal(lines[4], "1 done, 2 left alone, 0 failed");
      assert.deepEqual(await received(), [pending]);
      const r = await row(pending);
      assert.ok(
        r.timeline.dispatched_at instanceof Date,
        "marked as sent: the scheduler does not send it too",
      );
      assert.equal(r.status, STATUS.pending);
    });

    it("enqueue and retry say EXPORT_QUEUE_URL is missing (exit 1); the other verbs do not need it", async () => {
      const { EXPORT_QUEUE_URL: _, ...noQueue } = env;
      const [enqueue, list] = await Promise.all([
        cli(["enqueue", "1"], noQueue),
        cli(["list", "--limit", "1"], noQueue),
      ]);
      assert.equal(enqueue.code, 1);
      assert.match(
        enqueue.stderr,
        /EXPORT_QUEUE_URL is not set: enqueue sends \{"id": N\} to the task queue/,
      );
      assert.equal(list.code, 0, list.stderr);
    });

    it("retry: a failed task runs again as new and is sent; a pending one is left alone", async () => {
      const task = await claimed();
      await store.fail(task, "boom");
      const pending = await add();
      const run = await cli(["retry", String(task.id), String(pending), "--json"], env);
      assert.equal(run.code, 3, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout).results, [
        {
          id: task.id,
          outcome: "done",
          result: "retried",
          note: "pending again and sent to the queue",
        },
        {
          id: pending,
          outcome: "skipped",
          result: "not-failed",
          note: "it is pending, not failed: use enqueue to start it now",
        },
      ]);
      const r = await row(task.id);
      assert.deepEqual([r.status, r.msg, r.task.attemptBase], [STATUS.pending, null, 1]);
      assert.deepEqual(await received(), [task.id]);
    });

    it("cancel: pending ends in 3 at once, running is flagged for its worker, finished is not cancellable", async () => {
      const pending = await add();
      const running = await claimed();
      const done = await exported("q\r\n");
      const run = await cli(["cancel", String(pending), String(running.id), String(done.id)], env);
      assert.equal(run.code, 3, run.stderr);
      const lines = run.stdout.trim().split("\n");
      assert.match(
        lines[1] as string,
        /cancelled +it ends in 3 \(failed\) now and will not start$/,
      );
      assert.match(
        lines[2] as string,
        /stopping +its worker stops within about 3 s and ends it in 3 \(failed\)$/,
      );
      assert.match(lines[3] as string, /not-cancellable +it already ended \(succeeded\)$/);
      const p = await row(pending);
      assert.deepEqual(
        [p.status, p.msg, p.cancelledBy],
        [STATUS.failed, "Cancelled by operator:tester before it started.", "operator:tester"],
      );
      const r = await row(running.id);
      assert.deepEqual([r.status, r.cancelledBy], [STATUS.processing, "operator:tester"]);
      assert.ok(r.timeline.cancel_requested_at instanceof Date);
      assert.equal((await row(done.id)).status, STATUS.succeeded);

      const again = await cli(["cancel", String(running.id), "--by", "ops-bob"], env);
      assert.equal(again.code, 3);
      assert.match(
        again.stdout,
        /a cancel was already asked for by operator:tester; its worker is stopping/,
      );
      const other = await add();
      const byBob = await cli(["cancel", String(other), "--by", "ops-bob"], env);
      assert.equal(byBob.code, 0, byBob.stderr);
      assert.equal((await row(other)).msg, "Cancelled by ops-bob before it started.");
    });

    it("requeue-stuck: a dry run changes nothing; then quiet workers' tasks go back or fail, lost messages are resent", async () => {
      const quiet = await claimed();
      const spent = await claimed();
      const lost = await add();
      await exec(`UPDATE ${table.name} SET attempts = 3 WHERE id = ${spent.id}`);
      await exec(
        `UPDATE ${table.name} SET heartbeat_at = heartbeat_at - ${interval(engine, 1, "HOUR")} WHERE id IN (${quiet.id}, ${spent.id})`,
      );
      await store.markDispatched([lost]);
      await exec(
        `UPDATE ${table.name} SET dispatched_at = dispatched_at - ${interval(engine, 1, "HOUR")} WHERE id = ${lost}`,
      );

      const dry = await cli(["requeue-stuck", "--lease-seconds", "600", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^Processing, no heartbeat for over 600 s: 2 task\(s\) \(dry run: nothing changed\)$/m,
      );
      assert.match(
        dry.stdout,
        new RegExp(`^ *${quiet.id} +1/3 +would be pending again, for attempt 2$`, "m"),
      );
      assert.match(
        dry.stdout,
        new RegExp(`^ *${spent.id} +3/3 +would be failed: out of attempts$`, "m"),
      );
      assert.match(
        dry.stdout,
        new RegExp(`never claimed: 1 task\\(s\\): ${lost} \\(would be marked unsent`),
      );
      assert.equal((await row(quiet.id)).status, STATUS.processing);
      assert.ok((await row(lost)).timeline.dispatched_at instanceof Date);

      const run = await cli(["requeue-stuck", "--lease-seconds", "600", "--json"], env);
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout);
      assert.deepEqual(r.stuck, [
        { id: quiet.id, action: "released", attempt: 1, max_attempts: 3 },
        { id: spent.id, action: "failed", attempt: 3, max_attempts: 3 },
      ]);
      assert.deepEqual([r.lease_seconds, r.dry_run, r.redispatched], [600, false, [lost]]);
      assert.equal((await row(quiet.id)).status, STATUS.pending);
      const s = await row(spent.id);
      assert.equal(s.status, STATUS.failed);
      assert.match(s.msg ?? "", /stopped without finishing .* 3 time\(s\); giving up/);
      assert.equal((await row(lost)).timeline.dispatched_at, null);
    });

    it("purge: deletes old files for real, clears their rows with a msg, leaves newer ones; a dry run deletes nothing", async () => {
      const old = await exported("old,file\r\n1,22\r\n");
      const fresh = await exported("new\r\n");
      await exec(
        `UPDATE ${table.name} SET finished_at = finished_at - ${interval(engine, 40, "DAY")} WHERE id = ${old.id}`,
      );
      const head = (key: string) =>
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
          () => true,
          () => false,
        );

      const dry = await cli(["purge", "--older-than", "30d", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        new RegExp(`^ *${old.id} {2}would-remove +16 B +${old.s3Key}$`, "m"),
      );
      assert.match(
        dry.stdout,
        /^Dry run: would remove 1 file\(s\) of tasks finished over 30 days ago, 16 B \(16 bytes\)/m,
      );
      assert.ok(await head(old.s3Key), "a dry run deletes nothing");

      const run = await cli(["purge", "--older-than", "30d"], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^ *${old.id} {2}removed +16 B +${old.s3Key}$`, "m"));
      assert.match(
        run.stdout,
        /^removed 1 file\(s\) .*16 B \(16 bytes\); 0 left alone, 0 failed$/m,
      );
      assert.equal(await head(old.s3Key), false, "the object is gone");
      assert.ok(await head(fresh.s3Key), "a newer file stays");
      const r = await row(old.id);
      const today = new Date().toISOString().slice(0, 10);
      assert.deepEqual(
        [r.status, r.filepath, r.s3Key, r.msg],
        [
          STATUS.succeeded,
          null,
          null,
          `The file was removed on ${today} (older than 30 days); create the task again to export anew.`,
        ],
      );
      assert.ok((await row(fresh.id)).s3Key);

      // The row update is fenced on the key that was deleted: a task with another file keeps it.
      assert.equal(await store.clearFile(fresh.id, "exports/some-other-key.csv", "x"), false);
      assert.equal((await row(fresh.id)).s3Key, fresh.s3Key);

      const again = await cli(["purge", "--older-than", "30d", "--json"], env);
      assert.equal(again.code, 0);
      assert.deepEqual(JSON.parse(again.stdout).files, [], "nothing left to purge");
    });

    it("fails with exit 1 and a hint when the task database is unreachable, never printing its password", async () => {
      const down = new URL(taskUrl(engine));
      down.port = "9";
      const run = await cli(["list"], { ...env, TASK_DB_URL: down.toString() });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^offline-export: list failed: .+\nCould not reach it: is the task database \(TASK_DB_URL\) up/,
      );
      assert.ok(!run.stderr.includes(password) && !run.stdout.includes(password));
    });
  });
}
