// The PostgreSQL fast row path (rendered-rows.ts: CSV from the DataRow bytes) against the row
// path (pg's strings), on the real server: the same query must give the same CSV byte for
// byte, through the source and the layout, and through the whole worker with PG_COPY off and
// PG_FAST_PATH on and off, for every option that changes cells; and it must end as the row
// path ends when the query fails, is killed, runs too long or its reader goes away.
import assert from "node:assert/strict";
import type { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { createDataSource } from "../../lib/engines/index.js";
import { postgresSource } from "../../lib/engines/postgres/source.js";
import { createCopyCsvLayout } from "../../lib/formats/csv/copy-csv.js";
import { createCsvLayout } from "../../lib/formats/csv/layout.js";
import { createTextEncoder } from "../../lib/formats/encoding/encoder.js";
import type { DataSource, RowStream } from "../../lib/sources/types.js";
import { type Harness, makeHarness, serviceUrl, sqlClient, uniqueName } from "../helpers.js";
import {
  assertSameBytes,
  assertSameWorkbook,
  exportOn,
  terminateMidStream,
} from "./same-output.js";

const COLUMNS = `id INT PRIMARY KEY, txt TEXT, ts TIMESTAMPTZ, amount NUMERIC(30,10), flag BOOLEAN,
  bin BYTEA, arr TEXT[], js JSONB, f REAL, d DATE, iv INTERVAL, u UUID, big BIGINT, ip INET,
  ch CHAR(5), pt POINT, rng INT4RANGE, x XML`;

// Every kind, NULL in every column, then the edges: quotes, commas, CR/LF, `\.`, formulas,
// long digits, emoji and CJK Extension B.
const ROWS = `
(1, '', '2024-01-01 00:00:01+08', 0.0000000001, true, '\\xff00', '{"a,b","say \\"hi\\""}',
 '{"k": "值, \\"q\\"", "n": 12345678901234567890}', 0.1, '2024-02-29', '1 day 02:03:04.5',
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', -9223372036854775808, '192.168.0.1/24', 'ab', '(1,2)',
 '[1,5)', '<a>"q"</a>'),
(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(3, 'say "hi", then
leave' || chr(13) || 'x' || chr(13) || chr(10) || 'y', '1999-12-31 23:59:59.999999+00',
 -12345678901234.5, false, '', '{}', '[]', 1e30, '0001-01-01', '-1 year', NULL,
 9223372036854775807, '::1', '', '(0,0)', 'empty', ''),
(4, '"leading quote', '2024-02-29 12:00:00+00', 1, true, 'a', '{NULL}', 'null', '-0', '2000-01-01',
 '0', NULL, 12345678901234567, NULL, '中', NULL, NULL, NULL),
(5, '中文 😀 𠀀𪚥 ,逗号', '2024-02-29 12:00:00+00', 2, true, 'b', '{3}', '1', 3.5, NULL, NULL,
 NULL, 0, NULL, NULL, NULL, NULL, NULL),
(6, '\\.', NULL, 3, NULL, NULL, NULL, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(7, '=1+2', NULL, NULL, NULL, NULL, NULL, '"s"', '-Infinity', NULL, NULL, NULL, NULL, NULL, '@u',
 NULL, NULL, NULL),
(8, '+86 138 0000 0000', NULL, 123456789012345678, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, '-1', NULL, NULL, NULL),
(9, '110101199003077777X', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, '0012', NULL, NULL, NULL),
(10, chr(9) || 'tab' || chr(13), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL)`;

// Many more rows, long and short, so that rows run across socket reads and past the writer's
// 64 KB chunks: cells of 27K characters (33 KB), quotes, commas, bytea now and then.
const MORE = (t: string) => `INSERT INTO ${t} (id, txt, amount, ts, arr, bin)
  SELECT 100 + g, CASE WHEN g % 500 = 0 THEN repeat('长 "q" & ,', 3000)
                       WHEN g % 7 = 0 THEN '' WHEN g % 11 = 0 THEN NULL ELSE '订单 ' || g END,
    g / 7.0, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * interval '13 second',
    CASE WHEN g % 3 = 0 THEN ARRAY['v, ' || g, NULL] END,
    CASE WHEN g % 13 = 0 THEN int4send(g * 65537) END
  FROM generate_series(1, 3000) g`;

const ROW_COUNT = 3010;

/** The CSV text a layout makes of a row stream (the row path yields strings, the fast path bytes). */
async function render(s: RowStream, layout: { stages: [Transform] }): Promise<Buffer> {
  const parts: Buffer[] = [];
  try {
    await pipeline(s.rows, layout.stages[0], async (src) => {
      for await (const c of src as AsyncIterable<string | Buffer>)
        parts.push(typeof c === "string" ? Buffer.from(c, "utf8") : c);
    });
  } finally {
    await s.close();
  }
  return Buffer.concat(parts);
}

/** The fast path's bytes, in the RowStream shape render() reads. */
async function openFast(s: DataSource, sql: string): Promise<RowStream> {
  const r = await s.openRendered?.(sql, "rfc4180-csv");
  assert.ok(r, "the source renders rows with COPY off");
  return { rows: r.bytes, close: r.close };
}

describe("the PostgreSQL fast row path writes what the row path writes", () => {
  const t = uniqueName("oe_pg_fast");
  const sql = `SELECT * FROM ${t} ORDER BY id`;
  const names = COLUMNS.split(/,\s*(?=[a-z_0-9]+ [A-Z])/).map(
    (c) => c.trim().split(" ")[0] as string,
  );
  const title = `序号,${names.join(",")}`;
  const source = createDataSource(parseDbUrl(serviceUrl("postgres")), {
    statementTimeoutSeconds: 60,
    serverRendering: false,
  });
  const harnesses: Record<"fast" | "rows", Harness | undefined> = {
    fast: undefined,
    rows: undefined,
  };
  let db: SqlClient;

  before(async () => {
    db = sqlClient("postgres");
    await db.query(`CREATE TABLE ${t} (${COLUMNS})`);
    await db.query(`INSERT INTO ${t} VALUES ${ROWS}`);
    await db.query(MORE(t));
    const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
    await db.query(`GRANT SELECT ON ${t} TO ${reader}`);
    for (const path of ["fast", "rows"] as const)
      harnesses[path] = await makeHarness({
        taskEngine: "postgres",
        dataEngine: "postgres",
        env: { PG_COPY: "false", PG_FAST_PATH: path === "fast" ? "true" : "false" },
      });
  });
  after(async () => {
    await db.query(`DROP TABLE IF EXISTS ${t}`);
    await db.close();
    for (const h of Object.values(harnesses)) await h?.close();
  });

  for (const [what, header] of [
    ["matching title", ["序号", ...names]],
    ["short title", ["序号", "id"]],
    ["no title", []],
  ] as const)
    it(`gives the row path's CSV through the layout (${what})`, async () => {
      const fast = await render(
        await openFast(source, sql),
        createCopyCsvLayout({ header: [...header] }),
      );
      const rows = await render(
        await source.open(sql),
        createCsvLayout({ header: [...header], escapeFormulas: false }),
      );
      assertSameBytes(fast, rows);
      const text = fast.toString("utf8");
      for (const cell of [
        '"say ""hi"", then\nleave\rx\r\ny"',
        ",\\xff00,",
        '"{""a,b"",""say \\""hi\\""""}"',
        "\\.", // the end-of-data marker of COPY's text format is only a value here
        '"中文 😀 𠀀𪚥 ,逗号"',
      ])
        assert.ok(text.includes(cell), `the file holds ${JSON.stringify(cell)}`);
    });

  it("is the same for a query of no columns, on this path and on COPY's", async () => {
    const sql = "SELECT FROM generate_series(1, 3)";
    const copy = createDataSource(parseDbUrl(serviceUrl("postgres")), {
      statementTimeoutSeconds: 60,
    });
    for (const header of [[], ["n"], ["n", "a"]]) {
      const rows = await render(
        await source.open(sql),
        createCsvLayout({ header, escapeFormulas: false }),
      );
      for (const s of [source, copy]) {
        const r = await s.openRendered?.(sql, "rfc4180-csv");
        assert.ok(r);
        const fast = await render(
          { rows: r.bytes, close: r.close },
          createCopyCsvLayout({ header, columns: r.columns }),
        );
        assertSameBytes(fast, rows);
      }
      // The first row after the title (if any): its number, padded to a wider title.
      const first = rows.toString("utf8").split("\r\n")[header.length > 0 ? 1 : 0];
      assert.equal(first, header.length === 2 ? "1," : "1");
    }
  });

  it("is the same for an empty result, and names its columns", async () => {
    const empty = await render(
      await openFast(source, `SELECT * FROM ${t} WHERE id < 0`),
      createCopyCsvLayout({ header: ["a", "b"] }),
    );
    assert.equal(empty.toString("utf8"), "a,b\r\n");
    const columns = await source.openRendered?.(
      `SELECT id, txt AS "名字" FROM ${t} LIMIT 1`,
      "rfc4180-csv",
    );
    assert.ok(columns);
    assert.deepEqual(await columns.columns, [
      { name: "id", kind: "number" },
      { name: "名字", kind: "text" },
    ]);
    await render(
      { rows: columns.bytes, close: columns.close },
      createCopyCsvLayout({ header: [] }),
    );
  });

  const exportOnPath = (path: "fast" | "rows", options?: string) =>
    exportOn(
      harnesses[path] as Harness,
      path,
      { name: "类型", title, query: sql, options },
      ROW_COUNT,
    );

  for (const o of [
    undefined, // the deployment's defaults: GB18030, formulas escaped, long digits as text
    '{"escape_formulas": false, "long_digits_as_text": false}',
    '{"encoding": "utf8"}',
    '{"compress": "gzip"}',
  ])
    it(`the worker writes the same file with PG_FAST_PATH on and off: ${o ?? "defaults"}`, {
      timeout: 120_000,
    }, async () => {
      const fast = await exportOnPath("fast", o);
      const rows = await exportOnPath("rows", o);
      assert.deepEqual(fast.taken, ["fast"]);
      assert.deepEqual(rows.taken, ["rows"]);
      assertSameBytes(fast.bytes, rows.bytes);
    });

  it("the same workbook with PG_FAST_PATH on and off", { timeout: 120_000 }, async () => {
    const fast = await exportOnPath("fast", '{"format": "xlsx"}');
    const rows = await exportOnPath("rows", '{"format": "xlsx"}');
    assert.deepEqual(fast.taken, ["fast"]);
    assert.deepEqual(rows.taken, ["rows"]);
    assertSameWorkbook(fast.bytes, rows.bytes);
  });
});

describe("the PostgreSQL fast row path ends as the row path ends", () => {
  let db: SqlClient;
  const source = createDataSource(parseDbUrl(serviceUrl("postgres")), {
    statementTimeoutSeconds: 60,
    serverRendering: false,
  });
  before(() => {
    db = sqlClient("postgres");
  });
  after(() => db.close());

  /** Whether a session running SQL that holds `marker` is still on the server. */
  async function running(marker: string): Promise<number> {
    const r = await db.query<{ n: string }>(
      "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
      [`%${marker}%`],
    );
    return Number(r.rows[0]?.n);
  }

  it("fails with the server's error when a row fails mid-result, and leaves no session", {
    timeout: 30_000,
  }, async () => {
    const marker = uniqueName("divzero");
    const s = await openFast(
      source,
      `SELECT g, '${marker}', 1 / (g - 60000) FROM generate_series(1, 100000) g`,
    );
    let bytes = 0;
    s.rows.on("data", (c: Buffer) => {
      bytes += c.length;
    });
    const err = await new Promise<unknown>((resolve) => {
      s.rows.on("error", resolve);
      s.rows.on("end", () => resolve(undefined));
    });
    await s.close();
    assert.match(String(err), /division by zero/);
    assert.ok(bytes > 100_000, `rows before the failure were read (${bytes} bytes)`);
    assert.equal(await running(marker), 0);
  });

  it("stays read-only and timed", { timeout: 30_000 }, async () => {
    const t = uniqueName("oe_pg_fast_ro");
    await db.query(`CREATE TABLE ${t} (id INT)`);
    try {
      // Without the statement guard: the read-only transaction alone refuses the write.
      const unguarded = postgresSource(parseDbUrl(serviceUrl("postgres")), {
        statementTimeoutSeconds: 10,
        serverRendering: false,
      });
      const write = await openFast(
        unguarded,
        `WITH d AS (INSERT INTO ${t} VALUES (1) RETURNING id) SELECT * FROM d`,
      );
      await assert.rejects(render(write, createCopyCsvLayout({ header: [] })), /read-only/);
      const count = await db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${t}`);
      assert.equal(Number(count.rows[0]?.n), 0);
    } finally {
      await db.query(`DROP TABLE IF EXISTS ${t}`);
    }
    const slow = createDataSource(parseDbUrl(serviceUrl("postgres")), {
      statementTimeoutSeconds: 1,
      serverRendering: false,
    });
    const sleeping = await openFast(slow, "SELECT pg_sleep(5)");
    await assert.rejects(
      render(sleeping, createCopyCsvLayout({ header: [] })),
      /statement timeout|ran past 1 seconds/,
    );
  });

  it("ends with an error when the connection is killed mid-result", {
    timeout: 30_000,
  }, async () => {
    const marker = uniqueName("killfast");
    const s = await openFast(
      source,
      `SELECT g, '${marker}', CASE WHEN g % 500 = 0 THEN pg_sleep(0.02)::text END FROM generate_series(1, 100000) g`,
    );
    const ended = terminateMidStream(db, s.rows, marker);
    const err = await ended;
    await s.close();
    assert.ok(err, "the stream must error, not end or hang");
  });

  it("closes at once behind a reader that stopped reading, and leaves no session", {
    timeout: 30_000,
  }, async () => {
    const marker = uniqueName("slowfast");
    const r = await source.openRendered?.(
      `SELECT g, '${marker}', repeat('x', 200) FROM generate_series(1, 2000000) g`,
      "rfc4180-csv",
    );
    assert.ok(r);
    // Read one chunk, then stop: the socket is paused behind the full buffer.
    await new Promise<void>((resolve) => r.bytes.once("data", () => resolve()));
    r.bytes.pause();
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(await running(marker), 1, "the query is still running behind the reader");
    const t0 = Date.now();
    r.bytes.destroy();
    await r.close();
    const ms = Date.now() - t0;
    assert.ok(ms < 5000, `close took ${ms} ms`);
    assert.equal(await running(marker), 0);
  });

  it("reads a result that ends while the reader is behind to its end", {
    timeout: 30_000,
  }, async () => {
    const r = await source.openRendered?.(
      "SELECT g, repeat('y', 100) FROM generate_series(1, 50000) g",
      "rfc4180-csv",
    );
    assert.ok(r);
    r.bytes.pause();
    // The whole answer has arrived (the server is done) while nothing was read.
    await new Promise((res) => setTimeout(res, 500));
    let lines = 0;
    for await (const c of r.bytes as AsyncIterable<Buffer>)
      for (const b of c) if (b === 0x0a) lines++;
    const t0 = Date.now();
    await r.close();
    assert.equal(lines, 50000);
    assert.ok(Date.now() - t0 < 2000, "close does not wait on a queued message");
  });
});

describe("the PostgreSQL fast row path on a SQL_ASCII database", () => {
  // SQL_ASCII stores bytes unchecked; pg always asks for client_encoding UTF8, so the server
  // checks a table's text on the way out and refuses what is not UTF-8, on both paths alike.
  const name = uniqueName("oe_sqlascii");
  let admin: SqlClient;
  let url: string;
  before(async () => {
    admin = sqlClient("postgres");
    await admin.query(
      `CREATE DATABASE ${name} ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`,
    );
    const u = new URL(serviceUrl("postgres"));
    u.pathname = `/${name}`;
    url = u.toString();
    // The bytes go in as the owner: the task's SQL only reads them.
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    try {
      await owner.query("CREATE TABLE t (id INT, v TEXT)");
      await owner.query(
        `INSERT INTO t VALUES (1, E'caf\\xe9'), (2, '中文 "ok"'), (3, E'\\xc0\\x80')`,
      );
    } finally {
      await owner.end();
    }
  });
  after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  });

  it("fails as the row path fails on bytes that are not UTF-8, and writes the same for those that are", async () => {
    const source = createDataSource(parseDbUrl(url), {
      statementTimeoutSeconds: 30,
      serverRendering: false,
    });
    const layout = () => createCopyCsvLayout({ header: [] });
    const rowLayout = () => createCsvLayout({ header: [], escapeFormulas: false });
    for (const id of [1, 3]) {
      const sql = `SELECT * FROM t WHERE id = ${id}`;
      await assert.rejects(
        render(await openFast(source, sql), layout()),
        /invalid byte sequence for encoding "UTF8"/,
      );
      await assert.rejects(
        render(await source.open(sql), rowLayout()),
        /invalid byte sequence for encoding "UTF8"/,
      );
    }
    const sql = "SELECT * FROM t WHERE id = 2";
    const fast = await render(await openFast(source, sql), layout());
    assertSameBytes(fast, await render(await source.open(sql), rowLayout()));
    assert.equal(fast.toString("utf8"), '1,2,"中文 ""ok"""\r\n');
  });
});

describe("the PostgreSQL fast row path on text the server sends as it is", () => {
  // The shared catalogs keep a name in the encoding of the database it was made from: a UTF8
  // server sends it to a UTF8 client unconverted and unchecked. The row path's strings hold
  // U+FFFD there, so the fast path checks every value (data-row-csv.ts) and the UTF-8 encoder
  // checks COPY's output (encoding/encoder.ts): all three write the same.
  const latin1 = uniqueName("oe_latin1");
  const made = `café_${latin1}`;
  let admin: SqlClient;
  before(async () => {
    admin = sqlClient("postgres");
    await admin.query(
      `CREATE DATABASE ${latin1} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`,
    );
    const u = new URL(serviceUrl("postgres"));
    u.pathname = `/${latin1}`;
    const l = new pg.Client({ connectionString: u.toString() });
    await l.connect();
    try {
      await l.query(`CREATE DATABASE "${made}" TEMPLATE template0`);
    } finally {
      await l.end();
    }
  });
  after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${made}"`);
    await admin.query(`DROP DATABASE IF EXISTS ${latin1}`);
    await admin.close();
  });

  it("writes U+FFFD where the row path does, not the raw bytes", async () => {
    const source = createDataSource(parseDbUrl(serviceUrl("postgres")), {
      statementTimeoutSeconds: 30,
      serverRendering: false,
    });
    const sql = `SELECT datname, 'x' AS y FROM pg_database WHERE datname LIKE 'caf%${latin1}'`;
    const fast = await render(await openFast(source, sql), createCopyCsvLayout({ header: [] }));
    const rows = await render(
      await source.open(sql),
      createCsvLayout({ header: [], escapeFormulas: false }),
    );
    assertSameBytes(fast, rows);
    assert.equal(fast.toString("utf8"), `1,caf\ufffd_${latin1},x\r\n`);
    // COPY sends the same bytes unconverted too: its UTF-8 output is checked where it is encoded.
    const copySource = createDataSource(parseDbUrl(serviceUrl("postgres")), {
      statementTimeoutSeconds: 30,
    });
    const copied = await copySource.openRendered?.(sql, "rfc4180-csv");
    assert.ok(copied);
    const viaCopy = await render(
      { rows: copied.bytes, close: copied.close },
      createCopyCsvLayout({ header: [], encoder: createTextEncoder("utf8") }),
    );
    assertSameBytes(viaCopy, rows);
  });
});
