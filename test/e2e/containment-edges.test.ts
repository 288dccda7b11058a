// The attacks that got past a guard kept in step with the servers' grammars by hand, as tasks
// through the whole pipeline (scheduler, SQS, worker) on the real servers, task SQL running as
// the SELECT-only reader. Each ends in 3 without harming the data, the reader, other tasks or
// the worker process; what the servers guarantee (one statement, privileges, the stop) holds
// even where the lexer would be wrong.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import { createSqlClient } from "../../lib/engines/index.js";
import { decodeText } from "../../lib/local/decode.js";
import { STATUS } from "../../lib/status.js";
import {
  download,
  type Harness,
  makeHarness,
  readerUrl,
  taskUrl,
  uniqueName,
  until,
} from "../helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statusOf(h: Harness, id: number) {
  return h.app.exportDeps.tasks.get(id);
}

/** The exported file of a finished task, decoded. */
async function fileOf(h: Harness, id: number): Promise<string> {
  const row = await statusOf(h, id);
  assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
  const got = await download(row?.filepath ?? "");
  return decodeText(got.bytes, h.config.encoding);
}

describe("PostgreSQL data: one statement, as the server counts them", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({ taskEngine: "mysql", dataEngine: "postgres" });
  });
  after(() => h.close());

  it("a `--` comment ended by CR cannot leave the COPY wrapper: the reader keeps its password, the worker lives", async () => {
    const escapes = [
      // The attack: commit the read-only transaction, then run anything.
      "SELECT 1 AS a --\r) TO STDOUT; COMMIT; ALTER ROLE CURRENT_USER PASSWORD 'x'; COPY (SELECT 1 WHERE false",
      // A second COPY that returns rows (an uncaught TypeError in the worker before).
      "SELECT 1 AS a --\r) TO STDOUT; COPY (SELECT 2",
      // A cancel-proof loop, one backend per task.
      "SELECT 1 AS a --\r) TO STDOUT; COMMIT; DO $$BEGIN LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END$$; COPY (SELECT 1 WHERE false",
    ];
    const ids: number[] = [];
    for (const query of escapes) ids.push(await h.insertTask({ name: "攻击", title: "a", query }));
    const good = await h.insertTask({ name: "正常", title: "序号,n", query: "SELECT 42 AS n" });
    await h.runUntilIdle(90);
    for (const [i, query] of escapes.entries()) {
      const row = await statusOf(h, ids[i] as number);
      assert.equal(row?.status, STATUS.failed, `${JSON.stringify(query)}: ${row?.msg}`);
    }
    assert.equal((await statusOf(h, good))?.status, STATUS.succeeded);
    // The reader's password is unchanged: it still logs in.
    const reader = createSqlClient(parseDbUrl(readerUrl("postgres")), 1);
    try {
      assert.equal(
        Number((await reader.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one),
        1,
      );
    } finally {
      await reader.close();
    }
    // Nothing of the reader's is left running (the DO loop would be).
    const readerSessions = async () =>
      Number(
        (
          await h.dataDb.query<{ n: string }>(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE usename = 'export_reader' AND backend_type = 'client backend'",
          )
        ).rows[0]?.n,
      );
    assert.ok(
      await until(async () => (await readerSessions()) === 0, 5000),
      "no reader session left",
    );
  });

  it("functions are judged as the server resolves them: U& names, Unicode spaces, long dollar tags, SQL given as text", async () => {
    // A victim of another creator, running while the attacks are tried.
    const victim = await h.insertTask({
      name: "受害者",
      title: "序号,x",
      query: "SELECT pg_sleep(3), 'survived' AS x",
      createrName: "victim",
    });
    const tag = "t".repeat(90);
    const attacks = [
      `SELECT U&"pg_\\0063ancel_backend"(pid) FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()`,
      `SELECT U&"pg!0074erminate_backend" UESCAPE '!' (pid) FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()`,
      `SELECT 1 AS x\u00a0$$, pg_cancel_backend(pid) AS y, $$ FROM pg_stat_activity WHERE usename = current_user`,
      `SELECT 1 AS x\u3000$$, pg_cancel_backend(pid) AS y, $$ FROM pg_stat_activity WHERE usename = current_user`,
      `SELECT $${tag}$ $${tag}$ AS a, pg_cancel_backend(pid) FROM pg_stat_activity WHERE usename = current_user -- $${tag}$`,
      `SELECT * FROM ts_stat('SELECT to_tsvector(pg_cancel_backend(pid)::text) FROM pg_stat_activity')`,
      `SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery FROM pg_stat_activity WHERE pg_cancel_backend(pid)')`,
    ];
    const t0 = Date.now();
    const run = h.runUntilIdle(90);
    await until(async () => (await statusOf(h, victim))?.status === STATUS.processing, 10_000);
    const ids: number[] = [];
    for (const query of attacks)
      ids.push(await h.insertTask({ name: "攻击", title: "a", query, createrName: "attacker" }));
    await run;
    for (const [i, query] of attacks.entries()) {
      const row = await statusOf(h, ids[i] as number);
      assert.equal(row?.status, STATUS.failed, `${query}: ${row?.msg}`);
    }
    assert.match(await fileOf(h, victim), /survived/, "the victim's export was not cancelled");
    assert.ok(Date.now() - t0 < 60_000);
  });

  it("a task cannot read another running task's SQL", async () => {
    const marker = uniqueName("secret_filter_value");
    const secret = await h.insertTask({
      name: "秘密",
      title: "序号,a,b",
      query: `SELECT pg_sleep(4), '${marker}' AS b`,
      createrName: "alice",
    });
    const run = h.runUntilIdle(60);
    await until(async () => (await statusOf(h, secret))?.status === STATUS.processing, 10_000);
    await sleep(1000);
    const spy = await h.insertTask({
      name: "窥探",
      title: "序号,pid,state,query",
      query:
        "SELECT pid, state, query FROM pg_stat_activity WHERE usename = current_user ORDER BY pid",
      createrName: "mallory",
    });
    await run;
    const seen = await fileOf(h, spy);
    // It did see the other session (so the test can fail), but not its SQL.
    assert.ok(seen.trim().split("\r\n").length >= 3, `sessions seen: ${seen}`);
    assert.doesNotMatch(seen, new RegExp(marker));
  });
});

