// The attacks as tasks, through the whole pipeline on the real servers: each ends in 3
// with a msg that says what to remove, the data and the server's files are unchanged, and an
// ordinary task queued behind them still exports.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../lib/db/url.js";
import { STATUS } from "../../lib/status.js";
import { type Harness, makeHarness, readerUrl, serviceUrl, uniqueName } from "../helpers.js";

/** Left the COPY wrapper, committed and changed the reader's password, before the server's proof. */
const CR_ATTACK =
  "SELECT 1 AS a --\r) TO STDOUT; COMMIT; ALTER ROLE CURRENT_USER PASSWORD 'x'; COPY (SELECT 1 WHERE false";

function attacks(engine: Engine, victim: string, file: string): [string, RegExp][] {
  if (engine === "postgres")
    return [
      [
        `SELECT set_config('statement_timeout', '0', true), pg_sleep(5)`,
        /calls set_config\(\), which changes settings/,
      ],
      [`/* /* */ SELECT */ COPY (SELECT 1) TO PROGRAM 'touch ${file}'`, /starts with COPY/],
      [`SELECT "lo_export"(lo_from_bytea(0, 'x'), '${file}')`, /files or large objects/],
      [`SELECT lo_export/**/(lo_from_bytea(0, 'x'), '${file}')`, /files or large objects/],
      [`SELECT pg_advisory_lock(hashtext('offline-export'))`, /advisory locks/],
      [`SELECT pg_cancel_backend(pid) FROM pg_stat_activity`, /stops other sessions' queries/],
      [`SELECT dblink_exec('dbname=offline_export', 'DROP TABLE ${victim}')`, /another connection/],
      [`SELECT * FROM ${victim} FOR UPDATE`, /locking read/],
      [`SELECT 1; DROP TABLE ${victim}`, /more than one statement/],
      [`WITH d AS (DELETE FROM ${victim} RETURNING id) SELECT * FROM d`, /contains DELETE/],
      [`SELECT '\\'; DROP TABLE ${victim}; --'`, /more than one statement/],
      // PostgreSQL ends `--` at CR: the server refuses it, whether the lexer or the server counts.
      [CR_ATTACK, /more than one statement|multiple commands|syntax error/],
    ];
  return [
    [`/*!SET STATEMENT max_statement_time=0 FOR*/ SELECT SLEEP(5)`, /executable comment/],
    [`SELECT /*+ MAX_EXECUTION_TIME(100000) */ SLEEP(5)`, /optimizer hint/],
    [`SELECT 1 INTO/**/OUTFILE '${file}'`, /INTO clause/],
    [`SELECT 1 INTO#\nOUTFILE '${file}'`, /INTO clause/],
    [`SELECT GET_LOCK('offline-export', 10)`, /named locks/],
    [`SELECT * FROM ${victim} LOCK IN SHARE MODE`, /LOCK IN SHARE MODE/],
    [`SELECT * FROM ${victim} FOR UPDATE`, /locking read/],
    [`SELECT LOAD_FILE('/etc/passwd')`, /reads files/],
    [`SELECT 1 --; DROP TABLE ${victim}`, /more than one statement/],
  ];
}

const PAIRS: [Engine, Engine][] = [
  ["mysql", "postgres"],
  ["postgres", "mysql"],
];

for (const [taskEngine, dataEngine] of PAIRS) {
  describe(`attacks in task SQL: tasks on ${taskEngine}, data on ${dataEngine}`, () => {
    let h: Harness;
    const victim = uniqueName("victim");
    const file = `/tmp/${uniqueName("oe-pwned")}`;
    const reader = new URL(readerUrl(dataEngine));
    const password = async () =>
      dataEngine === "postgres"
        ? String(
            (
              await h.dataDb.query<{ p: string }>(
                "SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1",
                [reader.username],
              )
            ).rows[0]?.p,
          )
        : "";
    let before_: string;
    before(async () => {
      h = await makeHarness({ taskEngine, dataEngine });
      await h.dataDb.query(`CREATE TABLE ${victim} (id INT PRIMARY KEY, v VARCHAR(10))`);
      await h.dataDb.query(`INSERT INTO ${victim} VALUES (1, 'a'), (2, 'b')`);
      before_ = await password();
    });
    after(async () => {
      if ((await password()) !== before_) {
        // The attack got through: give the reader its password back for the tests after this.
        await h.dataDb.query(
          `ALTER ROLE ${reader.username} PASSWORD '${decodeURIComponent(reader.password)}'`,
        );
      }
      await h.dataDb.query(`DROP TABLE IF EXISTS ${victim}`);
      await h.close();
    });

    it("fails each attack with a msg saying what to remove; data, files and the pipeline unharmed", async () => {
      const list = attacks(dataEngine, victim, file);
      const ids: number[] = [];
      for (const [query] of list) ids.push(await h.insertTask({ name: "攻击", title: "a", query }));
      const good = await h.insertTask({
        name: "正常",
        title: "编号,值",
        query: `SELECT id, v FROM ${victim} ORDER BY id`,
      });
      const t0 = Date.now();
      await h.runUntilIdle(120);
      for (const [i, [query, message]] of list.entries()) {
        const row = await h.app.exportDeps.tasks.get(ids[i] as number);
        assert.equal(row?.status, STATUS.failed, `${query}: status ${row?.status}`);
        assert.match(row?.msg ?? "", message, query);
      }
      const ok = await h.app.exportDeps.tasks.get(good);
      assert.equal(ok?.status, STATUS.succeeded, ok?.msg ?? "");
      assert.equal(ok?.rowCount, 2);
      assert.ok(Date.now() - t0 < 60_000, "no attack held the pipeline up");
      const left = await h.dataDb.query<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM ${victim}`,
      );
      assert.equal(Number(left.rows[0]?.n), 2, "the victim table is intact");
      assert.equal(existsSync(file), false, "no file written on the database host");
      assert.equal(await password(), before_, "the reader's password is unchanged");
    });
  });
}

describe("the time limit in the pipeline: tasks on postgres, data on mysql, a 2-second limit", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({
      taskEngine: "postgres",
      dataEngine: "mysql",
      env: { STATEMENT_TIMEOUT_SECONDS: "2", DATA_DB_MONITOR_URL: serviceUrl("mysql") },
    });
  });
  after(() => h.close());

  it("fails a BENCHMARK the server cut short at the limit (it returns 0 as if it had finished)", async () => {
    const id = await h.insertTask({
      name: "基准",
      title: "b",
      query: "SELECT BENCHMARK(100000000000, 1) AS b",
    });
    const good = await h.insertTask({ name: "正常", title: "n", query: "SELECT 1 AS n" });
    await h.runUntilIdle(60);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.failed, row?.msg ?? "");
    assert.match(row?.msg ?? "", /longer than the 2-second limit/);
    assert.equal((await h.app.exportDeps.tasks.get(good))?.status, STATUS.succeeded);
  });
});
