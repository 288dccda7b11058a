// Sliced exports at their edges, on both engines (found by a review that attacked the change):
// keys at the ends of their types, SQL ending in comments, keys that are not whole numbers or
// not columns, and a dead slice taken over under a cap of 1. Each task runs whole and sliced;
// where the sliced one must match, the files are compared byte for byte.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Engine } from "../../lib/db/url.js";
import { sliceObjectKey } from "../../lib/slices/objects.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, makeHarness, uniqueName } from "../helpers.js";

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`sliced exports at the edges, ${engine}`, () => {
    let h: Harness;
    const tables: string[] = [];
    const my = engine === "mysql";

    const table = async (cols: string, rows: string[]) => {
      const t = uniqueName("rev");
      await h.dataDb.query(`CREATE TABLE ${t} (${cols})`);
      await h.dataDb.query(`INSERT INTO ${t} VALUES ${rows.join(", ")}`);
      if (!my) {
        const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
        await h.dataDb.query(`GRANT SELECT ON ${t} TO ${reader}`);
      }
      tables.push(t);
      return t;
    };

    before(async () => {
      h = await makeHarness({ taskEngine: engine, dataEngine: engine });
    });
    after(async () => {
      for (const t of tables) await h.dataDb.query(`DROP TABLE IF EXISTS ${t}`);
      await h.close();
    });

    const outcome = async (id: number) => {
      const row = await h.app.exportDeps.tasks.get(id);
      if (row?.status !== STATUS.succeeded) return { status: row?.status, msg: row?.msg };
      const got = await download(row.filepath ?? "");
      return { status: row.status, msg: row.msg, bytes: got.bytes };
    };
    /** The same SQL whole and sliced: both outcomes. */
    const both = async (query: string, key: string, title = "序号,k,v", slices = 2) => {
      const whole = await h.insertTask({ name: "w", title, query });
      const sliced = await h.insertTask({
        name: "s",
        title,
        query,
        options: JSON.stringify({ slice_key: key, slices }),
      });
      await h.runUntilIdle(60);
      return { whole: await outcome(whole), sliced: await outcome(sliced) };
    };
    const assertSame = (r: Awaited<ReturnType<typeof both>>) => {
      assert.equal(r.whole.status, STATUS.succeeded, `whole: ${r.whole.msg}`);
      assert.equal(r.sliced.status, STATUS.succeeded, `sliced: ${r.sliced.msg}`);
      assert.ok(r.whole.bytes?.equals(r.sliced.bytes as Buffer), "sliced file differs");
    };

    it("slices a 32-bit key spanning more than 2^31 (the bucket arithmetic must not overflow)", async () => {
      const t = await table(`k INT PRIMARY KEY, v INT`, [
        "(-2000000000, 1)",
        "(-5, 2)",
        "(0, 3)",
        "(7, 4)",
        "(2000000000, 5)",
      ]);
      assertSame(await both(`SELECT k, v FROM ${t} ORDER BY k`, "k"));
    });

    it("slices a 64-bit key at both extremes", async () => {
      const t = await table(`k BIGINT PRIMARY KEY, v INT`, [
        "(-9223372036854775808, 1)",
        "(-1, 2)",
        "(0, 3)",
        "(1, 4)",
        "(9223372036854775806, 5)",
      ]);
      assertSame(await both(`SELECT k, v FROM ${t} ORDER BY k`, "k"));
    });

    it("fails a key at 2^63 - 1 or beyond at once, saying so (the plan's hi would not fit)", async () => {
      const top = my ? "CAST(18446744073709551615 AS UNSIGNED)" : "9223372036854775807";
      for (const k of [top, "9223372036854775807"]) {
        const id = await h.insertTask({
          name: "s",
          title: "序号,k",
          query: `SELECT ${k} AS k UNION ALL SELECT 0 UNION ALL SELECT 1`,
          options: '{"slice_key": "k", "slices": 2}',
        });
        await h.runUntilIdle(30);
        const row = await h.app.exportDeps.tasks.get(id);
        assert.equal(row?.status, STATUS.failed);
        assert.match(
          row?.msg ?? "",
          /keys must lie from -9223372036854775808 to 9223372036854775806/,
        );
      }
    });

    it("slices a 16-bit key spanning more than 2^15", async () => {
      const t = await table(`k SMALLINT PRIMARY KEY, v INT`, [
        "(-30000, 1)",
        "(0, 2)",
        "(30000, 3)",
      ]);
      assertSame(await both(`SELECT k, v FROM ${t} ORDER BY k`, "k"));
    });

    it("SQL ending in a line comment with no newline, or a block comment", async () => {
      const t = await table(`k INT PRIMARY KEY, v INT`, ["(1, 1)", "(2, 2)", "(3, 3)", "(4, 4)"]);
      assertSame(await both(`SELECT k, v FROM ${t} ORDER BY k -- trailing )`, "k"));
      assertSame(await both(`SELECT k, v FROM ${t} ORDER BY k /* ) */;`, "k"));
      if (my) assertSame(await both(`SELECT k, v FROM ${t} ORDER BY k # )`, "k"));
    });

    it("fails a text key holding digits, saying what the key must be", async () => {
      const t = await table(`k VARCHAR(10) PRIMARY KEY, v INT`, [
        "('1', 1)",
        "('2', 2)",
        "('10', 3)",
        "('5', 4)",
        "('45', 5)",
      ]);
      const r = await both(`SELECT k, v FROM ${t} ORDER BY k`, "k");
      assert.equal(r.sliced.status, STATUS.failed);
      assert.match(
        r.sliced.msg ?? "",
        /The slice key k is a text column; it must hold whole numbers/,
      );
    });

    it("fails a key that names no single column of the result with the server's words", async () => {
      const t = await table(`k INT PRIMARY KEY, v INT`, ["(1, 1)", "(2, 2)", "(3, 3)"]);
      const dup = await both(`SELECT k, k, v FROM ${t} ORDER BY k`, "k", "序号,a,b,c");
      assert.equal(dup.whole.status, STATUS.succeeded);
      assert.equal(dup.sliced.status, STATUS.failed);
      assert.match(dup.sliced.msg ?? "", /^The query failed: .*\bk\b/);
      const missing = await both(`SELECT v FROM ${t} ORDER BY v`, "k", "序号,v");
      assert.equal(missing.sliced.status, STATUS.failed);
      assert.match(missing.sliced.msg ?? "", /^The query failed: .*\bk\b/);
    });

    it("takes over a dead slice when the creator's cap is 1 (the dead slice holds the only slot)", async () => {
      const settings = h.app.exportDeps.settings;
      const cap = settings.maxInFlightPerCreator;
      settings.maxInFlightPerCreator = 1;
      const slicing = h.app.exportDeps.slicing;
      assert.ok(slicing);
      const send = slicing.send;
      let killed = false;
      let id = 0;
      slicing.send = async (tid, attempt, ns, delay) => {
        if (!killed) {
          killed = true;
          id = tid;
          const dead = await slicing.store.claim(tid, 1, attempt, settings.leaseSeconds);
          assert.ok(dead);
          const iv = my ? "INTERVAL 1 HOUR" : "INTERVAL '1' HOUR";
          await h.taskDb.query(
            `UPDATE ${h.config.taskTable.name}_slice SET heartbeat_at = heartbeat_at - ${iv} WHERE task_id = ${tid} AND n = 1`,
          );
          await h.app.s3.send(
            new PutObjectCommand({
              Bucket: h.config.bucket,
              Key: sliceObjectKey(h.config.keyPrefix, tid, attempt, 1, dead.attempts),
              Body: "half",
            }),
          );
        }
        return send(tid, attempt, ns, delay);
      };
      const t = await table(`k INT PRIMARY KEY, v INT`, ["(1, 1)", "(2, 2)", "(3, 3)", "(4, 4)"]);
      try {
        const sliced = await h.insertTask({
          name: "s",
          title: "序号,k,v",
          query: `SELECT k, v FROM ${t} ORDER BY k`,
          options: '{"slice_key": "k", "slices": 2}',
        });
        await h.runUntilIdle(40);
        const row = await h.app.exportDeps.tasks.get(sliced);
        assert.equal(row?.status, STATUS.succeeded, `task ${sliced}: ${row?.msg}`);
        id = 0;
      } finally {
        slicing.send = send;
        settings.maxInFlightPerCreator = cap;
        if (id) {
          await h.app.exportDeps.tasks.cancel(id, "review");
          await h.runUntilIdle(30);
        }
      }
    });
  });
}