describe("MariaDB data: comments as the server reads them, the control row out of reach, the limit", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({
      taskEngine: "mysql",
      dataEngine: "mysql",
      env: { STATEMENT_TIMEOUT_SECONDS: "2" },
    });
  });
  after(() => h.close());

  it("`--` before DEL or another control character is a comment: no lock on the control row, no stall", async () => {
    const tasksDb = new URL(taskUrl("mysql")).pathname.slice(1);
    const control = `${tasksDb}.${h.config.taskTable.name}_lock`;
    const attacks = [
      `SELECT name, SLEEP(30) FROM ${control} --\u007f'\nLOCK IN SHARE MODE -- '`,
      `SELECT 1 --\u0001'\n, GET_LOCK('offline-export', 10) -- '`,
      `SELECT 1 --\u007f'\n, SLEEP(30) -- '`,
    ];
    const ids: number[] = [];
    for (const query of attacks) ids.push(await h.insertTask({ name: "攻击", title: "a", query }));
    const t0 = Date.now();
    const run = h.runUntilIdle(90);
    await sleep(1500);
    // An ordinary task inserted while the attacks run is claimed and done promptly.
    const good = await h.insertTask({ name: "正常", title: "序号,n", query: "SELECT 7 AS n" });
    const done = await until(
      async () => (await statusOf(h, good))?.status === STATUS.succeeded,
      15_000,
    );
    assert.ok(done, `the ordinary task waited ${(Date.now() - t0) / 1000} s`);
    await run;
    for (const [i, query] of attacks.entries()) {
      const row = await statusOf(h, ids[i] as number);
      assert.equal(row?.status, STATUS.failed, `${JSON.stringify(query)}: ${row?.msg}`);
    }
  });

  it("a query cut at the time limit never ends as succeeded, even when the server returned a row", async () => {
    const id = await h.insertTask({
      name: "超时",
      title: "序号,b",
      query: "SELECT BENCHMARK(100000000000, MD5('x')) AS b",
    });
    await h.runUntilIdle(60);
    const row = await statusOf(h, id);
    assert.equal(row?.status, STATUS.failed, `status ${row?.status}, rows ${row?.rowCount}`);
    assert.match(row?.msg ?? "", /2-second limit/);
  });
});

describe("PostgreSQL data read with the task user's own credentials (the template's default)", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({
      taskEngine: "postgres",
      dataEngine: "postgres",
      env: { DATA_DB_URL: taskUrl("postgres") },
    });
  });
  after(() => h.close());

  it("cannot rewrite another user's link", async () => {
    const table = h.config.taskTable.name;
    const victim = await h.insertTask({ name: "别人的", title: "序号,n", query: "SELECT 1 AS n" });
    await h.runUntilIdle(60);
    const before = (await statusOf(h, victim))?.filepath;
    assert.ok(before);
    const attack = await h.insertTask({
      name: "攻击",
      title: "a",
      query: `SELECT 1 AS a --\r) TO STDOUT; COMMIT; UPDATE ${table} SET filepath = 'https://evil.example/x'; COPY (SELECT 1 WHERE false`,
    });
    await h.runUntilIdle(60);
    assert.equal((await statusOf(h, attack))?.status, STATUS.failed);
    assert.equal((await statusOf(h, victim))?.filepath, before);
  });
});
