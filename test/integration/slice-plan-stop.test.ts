// A sliced task's planning scans stop when the task is cancelled (or its deadline passes, or its
// claim is lost): planSlices ends with the watchdog's reason within seconds, and the scan is
// gone from the server, instead of a cancel waiting for a scan of the whole result.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { createDataSource } from "../../lib/engines/index.js";
import { Interrupted } from "../../lib/export/watchdog.js";
import { sliceQueries } from "../../lib/slices/key-range.js";
import { planSlices } from "../../lib/slices/plan.js";
import { ENGINES, readerUrl, serviceUrl, sqlClient, until } from "../helpers.js";

const DIGITS =
  "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";

for (const engine of ENGINES) {
  describe(`planning a sliced task stops at a cancel, ${engine}`, () => {
    let admin: SqlClient;
    before(() => {
      admin = sqlClient(engine);
    });
    after(async () => {
      await admin.close();
    });

    /**
     * Planning scans running on the server: MySQL's by the marker in their text; PostgreSQL's as
     * the data user's sessions (it runs with track_activities off, so its SQL is not shown).
     */
    const running = async (marker: string) => {
      const reader = new URL(readerUrl(engine)).username;
      const res =
        engine === "postgres"
          ? await admin.query<{ n: unknown }>(
              "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE usename = $1",
              [reader],
            )
          : await admin.query<{ n: unknown }>(
              "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'",
              [`%${marker}%`],
            );
      return Number(res.rows[0]?.n);
    };

    it("ends the scan on the server and rejects with the cancel", async () => {
      const source = createDataSource(parseDbUrl(readerUrl(engine)), {
        statementTimeoutSeconds: 120,
        monitor: parseDbUrl(serviceUrl(engine)),
      });
      // A result of 10^8 (PostgreSQL: 3 * 10^8) generated rows: its scans take far longer than
      // the test waits.
      const marker = `oe_plan_stop_${Date.now()}`;
      const sql =
        engine === "postgres"
          ? `SELECT g AS id, '${marker}' AS m FROM generate_series(1, 300000000) g ORDER BY id`
          : `SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n + 100000 * f.n + 1000000 * g.n + 10000000 * h.n AS id, '${marker}' AS m FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} d, ${DIGITS} e, ${DIGITS} f, ${DIGITS} g, ${DIGITS} h`;
      const idle = await running(marker);
      const stop = new AbortController();
      const q = sliceQueries(source.sqlText as NonNullable<typeof source.sqlText>, sql, "id");
      const planning = planSlices(source, q, "id", { sliceRows: 1000 }, stop.signal);
      planning.catch(() => {});
      assert.ok(await until(async () => (await running(marker)) > idle, 10_000), "scan started");
      const began = Date.now();
      stop.abort(new Interrupted("cancelled", "张三"));
      await assert.rejects(
        planning,
        (err) => err instanceof Interrupted && err.why === "cancelled",
      );
      assert.ok(Date.now() - began < 10_000, `stopped after ${Date.now() - began} ms`);
      assert.ok(await until(async () => (await running(marker)) === idle, 10_000), "scan gone");
    });
  });
}
