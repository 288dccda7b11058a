// One statement, as the server counts statements: the COPY text is parsed by the server before
// it runs over the simple protocol, a COPY that answers with more than one result fails its
// stream (never the process), and MySQL connections refuse several statements.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { parseDbUrl } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { classifyError, createDataSource } from "../../lib/engines/index.js";
import { mysqlSource } from "../../lib/engines/mysql/source.js";
import { copyableSql, copyStatement } from "../../lib/engines/postgres/copy-sql.js";
import { CopyOutQuery } from "../../lib/engines/postgres/copy-stream.js";
import { proveOneStatement, UnexpectedMessage } from "../../lib/engines/postgres/one-statement.js";
import { postgresSource } from "../../lib/engines/postgres/source.js";
import { describeFailure } from "../../lib/failure/describe.js";
import type { DataSource } from "../../lib/sources/types.js";
import { readerUrl, serviceUrl, sqlClient, uniqueName } from "../helpers.js";

/** The attack that left the COPY wrapper: PostgreSQL ends a `--` comment at CR as well as LF. */
const CR_ATTACK =
  "SELECT 1 AS a --\r) TO STDOUT; COMMIT; ALTER ROLE CURRENT_USER PASSWORD 'x'; COPY (SELECT 1 WHERE false";

const drain = () => new Writable({ write: (_c, _e, cb) => cb(), objectMode: true });

/** A reader session inside a read-only transaction, as the source opens it. */
async function readerSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: readerUrl("postgres") });
  client.on("error", () => {});
  await client.connect();
  await client.query("BEGIN READ ONLY");
  await client.query("SET LOCAL standard_conforming_strings = on");
  return client;
}

