// Rows bounded in bytes against the real servers: the wire guards measure rows as each server
// frames them (DataRow, CopyData, MySQL packets), so the limit is exact on both sides, names
// the column where a row passes it, and leaves no session behind.
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { type Engine, parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { classifyError, createDataSource } from "../../lib/engines/index.js";
import { describeFailure } from "../../lib/failure/describe.js";
import { isTransient } from "../../lib/failure/policy.js";
import { ResponseTooLarge, ValueTooLarge } from "../../lib/failure/too-large.js";
import type { DataSource } from "../../lib/sources/types.js";
import { readerUrl, seriesSql, sqlClient, until } from "../helpers.js";

const CAP = 300_000;

// "fast": the row query read as CSV from its DataRow bytes (PG_COPY off, PG_FAST_PATH on).
type Path = "rows" | "copy" | "fast";

interface Opened {
  stream: Readable;
  close(): Promise<void>;
}

async function open(source: DataSource, path: Path, sql: string): Promise<Opened> {
  if (path === "rows") {
    const s = await source.open(sql);
    return { stream: s.rows, close: s.close };
  }
  const r = await source.openRendered?.(sql, "rfc4180-csv");
  assert.ok(r, `takes the ${path} path`);
  return { stream: r.bytes, close: r.close };
}

/** Every row as text values: the rows path's batches, or the CSV lines (no quotes here). */
async function readAll(
  source: DataSource,
  path: Path,
  sql: string,
  onRow?: (row: string[]) => void,
): Promise<{ rows: string[][]; error?: unknown; closeMs: number }> {
  // PostgreSQL plans the query before it runs (the function check): an error may come then.
  const s = await open(source, path, sql).catch((error: unknown) => error as Error);
  if (s instanceof Error) return { rows: [], error: s, closeMs: 0 };
  const rows: string[][] = [];
  let tail = "";
  let error: unknown;
  let closeMs = 0;
  try {
    for await (const chunk of s.stream) {
      if (path === "rows") {
        for (const r of chunk as string[][]) {
          rows.push(r);
          onRow?.(r);
        }
      } else {
        const lines = (tail + (chunk as Buffer).toString("utf8")).split("\n");
        tail = lines.pop() ?? "";
        for (const l of lines) {
          const r = l.split(",");
          rows.push(r);
          onRow?.(r);
        }
      }
    }
  } catch (err) {
    error = err;
  } finally {
    const t0 = Date.now();
    await s.close();
    closeMs = Date.now() - t0;
  }
  return { rows, error, closeMs };
}

const SESSION = { postgres: "pg_backend_pid()::text", mysql: "CONNECTION_ID()" };

/** Whether the data session with this id is still on the server, asked as the owner. */
async function sessionAlive(db: SqlClient, id: string): Promise<boolean> {
  const r =
    db.engine === "postgres"
      ? await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = $1", [
          Number(id),
        ])
      : await db.query<{ n: number }>(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?",
          [Number(id)],
        );
  return Number(r.rows[0]?.n) > 0;
}

const rep = (engine: Engine, ch: string, n: number | string) =>
  engine === "postgres" ? `repeat('${ch}', ${n})` : `REPEAT('${ch}', ${n})`;
const when = (engine: Engine, cond: string, a: string, b: string) =>
  engine === "postgres" ? `CASE WHEN ${cond} THEN ${a} ELSE ${b} END` : `IF(${cond}, ${a}, ${b})`;

const PATHS: [Engine, Path][] = [
  ["postgres", "rows"],
  ["postgres", "copy"],
  ["postgres", "fast"],
  ["mysql", "rows"],
];

/**
 * Bytes on the wire besides the value, for a row of a one-digit number and a value of k
 * bytes (k >= 65,536): a DataRow's length, field count and two field lengths; a CopyData's
 * length and the CSV line "n,value\n"; MySQL's two length-encoded strings.
 */
const FRAMING: Record<`${Engine} ${Path}`, number> = {
  "postgres rows": 4 + 2 + 4 + 1 + 4,
  "postgres copy": 4 + 1 + 1 + 1,
  "postgres fast": 4 + 2 + 4 + 1 + 4,
  "mysql rows": 1 + 1 + 4,
  "mysql copy": 0,
  "mysql fast": 0,
};

