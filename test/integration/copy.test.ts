import assert from "node:assert/strict";
import type { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { createDataSource } from "../../lib/engines/index.js";
import { postgresSource } from "../../lib/engines/postgres/source.js";
import { createCopyCsvLayout } from "../../lib/formats/csv/copy-csv.js";
import { createCsvLayout } from "../../lib/formats/csv/layout.js";
import type { DataSource, RowStream } from "../../lib/sources/types.js";
import { serviceUrl, sqlClient, uniqueName } from "../helpers.js";
import { terminateMidStream } from "./same-output.js";

/** The CSV text a layout makes of a row stream (the row path yields strings, COPY UTF-8 bytes). */
async function render(s: RowStream, layout: { stages: [Transform] }): Promise<string> {
  const parts: Buffer[] = [];
  try {
    await pipeline(s.rows, layout.stages[0], async (src) => {
      for await (const c of src as AsyncIterable<string | Buffer>)
        parts.push(typeof c === "string" ? Buffer.from(c, "utf8") : c);
    });
  } finally {
    await s.close();
  }
  return Buffer.concat(parts).toString("utf8");
}

/** The COPY path's bytes, in the RowStream shape render() reads. */
async function openCopy(s: DataSource, sql: string): Promise<RowStream | undefined> {
  const r = await s.openRendered?.(sql, "rfc4180-csv");
  return r && { rows: r.bytes, close: r.close };
}

describe("PostgreSQL COPY path", () => {
  let db: SqlClient;
  const t = uniqueName("copy");
  const source = createDataSource(parseDbUrl(serviceUrl("postgres")), {
    statementTimeoutSeconds: 60,
  });
  before(async () => {
    db = sqlClient("postgres");
    await db.query(
      `CREATE TABLE ${t} (id INT PRIMARY KEY, txt TEXT, ts TIMESTAMPTZ, amount NUMERIC(20,6), flag BOOLEAN, bin BYTEA, arr INT[], js JSONB, f REAL)`,
    );
    await db.query(`INSERT INTO ${t} VALUES
      (1, '', '2024-01-01 00:00:01+08', 0.000001, true, '\\xff00', '{1,2}', '{"k": "值, \\"q\\""}', 0.1),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (3, 'say "hi", then
leave' || chr(13) || 'x' || chr(13) || chr(10) || 'y', '1999-12-31 23:59:59.999999+00', -12345678901234.5, false, '', '{}', '[]', 1e30),
      (4, '"leading quote', '2024-02-29 12:00:00+00', 1, true, 'a', '{NULL}', 'null', -0),
      (5, '中文 😀 𠀀 ,逗号', '2024-02-29 12:00:00+00', 2, true, 'b', '{3}', '1', 3.5),
      (6, '\\.', NULL, 3, NULL, NULL, NULL, NULL, NULL)`);
  });
  after(async () => {
    await db.query(`DROP TABLE IF EXISTS ${t}`);
    await db.close();
  });

  for (const [what, header] of [
    ["matching title", ["序号", "id", "txt", "ts", "amount", "flag", "bin", "arr", "js", "f"]],
    ["short title", ["序号", "id"]],
    ["long title", ["序号", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]],
    ["no title", []],
  ] as const) {
    it(`writes exactly the row path's bytes (${what})`, async () => {
      const sql = `SELECT * FROM ${t} ORDER BY id;`;
      const copy = await openCopy(source, sql);
      assert.ok(copy, "plain SELECT takes the COPY path");
      const viaCopy = await render(copy, createCopyCsvLayout({ header: [...header] }));
      const viaRows = await render(
        await source.open(sql),
        createCsvLayout({ header: [...header], escapeFormulas: false }),
      );
      assert.equal(viaCopy, viaRows);
    });
  }

  it("is the same for an empty result", async () => {
    const sql = `SELECT * FROM ${t} WHERE id < 0`;
    const copy = await openCopy(source, sql);
    assert.ok(copy);
    assert.equal(await render(copy, createCopyCsvLayout({ header: ["a", "b"] })), "a,b\r\n");
  });

  it("stays read-only, timed, and falls back to the row path for SQL it cannot wrap", async () => {
    // Without the DataRow fast path behind COPY, SQL COPY cannot wrap comes back undefined.
    const unguarded = postgresSource(parseDbUrl(serviceUrl("postgres")), {
      statementTimeoutSeconds: 10,
      renderRows: false,
    });
    // A bracket without its partner is refused by the guard, and never wrapped even without it.
    await assert.rejects(openCopy(source, "SELECT 1) TO '/tmp/oe-x' --"), /without its partner/);
    assert.equal(await openCopy(unguarded, "SELECT 1) TO '/tmp/oe-x' --"), undefined);
    await assert.rejects(openCopy(source, "SELECT (1"), /without its partner/);
    assert.equal(await openCopy(unguarded, "SELECT (1"), undefined);
    // The guard refuses the write; without it, the read-only transaction still does.
    const cte = `WITH d AS (DELETE FROM ${t} RETURNING id) SELECT * FROM d`;
    await assert.rejects(openCopy(source, cte), /contains DELETE/);
    const write = await openCopy(unguarded, cte);
    assert.ok(write);
    await assert.rejects(render(write, createCopyCsvLayout({ header: [] })), /read-only/);
    const slow = createDataSource(parseDbUrl(serviceUrl("postgres")), {
      statementTimeoutSeconds: 1,
    });
    const sleeping = await openCopy(slow, "SELECT pg_sleep(5)");
    assert.ok(sleeping);
    await assert.rejects(
      render(sleeping, createCopyCsvLayout({ header: [] })),
      // The server's timeout or the worker's own timer, whichever fires first.
      /statement timeout|ran past 1 seconds/,
    );
    const count = await db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${t}`);
    assert.equal(Number(count.rows[0]?.n), 6);
  });

  it("ends with the server's error when the connection is killed mid-copy", {
    timeout: 30_000,
  }, async () => {
    const marker = uniqueName("killcopy");
    const s = await openCopy(
      source,
      `SELECT g, '${marker}', CASE WHEN g % 500 = 0 THEN pg_sleep(0.02)::text END FROM generate_series(1, 100000) g`,
    );
    assert.ok(s);
    const ended = terminateMidStream(db, s.rows, marker);
    const err = await ended;
    await s.close();
    assert.ok(err, "the stream must error, not end or hang");
  });
});
