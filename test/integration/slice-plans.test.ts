// The slice key's range reaches the index: both engines push `key >= a AND key < b` from
// outside `SELECT * FROM (<task sql>) oe_slice` into the derived table, so each slice reads its
// own range instead of the whole result (README "Sliced exports").
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { DIALECTS, sqlTextOf } from "../../lib/engines/index.js";
import { sliceQueries } from "../../lib/slices/key-range.js";
import { ENGINES, seriesSql, sqlClient, uniqueName } from "../helpers.js";

for (const engine of ENGINES) {
  describe(`slice plans on ${engine}`, () => {
    let db: SqlClient;
    const t = uniqueName("oe_plan");
    const dialect = DIALECTS[engine];
    const text = sqlTextOf(dialect);
    before(async () => {
      db = sqlClient(engine);
      await db.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, grp INT NOT NULL, v VARCHAR(20))`);
      const n = engine === "postgres" ? "n" : "s.n";
      await db.query(
        `INSERT INTO ${t} SELECT ${n}, ${n} % 7, 'v' FROM ${seriesSql(engine, 200_000)}`,
      );
      await db.query(engine === "postgres" ? `ANALYZE ${t}` : `ANALYZE TABLE ${t}`);
    });
    after(async () => {
      await db.query(`DROP TABLE IF EXISTS ${t}`);
      await db.close();
    });

    /** The plan of one slice of `sql` by `key`, as text. */
    const plan = async (sql: string, key: string) => {
      const range = sliceQueries(text, sql, key).range("number", 1000n, 2000n);
      const res = await db.query<Record<string, unknown>>(`EXPLAIN ${range}`);
      return res.rows.map((r) => JSON.stringify(r)).join("\n");
    };

    /** The table itself is read by an index range (a derived table MariaDB keeps is small). */
    const readsTheRange = (p: string) => {
      if (engine === "postgres") {
        assert.match(p, /Index (Only )?Scan/);
        assert.doesNotMatch(p, /Seq Scan/);
      } else {
        const base = p.split("\n").filter((line) => line.includes(`"table":"${t}"`));
        assert.equal(base.length, 1, p);
        assert.match(base[0] as string, /"type":"range"/);
        assert.match(base[0] as string, /"key":"PRIMARY"/);
      }
    };

    it("reads a slice of a filtered, ordered query by the primary key's range", async () => {
      const p = await plan(`SELECT id, v FROM ${t} WHERE v <> 'x' ORDER BY id`, "id");
      if (engine === "postgres")
        assert.match(p, /Index (Only )?Scan using \w+ on \w+[^\n]*|Index Cond: \(\(?id >= 1000\)?/);
      else assert.match(p, /"type":"range"[^\n]*"key":"PRIMARY"/);
      assert.doesNotMatch(p, engine === "postgres" ? /Seq Scan/ : /"type":"ALL"/);
    });

    it("plans by the index: the lowest and highest keys, each part by its key range", async () => {
      const q = sliceQueries(text, `SELECT id, v FROM ${t} WHERE v <> 'x' ORDER BY id`, "id");
      const explain = async (sql: string) =>
        (await db.query<Record<string, unknown>>(`EXPLAIN ${sql}`)).rows
          .map((r) => JSON.stringify(r))
          .join("\n");
      // A part of the buckets, as plan.ts sends it: keys 1001 to 3000 of 1..200000.
      readsTheRange(
        await explain(q.buckets("number", 1n, 1000n, 200, 200_001n, { from: 1, to: 3 })),
      );
      // NULL keys: none to read in a primary key (MariaDB: "Impossible WHERE"), or by the index.
      const nulls = await explain(q.nulls());
      if (engine === "postgres") readsTheRange(nulls);
      else assert.match(nulls, /Impossible WHERE|"type":"(range|ref)"/);
      const bounds = (await Promise.all(q.bounds("number").map(explain))).join("\n");
      if (engine === "postgres") readsTheRange(bounds);
      // The primary key read in order, each way, up to the first row the filter keeps (a
      // MIN/MAX here, under a filter on another column, reads the whole table).
      else
        for (const line of bounds.split("\n"))
          assert.match(line, /"type":"index".*"key":"PRIMARY".*"rows":"1"/);
    });

    it("reads a slice of a grouped query by its group key's range", async () => {
      readsTheRange(await plan(`SELECT id, COUNT(*) AS c FROM ${t} GROUP BY id`, "id"));
    });
  });
}
