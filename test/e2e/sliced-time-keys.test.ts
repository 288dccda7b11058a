// Sliced exports keyed by a date or a timestamp, on both engines, through the real pipeline:
// the sliced file must equal the whole one byte for byte, with keys before 1970, with
// microseconds, and (PostgreSQL) zoned and plain timestamps. Keys with no place on the calendar,
// and keys of another kind, fail the task with a msg that says what to do.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../lib/db/url.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, makeHarness, seriesSql, uniqueName } from "../helpers.js";

const ROWS = 3000;

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`sliced exports by date and timestamp keys, ${engine}`, () => {
    let h: Harness;
    const t = uniqueName("oe_tkey");
    const pg = engine === "postgres";

    before(async () => {
      h = await makeHarness({ taskEngine: engine, dataEngine: engine });
      // Keys from 1969-12-31 23:59:59.999999 on, 1 day 3 hours and 7 microseconds apart: the
      // first before the epoch, every one with microseconds, eleven years in all. `day` holds
      // one date per row; `slot` one timestamp per 3 rows (ties).
      if (pg) {
        await h.dataDb.query(
          `CREATE TABLE ${t} (id INT PRIMARY KEY, at TIMESTAMPTZ NOT NULL, naive TIMESTAMP NOT NULL, day DATE NOT NULL, v TEXT)`,
        );
        await h.dataDb.query(
          `INSERT INTO ${t} SELECT n, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00' + (n - 1) * INTERVAL '27 hours 0.000007 seconds', TIMESTAMP '1969-12-31 23:59:59.999999' + (n - 1) * INTERVAL '27 hours 0.000007 seconds', DATE '1969-12-20' + n, '值' || n FROM ${seriesSql(engine, ROWS)}`,
        );
        const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
        await h.dataDb.query(`GRANT SELECT ON ${t} TO ${reader}`);
      } else {
        await h.dataDb.query(
          `CREATE TABLE ${t} (id INT PRIMARY KEY, at DATETIME(6) NOT NULL, ts TIMESTAMP(6) NULL, day DATE NOT NULL, v VARCHAR(20))`,
        );
        await h.dataDb.query(
          `INSERT INTO ${t} SELECT n, TIMESTAMP('1969-12-31 23:59:59.999999') + INTERVAL ((n - 1) * 97200000007) MICROSECOND, TIMESTAMP('1971-01-01 00:00:00') + INTERVAL ((n - 1) * 97200000007) MICROSECOND, DATE('1969-12-20') + INTERVAL n DAY, CONCAT('值', n) FROM ${seriesSql(engine, ROWS)}`,
        );
      }
    });
    after(async () => {
      await h.dataDb.query(`DROP TABLE IF EXISTS ${t}`);
      await h.close();
    });

    const outcome = async (id: number) => {
      const row = await h.app.exportDeps.tasks.get(id);
      if (row?.status !== STATUS.succeeded) return { status: row?.status, msg: row?.msg ?? "" };
      const got = await download(row.filepath ?? "");
      return {
        status: row.status,
        msg: row.msg ?? "",
        bytes: got.bytes,
        slices: row.slices?.count,
      };
    };
    /** The same SQL whole and sliced by `key`: both outcomes. */
    const both = async (query: string, key: string, slices: number) => {
      const title = "序号,id,k,v";
      const whole = await h.insertTask({ name: "w", title, query });
      const sliced = await h.insertTask({
        name: "s",
        title,
        query,
        options: JSON.stringify({ slice_key: key, slices }),
      });
      await h.runUntilIdle(90);
      return { whole: await outcome(whole), sliced: await outcome(sliced) };
    };
    const assertSame = async (query: string, key: string, slices: number, rows = ROWS) => {
      const r = await both(query, key, slices);
      assert.equal(r.whole.status, STATUS.succeeded, `whole: ${r.whole.msg}`);
      assert.equal(r.sliced.status, STATUS.succeeded, `sliced: ${r.sliced.msg}`);
      assert.equal(r.sliced.slices, slices, "every slice was planned (no bucket was empty)");
      assert.ok(r.whole.bytes?.equals(r.sliced.bytes as Buffer), "sliced file differs");
      // Every row, and the keys as the server writes them (microseconds kept).
      const text = r.sliced.bytes?.toString("latin1") ?? "";
      assert.equal(text.split("\n").filter((l) => l !== "").length, rows + 1);
    };

    it("slices by a timestamp with microseconds, from before 1970", async () => {
      await assertSame(`SELECT id, at, v FROM ${t} ORDER BY at`, "at", 7);
    });

    it("slices by a date", async () => {
      await assertSame(`SELECT id, day, v FROM ${t} ORDER BY day`, "day", 5);
    });

    it(`slices by the other timestamp type (${pg ? "without time zone" : "TIMESTAMP"})`, async () => {
      const col = pg ? "naive" : "ts";
      await assertSame(`SELECT id, ${col}, v FROM ${t} ORDER BY ${col}`, col, 4);
    });

    it("slices by a computed timestamp of a grouped query", async () => {
      const q = pg
        ? `SELECT MIN(id) AS id, date_trunc('month', at) AS m, COUNT(*) AS v FROM ${t} GROUP BY 2 ORDER BY 2`
        : `SELECT MIN(id) AS id, TIMESTAMP(DATE_FORMAT(at, '%Y-%m-01')) AS m, COUNT(*) AS v FROM ${t} GROUP BY 2 ORDER BY 2`;
      // 3000 rows 27 hours apart: 112 months, from December 1969 to March 1979.
      await assertSame(q, "m", 3, 112);
    });

    it("fails a key of times of day, saying what the key must be", async () => {
      const q = pg
        ? `SELECT id, at::time AS k, v FROM ${t} ORDER BY id`
        : `SELECT id, TIME(at) AS k, v FROM ${t} ORDER BY id`;
      const r = await both(q, "k", 2);
      assert.equal(r.whole.status, STATUS.succeeded);
      assert.equal(r.sliced.status, STATUS.failed);
      assert.match(r.sliced.msg, /must hold whole numbers, dates or timestamps/);
    });

    it(pg ? "fails an infinite timestamp, saying so" : "fails a zero date, saying so", async () => {
      const q = pg
        ? `SELECT id, CASE WHEN id = 5 THEN TIMESTAMPTZ 'infinity' ELSE at END AS k, v FROM ${t} ORDER BY 2`
        : `SELECT id, CASE WHEN id = 5 THEN CAST('0000-00-00' AS DATE) ELSE day END AS k, v FROM ${t} ORDER BY 2`;
      const r = await both(q, "k", 2);
      assert.equal(r.sliced.status, STATUS.failed, r.sliced.msg);
      assert.match(r.sliced.msg, /no place on the calendar|outside the years 1 to 9999/);
    });
  });
}