for (const [engine, path] of PATHS) {
  describe(`${engine} ${path}: a row limit in bytes, as the server frames rows`, () => {
    let db: SqlClient;
    const source = createDataSource(parseDbUrl(readerUrl(engine)), {
      statementTimeoutSeconds: 60,
      maxRowBytes: CAP,
      // One row a batch: rows reach the reader as soon as they arrive.
      batchRows: 1,
      serverRendering: path === "copy",
      renderRows: path === "fast",
    });
    const k = CAP - FRAMING[`${engine} ${path}`];
    before(() => {
      db = sqlClient(engine);
    });
    after(() => db.close());

    it("exports rows of exactly the limit whole, and fails the row one byte over it, naming row and column", {
      timeout: 60_000,
    }, async () => {
      const exact = await readAll(
        source,
        path,
        `SELECT s.n, ${rep(engine, "x", k)} FROM ${seriesSql(engine, 4)} ORDER BY s.n`,
      );
      assert.equal(exact.error, undefined, String(exact.error));
      assert.deepEqual(
        exact.rows.map((r) => [r[0], r[1]?.length]),
        [1, 2, 3, 4].map((n) => [String(n), k]),
      );
      const over = await readAll(
        source,
        path,
        `SELECT s.n, ${when(engine, "s.n = 3", rep(engine, "x", k + 1), rep(engine, "x", k))} FROM ${seriesSql(engine, 4)} ORDER BY s.n`,
      );
      assert.ok(over.error instanceof ValueTooLarge, String(over.error));
      assert.deepEqual([over.error.row, over.error.column, over.error.limitBytes], [3, 2, CAP]);
      assert.ok(over.rows.length <= 2, "no row at or after the refused one");
      assert.equal(isTransient(over.error, classifyError(over.error), "query"), false);
    });

    it("names the column where a row of several wide values passes the limit, with its label", {
      timeout: 60_000,
    }, async () => {
      const w = 100_000;
      const wide = (ch: string) => when(engine, "s.n = 3", rep(engine, ch, w), "''");
      const sql = `SELECT s.n, ${wide("a")}, ${wide("b")}, ${wide("c")}, ${wide("d")} FROM ${seriesSql(engine, 3)} ORDER BY s.n`;
      const r = await readAll(source, path, sql);
      assert.ok(r.error instanceof ValueTooLarge, String(r.error));
      // n, a and b fit in 300,000 bytes with their framing; c passes it.
      assert.deepEqual([r.error.row, r.error.column], [3, 4]);
      const msg = describeFailure(r.error, classifyError(r.error), "query", {
        timeoutSeconds: 60,
        secrets: [],
        labels: ["序号", "编号", "甲", "乙", "丙", "丁"],
      });
      assert.match(msg, /^Row 3, column 4 \(丙\) makes the row larger than 0\.3 MB/);
    });

    it("leaves nothing open after a refused row: close returns at once and the server session ends", {
      timeout: 60_000,
    }, async () => {
      // Rows 1 and 2 (200 KB each) arrive in reads of their own, before row 3 is refused.
      const sql = `SELECT ${SESSION[engine]}, ${when(engine, "s.n = 3", rep(engine, "z", CAP), rep(engine, "y", 200_000))} FROM ${seriesSql(engine, 3)} ORDER BY s.n`;
      let session: string | undefined;
      const r = await readAll(source, path, sql, (row) => {
        session ??= row[0];
      });
      assert.ok(r.error instanceof ValueTooLarge, String(r.error));
      assert.deepEqual([r.error.row, r.error.column], [3, 2]);
      assert.ok(session, "row 1 arrived");
      assert.ok(r.closeMs < 3000, `close took ${r.closeMs} ms`);
      assert.equal(
        await until(async () => !(await sessionAlive(db, session as string)), 5000),
        true,
      );
    });

    it("passes the server's own errors through", async () => {
      const r = await readAll(source, path, "SELECT nope FROM no_such_table_for_the_guard");
      assert.ok(r.error, "failed");
      assert.ok(!(r.error instanceof ValueTooLarge) && !(r.error instanceof ResponseTooLarge));
      assert.match(String((r.error as Error).message), /no_such_table_for_the_guard/);
    });

    if (engine === "postgres") {
      it("refuses an error that quotes a huge value before reading it (a failed cast quotes its whole input)", {
        timeout: 60_000,
      }, async () => {
        const r = await readAll(source, path, `SELECT ${rep(engine, "x", 1_000_000)}::int`);
        assert.ok(r.error instanceof ResponseTooLarge, String(r.error));
        assert.equal(isTransient(r.error, classifyError(r.error), "query"), false);
      });
    }
  });
}

describe("mysql rows: rows of 16 MB and more, split over several packets by the server", () => {
  let db: SqlClient;
  before(() => {
    db = sqlClient("mysql");
  });
  after(() => db.close());
  // Three rows of about 20, 20 and 42 MB (MariaDB makes no string over max_allowed_packet,
  // 16 MB here, so each is several values).
  const sql = `SELECT s.n, REPEAT('a', 10000000), REPEAT('b', 10000000), IF(s.n = 3, REPEAT('c', 14000000), 'tail')
    FROM ${seriesSql("mysql", 3)} ORDER BY s.n`;

  it("follows the packets: rows under a 32 MB limit pass whole, the third is refused at its column", {
    timeout: 120_000,
  }, async () => {
    const source = createDataSource(parseDbUrl(readerUrl("mysql")), {
      statementTimeoutSeconds: 60,
      maxRowBytes: 32 * 1024 * 1024,
      batchRows: 1,
    });
    const got: [string, number, number, string][] = [];
    const r = await readAll(source, "rows", sql, (row) =>
      got.push([
        row[0] as string,
        (row[1] as string).length,
        (row[2] as string).length,
        (row[3] as string).slice(0, 4),
      ]),
    );
    assert.deepEqual(got, [
      ["1", 10_000_000, 10_000_000, "tail"],
      ["2", 10_000_000, 10_000_000, "tail"],
    ]);
    assert.ok(r.error instanceof ValueTooLarge, String(r.error));
    // n, a and b: 20,000,010 bytes; c's 14 MB passes 32 MB.
    assert.deepEqual([r.error.row, r.error.column], [3, 4]);
  });

  it("names a column inside the first packet when the limit is below 16 MB", {
    timeout: 60_000,
  }, async () => {
    const source = createDataSource(parseDbUrl(readerUrl("mysql")), {
      statementTimeoutSeconds: 60,
      maxRowBytes: 15 * 1024 * 1024,
    });
    const r = await readAll(source, "rows", sql);
    assert.ok(r.error instanceof ValueTooLarge, String(r.error));
    assert.deepEqual([r.error.row, r.error.column], [1, 3]);
    assert.equal(r.rows.length, 0);
  });
});
