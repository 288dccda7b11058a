// A stop (cancel, or the first failing part) that lands while other planning queries are still
// opening their connections: readAll closes them without reading their streams, and must end
// them first, or the stream's 'error' (failFast's "Connection terminated unexpectedly" when the
// connection ends) has no listener: an uncaught exception, which would end a worker process.
import assert from "node:assert/strict";
import { it } from "node:test";
import { type Engine, parseDbUrl } from "../../lib/db/url.js";
import { DIALECTS, sqlTextOf } from "../../lib/engines/index.js";
import { sliceQueries } from "../../lib/slices/key-range.js";
import { planSlices } from "../../lib/slices/plan.js";
import type { DataSource } from "../../lib/sources/types.js";
import { ENGINES, readerUrl, seriesSql, sqlClient, uniqueName } from "../helpers.js";

for (const engine of ENGINES as Engine[])
  it(`${engine}: a cancel while a part's connection opens`, async () => {
    const db = sqlClient(engine, 1);
    const x = uniqueName("oe_crash");
    const n = engine === "postgres" ? "n" : "s.n";
    await db.query(`CREATE TABLE ${x} (id INT PRIMARY KEY, v INT NOT NULL)`);
    await db.query(`INSERT INTO ${x} SELECT ${n}, ${n} FROM ${seriesSql(engine, 2000)}`);
    const uncaught: Error[] = [];
    const onUncaught = (e: Error) => uncaught.push(e);
    const listeners = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", onUncaught);
    try {
      const raw = DIALECTS[engine].createSource(parseDbUrl(readerUrl(engine)), {
        statementTimeoutSeconds: 60,
      });
      const ac = new AbortController();
      // The task is cancelled just as the counting queries start to connect.
      const source: DataSource = {
        label: "t",
        open: (sql) => {
          if (sql.includes("GROUP BY")) ac.abort(new Error("cancelled"));
          return raw.open(sql);
        },
      };
      const q = sliceQueries(sqlTextOf(DIALECTS[engine]), `SELECT id, v FROM ${x}`, "id");
      await assert.rejects(
        planSlices(source, q, "id", { wanted: 4, sliceRows: 1 }, ac.signal),
        /cancelled/,
      );
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(
        uncaught.map((e) => e.message),
        [],
      );
    } finally {
      process.removeListener("uncaughtException", onUncaught);
      for (const l of listeners) process.on("uncaughtException", l);
      await db.query(`DROP TABLE ${x}`);
      await db.close();
    }
  });