describe("postgres: the COPY text is one statement by the server's count", () => {
  let admin: SqlClient;
  let password: () => Promise<string>;
  before(() => {
    admin = sqlClient("postgres");
    password = async () =>
      String(
        (
          await admin.query<{ p: string }>(
            "SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1",
            [new URL(readerUrl("postgres")).username],
          )
        ).rows[0]?.p,
      );
  });
  after(() => admin.close());

  it("refuses the CR attack wrapped in COPY, whatever the lexer read", async () => {
    // Today's lexer ends `--` at LF only and lets the attack through copyableSql; one that ends
    // it at CR refuses it there. The server's proof must hold either way.
    const wrapped = copyStatement(copyableSql(CR_ATTACK) ?? CR_ATTACK);
    const client = await readerSession();
    try {
      await assert.rejects(proveOneStatement(client, wrapped), {
        message: /cannot insert multiple commands into a prepared statement/,
      });
      // The session is usable for what the source does next (close rolls it back).
      await client.query("ROLLBACK");
      await proveOneStatement(client, copyStatement("SELECT 1 AS a --\n"));
      await assert.rejects(proveOneStatement(client, "SELECT 1\0; SELECT 2"), /NUL character/);
    } finally {
      await client.end();
    }
  });

  for (const guarded of [false, true]) {
    it(`fails the task and runs nothing after the COPY, as the reader through the ${guarded ? "guarded" : "unguarded"} source`, async () => {
      const before = await password();
      const options = { statementTimeoutSeconds: 10, monitor: parseDbUrl(serviceUrl("postgres")) };
      const url = parseDbUrl(readerUrl("postgres"));
      // Unguarded: no lexer guard and no plan check in front, only the proof.
      const source = guarded ? createDataSource(url, options) : postgresSource(url, options);
      try {
        const err = await (async () => {
          const r = await source.openRendered?.(CR_ATTACK, "rfc4180-csv");
          // Refused by the lexer (no COPY): the row path's extended protocol counts for itself.
          const s = r ? { rows: r.bytes, close: r.close } : await source.open(CR_ATTACK);
          try {
            await pipeline(s.rows, drain());
          } finally {
            await s.close();
          }
        })().then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err, "the attack must fail");
        assert.match(
          describeFailure(err, classifyError(err), "query", { timeoutSeconds: 10, secrets: [] }),
          // The proof, the guard's lexer once it ends `--` at CR, or the plan check's EXPLAIN
          // (where the server reads `) TO STDOUT` as code) refuse it.
          /more than one statement|cannot insert multiple commands|syntax error at or near "\)"/,
        );
        assert.equal(await password(), before, "the reader's password is unchanged");
      } finally {
        if ((await password()) !== before) {
          const reader = new URL(readerUrl("postgres"));
          await admin.query(
            `ALTER ROLE ${reader.username} PASSWORD '${decodeURIComponent(reader.password)}'`,
          );
        }
      }
    });
  }

  // The proof bypassed: what pg and the COPY reader do with a second result after a COPY.
  for (const [what, tail] of [
    ["a second COPY with rows", "COPY (SELECT 2) TO STDOUT"],
    ["a second COPY without rows", "COPY (SELECT 2 WHERE false) TO STDOUT"],
    ["a query's rows", "SELECT 42"],
    ["a query without rows", "SELECT 42 WHERE false"],
    ["a COMMIT", "COMMIT"],
    ["a COPY FROM STDIN", "COPY pg_temp.nothing FROM STDIN"],
    // The server flushes its output at a NOTICE, so the COPY's end arrives a second before the
    // next answer: the stream must still be open for it.
    [
      "a statement that answers a second later",
      "DO $$BEGIN RAISE NOTICE 'flush'; PERFORM pg_sleep(1); END$$",
    ],
    // The second answer fails the stream when it arrives, not when the last statement ends.
    [
      "statements that run on",
      "DO $$BEGIN PERFORM 1; END$$; DO $$BEGIN RAISE NOTICE 'flush'; PERFORM pg_sleep(60); END$$",
    ],
  ] as const) {
    it(`fails the stream, not the process, on ${what} after the COPY`, {
      timeout: 20_000,
    }, async () => {
      const client = await readerSession();
      try {
        if (tail.includes("pg_temp")) {
          await client.query("ROLLBACK");
          await client.query("CREATE TEMP TABLE nothing (a int)");
          await client.query("BEGIN READ ONLY");
        }
        const copy = client.query(new CopyOutQuery(`COPY (SELECT 1) TO STDOUT; ${tail}`)).bytes;
        const err = await pipeline(copy, drain()).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof UnexpectedMessage, `must fail as an unexpected message: ${err}`);
      } finally {
        // A session still running its last statement would not answer a polite end.
        const pid = (client as unknown as { processID: number }).processID;
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        await client.end().catch(() => {});
      }
    });
  }

  it("ends a COPY that answers with exactly one result", async () => {
    const client = await readerSession();
    try {
      const chunks: Buffer[] = [];
      const copy = client.query(
        new CopyOutQuery("COPY (SELECT 1 UNION ALL SELECT 2) TO STDOUT"),
      ).bytes;
      await pipeline(
        copy,
        new Writable({
          write: (c: Buffer, _e, cb) => {
            chunks.push(c);
            cb();
          },
        }),
      );
      assert.equal(Buffer.concat(chunks).toString(), "1\n2\n");
      assert.equal((await client.query("SELECT 3 AS n")).rows[0]?.n, 3, "the session goes on");
    } finally {
      await client.end();
    }
  });
});

describe("mysql: one statement per query, refused by the server", () => {
  let admin: SqlClient;
  // The engine's source without the guard: only the connection's multipleStatements: false.
  let unguarded: DataSource;
  before(() => {
    admin = sqlClient("mysql");
    unguarded = mysqlSource(parseDbUrl(readerUrl("mysql")), { statementTimeoutSeconds: 10 });
  });
  after(() => admin.close());

  for (const tail of ["SELECT 2", "DO SLEEP(0)", "DO GET_LOCK('%LOCK%', 0)"]) {
    it(`refuses "SELECT 1; ${tail}" and runs nothing after the ;`, async () => {
      const lock = uniqueName("oe_multi");
      const s = await unguarded.open(`SELECT 1; ${tail.replace("%LOCK%", lock)}`);
      try {
        const rows: unknown[] = [];
        const err = await pipeline(
          s.rows,
          new Writable({
            objectMode: true,
            write: (r, _e, cb) => {
              rows.push(r);
              cb();
            },
          }),
        ).then(
          () => undefined,
          (e: unknown) => e as { code?: string },
        );
        assert.equal(err?.code, "ER_PARSE_ERROR", "a syntax error at the ;");
        assert.deepEqual(rows, [], "not even the first statement's row");
        // Asked while the data connection is still open: a lock it took would still be held.
        const held = await admin.query<{ h: number | null }>("SELECT IS_USED_LOCK(?) AS h", [lock]);
        assert.equal(held.rows[0]?.h, null, "nothing after the ; ran");
      } finally {
        await s.close();
      }
    });
  }
});
