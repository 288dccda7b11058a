// What the lexer calls code must be what the server runs. Each probe (lexer-probes.ts) runs on
// the real server in a session set up as the worker's data sessions are, then again as the lexer
// re-emits it: each token's source text on its own line, comments dropped. If the lexer called
// code a comment, dropping it changes the result; if it cut a string or a name in two, the line
// break changes the value; if it ended a comment early, the line break exposes code. So wherever
// the server runs a probe, the re-emitted SQL must run and give the same columns and rows.
// Locking reads, function names and the catalogue are probed the same way: by evaluating.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import mysql from "mysql2/promise";
import pg from "pg";
import type { Engine } from "../../lib/db/url.js";
import { DIALECTS } from "../../lib/engines/index.js";
import { PIN_SQL_MODE } from "../../lib/engines/mysql/session.js";
import { LexError, lexSql, type Token } from "../../lib/sources/sql-lexer.js";
import { checkTaskSql, TaskSqlRejected } from "../../lib/sources/statement-guard.js";
import { ENGINES, readerUrl, serviceUrl, uniqueName } from "../helpers.js";
import { CHARS, probesFor } from "./lexer-probes.js";

interface ResultSet {
  fields: string[];
  rows: unknown[][];
}
type Outcome = { ok: true; results: ResultSet[] } | { ok: false; error: string };

interface Session {
  /** Runs `sql` in a fresh read-only transaction, `during` while it is still open, then rolls back. */
  run(sql: string, during?: () => Promise<void>): Promise<Outcome>;
  close(): Promise<void>;
}

/**
 * A session as the worker opens for task SQL: read-only transaction, escape modes pinned, a
 * statement timeout. Several statements may be sent at once (PostgreSQL's simple protocol, as on
 * the COPY path), so SQL a misread comment exposes runs rather than failing to parse.
 */
async function openSession(engine: Engine, url: string): Promise<Session> {
  if (engine === "postgres") {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {});
    await client.connect();
    return {
      async run(sql, during) {
        await client.query(
          "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = 10000; SET LOCAL standard_conforming_strings = on",
        );
        try {
          const r = (await client.query({ text: sql, rowMode: "array" })) as unknown as
            | pg.QueryArrayResult
            | pg.QueryArrayResult[];
          const results = (Array.isArray(r) ? r : [r]).map((x) => ({
            fields: x.fields.map((f) => f.name),
            rows: x.rows,
          }));
          await during?.();
          return { ok: true, results };
        } catch (err) {
          return { ok: false, error: (err as Error).message };
        } finally {
          await client.query("ROLLBACK");
        }
      },
      close: () => client.end(),
    };
  }
  const conn = await mysql.createConnection({
    uri: url,
    charset: "utf8mb4",
    multipleStatements: false,
  });
  conn.on("error", () => {});
  await conn.query(PIN_SQL_MODE);
  await conn.query("SET SESSION max_statement_time = 10");
  await conn.query("SET SESSION TRANSACTION READ ONLY");
  return {
    async run(sql, during) {
      await conn.query("START TRANSACTION READ ONLY");
      try {
        const [rows, fields] = await conn.query({ sql, rowsAsArray: true });
        const results = [
          {
            fields: (fields ?? []).map((f) => f.name),
            rows: Array.isArray(rows) ? (rows as unknown[][]) : [],
          },
        ];
        await during?.();
        return { ok: true, results };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      } finally {
        await conn.query("ROLLBACK");
      }
    },
    close: () => conn.end(),
  };
}

/** The SQL as the lexer split it: each token as written, one per line, comments dropped. */
function reemit(sql: string, tokens: Token[]): string {
  return tokens.map((t) => sql.slice(t.start, t.end)).join(" \n ");
}

const show = (v: unknown) => JSON.stringify(v).slice(0, 300);
const asciiLower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

function refusedByGuard(engine: Engine, sql: string): boolean {
  try {
    checkTaskSql(DIALECTS[engine].guard, sql);
    return false;
  } catch (err) {
    if (err instanceof TaskSqlRejected) return true;
    throw err;
  }
}

for (const engine of ENGINES) {
  const rules = DIALECTS[engine].guard;

  describe(`${engine}: the lexer splits task SQL where the server does`, () => {
    let reader: Session;
    before(async () => {
      reader = await openSession(engine, readerUrl(engine));
    });
    after(() => reader.close());

    it("re-emitting the lexer's tokens never changes what the server runs; names and strings decode to the server's values", {
      timeout: 300_000,
    }, async (t) => {
      const families = new Map<string, { ran: number; compared: number }>();
      const failures: string[] = [];
      let compared = 0;
      let lexRefused = 0;
      let namesChecked = 0;
      let stringsChecked = 0;
      for (const p of probesFor(engine)) {
        const family = families.get(p.family) ?? { ran: 0, compared: 0 };
        families.set(p.family, family);
        const out = await reader.run(p.sql);
        if (!out.ok) continue; // nothing ran: no constraint
        family.ran += 1;
        let tokens: Token[];
        try {
          tokens = lexSql(p.sql, rules.lex);
        } catch (err) {
          if (!(err instanceof LexError)) throw err;
          lexRefused += 1; // the guard refuses what it cannot read
          continue;
        }
        const again = await reader.run(reemit(p.sql, tokens));
        if (!isDeepStrictEqual(again, out)) {
          failures.push(
            `${p.family}: ${show(p.sql)}\n  server: ${show(out)}\n  as lexed: ${show(reemit(p.sql, tokens))}\n  gives: ${show(again)}`,
          );
          continue;
        }
        family.compared += 1;
        compared += 1;
        // `SELECT <literal> AS <name>`: the lexer's values against the server's.
        const [select, literal, as, name] = tokens;
        const result = out.results[0] as ResultSet;
        if (
          tokens.length === 4 &&
          select?.value === "select" &&
          as?.value === "as" &&
          out.results.length === 1 &&
          result.fields.length === 1
        ) {
          const field = result.fields[0] as string;
          if (name?.kind === "quoted-ident" || name?.kind === "word") {
            namesChecked += 1;
            const expected = engine === "mysql" && name.kind === "word" ? asciiLower(field) : field;
            if (name.value !== expected)
              failures.push(
                `${p.family}: ${show(p.sql)} names ${show(field)}, lexed ${show(name.value)}`,
              );
          }
          const value = result.rows[0]?.[0];
          if (literal?.kind === "string" && typeof value === "string") {
            stringsChecked += 1;
            if (literal.value !== value)
              failures.push(
                `${p.family}: ${show(p.sql)} is ${show(value)}, lexed ${show(literal.value)}`,
              );
          }
        }
      }
      t.diagnostic(
        `${compared} probes compared, ${namesChecked} names and ${stringsChecked} strings checked, ${lexRefused} refused by the lexer`,
      );
      assert.deepEqual(failures, [], `${failures.length} probes disagree`);
      for (const [family, n] of families)
        assert.ok(n.compared > 0, `no probe of "${family}" ran on ${engine}: it proves nothing`);
      assert.ok(compared >= (engine === "mysql" ? 700 : 800), `only ${compared} probes compared`);
      assert.ok(namesChecked >= 60, `only ${namesChecked} names checked`);
      assert.ok(stringsChecked >= 60, `only ${stringsChecked} strings checked`);
      assert.equal(lexRefused, 0, "the lexer refused probes the server runs");
    });

    it("skips between tokens exactly the characters the server skips", async () => {
      // A character the lexer skips but the server refuses changes nothing the server runs, so
      // the re-emitting test cannot see it: each character is asked about directly.
      let skipped = 0;
      for (const ch of CHARS) {
        const sql = `SELECT${ch}1 AS a`;
        const serverSkips = (await reader.run(sql)).ok;
        const lexerSkips = lexSql(sql, rules.lex).length === 4;
        assert.equal(lexerSkips, serverSkips, `U+${ch.codePointAt(0)?.toString(16)}`);
        if (serverSkips) skipped += 1;
      }
      assert.equal(skipped, engine === "mysql" ? 6 : 5);
    });

    it("NUL: what each server does with it, and the guard refuses it outright", async () => {
      const runs = async (sql: string) => (await reader.run(sql)).ok;
      if (engine === "postgres") {
        // Query text is a C string in PostgreSQL's protocol: no statement holding a NUL runs at all.
        for (const sql of ["SELECT 'a\0b' AS s", "SELECT 1 AS a -- \0", "SELECT 1 AS a /* \0 */"])
          assert.equal(await runs(sql), false, show(sql));
      } else {
        // mysql2 sends it intact and MariaDB keeps it in strings and block comments...
        const s = await reader.run("SELECT 'a\0b' AS s");
        assert.ok(s.ok && isDeepStrictEqual(s.results[0]?.rows, [["a\0b"]]), show(s));
        assert.equal(await runs("SELECT 1 AS a /* \0 */"), true);
        assert.equal(await runs("SELECT 1 AS a -- x\0"), true);
        // ...but a NUL ends a line comment, and outside strings and comments it is an error.
        assert.equal(await runs("SELECT 1 AS a -- x\0, 2 AS b\n, 3 AS c"), false);
        assert.equal(await runs("SELECT 1 AS a # x\0\n, 2 AS b"), false);
        assert.equal(await runs("SELECT 1 AS a \0, 2 AS b"), false);
      }
      for (const sql of ["SELECT 'a\0b' AS s", "SELECT 1 AS a /* \0 */", "SELECT 1\0"])
        assert.ok(refusedByGuard(engine, sql), show(sql));
    });
  });
}

/** Spellings of a clause: words separated by each separator, in several casings. */
function spellings(clause: string, separators: string[]): string[] {
  const out = new Set<string>();
  for (const sep of separators) {
    const joined = clause.split(" ").join(sep);
    out.add(joined).add(joined.toLowerCase());
    out.add(joined.replace(/[A-Z]+/g, (w) => w[0] + w.slice(1).toLowerCase()));
  }
  return [...out];
}

const SEPARATORS: Record<Engine, string[]> = {
  postgres: [
    " ",
    "\t",
    "\n",
    "\r",
    "\f",
    "/**/",
    "/* /* x */ */",
    "-- x\n",
    "-- x\r",
    "\v",
    "\u00a0",
    "\u3000",
  ],
  mysql: [
    " ",
    "\t",
    "\n",
    "\r",
    "\v",
    "\f",
    "/**/",
    "#x\n",
    "-- x\n",
    "-- x\r\n",
    "--\u0001\n",
    "--\u007f\n",
    "\u00a0",
    "\u3000",
  ],
};

const LOCK_CLAUSES: Record<Engine, string[]> = {
  postgres: [
    "FOR UPDATE",
    "FOR NO KEY UPDATE",
    "FOR SHARE",
    "FOR KEY SHARE",
    "FOR UPDATE NOWAIT",
    "FOR SHARE SKIP LOCKED",
    "FOR UPDATE OF t",
    "FOR READ ONLY",
  ],
  mysql: [
    "FOR UPDATE",
    "LOCK IN SHARE MODE",
    "FOR UPDATE NOWAIT",
    "FOR UPDATE SKIP LOCKED",
    "FOR UPDATE WAIT 1",
    "LOCK IN SHARE MODE NOWAIT",
    "LOCK IN SHARE MODE SKIP LOCKED",
    "FOR SHARE",
  ],
};

for (const engine of ENGINES) {
  describe(`${engine}: every spelling the server reads as a locking read or a refused call is refused`, () => {
    const table = uniqueName("lexlock").toLowerCase();
    let owner: Session;
    let admin: { query(sql: string): Promise<unknown>; end(): Promise<void> } | undefined;
    before(async () => {
      if (engine === "postgres") {
        const c = new pg.Client({ connectionString: serviceUrl(engine) });
        await c.connect();
        admin = { query: (sql) => c.query(sql), end: () => c.end() };
      } else {
        const c = await mysql.createConnection({ uri: serviceUrl(engine) });
        admin = { query: (sql) => c.query(sql), end: () => c.end() };
      }
      await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY)`);
      await admin.query(`INSERT INTO ${table} VALUES (1)`);
      // As the owner, so privileges are never why a locking read fails.
      owner = await openSession(engine, serviceUrl(engine));
    });
    after(async () => {
      await owner?.close();
      await admin?.query(`DROP TABLE IF EXISTS ${table}`);
      await admin?.end();
    });

    /** Whether another session must wait for the row (it is locked). */
    async function rowLocked(): Promise<boolean> {
      const db = admin as NonNullable<typeof admin>;
      await db.query(engine === "postgres" ? "BEGIN" : "START TRANSACTION");
      try {
        await db.query(`SELECT id FROM ${table} WHERE id = 1 FOR UPDATE NOWAIT`);
        return false;
      } catch {
        return true;
      } finally {
        await db.query("ROLLBACK");
      }
    }

    it("refuses every locking read the server accepts, whatever separates its words", {
      timeout: 120_000,
    }, async (t) => {
      const readOnlyRefusal = /read-only transaction|READ ONLY transaction/i;
      const locking = new Map<string, number>();
      const missed: string[] = [];
      for (const clause of LOCK_CLAUSES[engine]) {
        for (const spelling of spellings(clause, SEPARATORS[engine])) {
          for (const sql of [
            `SELECT id FROM ${table} t ${spelling}`,
            `SELECT * FROM (SELECT id FROM ${table} t ${spelling}) s`,
            `WITH c AS (SELECT id FROM ${table} t ${spelling}) SELECT * FROM c`,
          ]) {
            let locked = false;
            const out = await owner.run(sql, async () => {
              locked = await rowLocked();
            });
            const isLockingRead = out.ok ? locked : readOnlyRefusal.test(out.error);
            if (!isLockingRead) continue;
            locking.set(clause, (locking.get(clause) ?? 0) + 1);
            if (!refusedByGuard(engine, sql)) missed.push(sql);
          }
        }
      }
      t.diagnostic(`locking reads the server recognised: ${show(Object.fromEntries(locking))}`);
      assert.deepEqual(missed, [], "locking reads the guard lets through");
      // The plain spellings must have been recognised by the server, or this proves nothing.
      const expected =
        engine === "postgres"
          ? ["FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE"]
          : ["FOR UPDATE", "LOCK IN SHARE MODE"];
      for (const clause of expected)
        assert.ok(
          (locking.get(clause) ?? 0) >= 10,
          `${clause}: ${locking.get(clause)} locking probes`,
        );
    });

    it("refuses a refused function however its name is spelled, quoted or separated from (", {
      timeout: 120_000,
    }, async (t) => {
      // Harmless calls of refused functions: cancelling PID 0, asking whether a lock is free.
      const names =
        engine === "postgres"
          ? [
              "pg_cancel_backend",
              "PG_CANCEL_BACKEND",
              "Pg_Cancel_Backend",
              '"pg_cancel_backend"',
              '"PG_CANCEL_BACKEND"',
              "pg_catalog.pg_cancel_backend",
              'pg_catalog . "pg_cancel_backend"',
              '"pg_catalog"/**/."pg_cancel_backend"',
              'U&"pg_\\0063ancel_backend"',
              'u&"\\0070\\0067_cancel_backend"',
              'U&"\\+000070g_cancel_backend"',
              "U&\"pg_!0063ancel_backend\" UESCAPE '!'",
              "U&\"pg_#0063ancel_backend\" /* x */ UESCAPE '#'",
              'U&"pg_!0063ancel_backend" -- x\r UESCAPE $$!$$',
              'U&"pg_\\0043ancel_backend"',
              "pg_cancel_backend\u00a0",
              "pg_cancel_\u212aackend",
            ]
          : [
              "IS_FREE_LOCK",
              "is_free_lock",
              "Is_Free_Lock",
              "`is_free_lock`",
              "`IS_FREE_LOCK`",
              "offline_export.is_free_lock",
              "is_free_loc\u212a",
              "is_free_lock\u00a0",
            ];
      const args = engine === "postgres" ? "(0)" : "('lexdiff')";
      const separators = ["", ...SEPARATORS[engine]];
      let called = 0;
      const missed: string[] = [];
      for (const name of names) {
        for (const sep of separators) {
          const sql = `SELECT ${name}${sep}${args} AS r`;
          const out = await owner.run(sql);
          if (!out.ok) continue; // the server found no such function
          called += 1;
          if (!refusedByGuard(engine, sql)) missed.push(sql);
        }
      }
      t.diagnostic(`${called} spellings reached the function`);
      assert.deepEqual(missed, [], "calls the server made that the guard lets through");
      assert.ok(called >= 60, `only ${called} spellings reached the function`);
    });
  });
}

describe("postgres: every pg_catalog function that runs a text argument as SQL is refused", () => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: readerUrl("postgres") });
    client.on("error", () => {});
    await client.connect();
  });
  after(() => client.end());

  // A value of each argument type, so most functions taking text can be called.
  const SAMPLE: Record<string, string> = {
    text: "'a'",
    integer: "1",
    bigint: "1",
    smallint: "1",
    boolean: "true",
    name: "'pg_class'",
    oid: "0",
    regclass: "'pg_class'",
    regconfig: "'simple'",
    regdictionary: "'simple'",
    regnamespace: "'public'",
    regtype: "'int4'",
    regproc: "'now'",
    tsquery: "'a'",
    tsvector: "'a'",
    xml: "'<a/>'",
    "double precision": "1",
    real: "1",
    numeric: "1",
    bytea: "'\\x00'",
    jsonb: "'{}'",
    json: "'{}'",
    "text[]": "ARRAY['a']",
    "timestamp with time zone": "now()",
    "timestamp without time zone": "now()",
    date: "current_date",
    interval: "'1s'",
    character: "'a'",
    "character varying": "'a'",
    '"char"': "'a'",
    cstring: "'a'",
    inet: "'127.0.0.1'",
    cidr: "'127.0.0.0/8'",
    anyelement: "1",
    anynonarray: "1",
    anyarray: "ARRAY[1]",
    anycompatible: "1",
    bit: "B'1'",
    "bit varying": "B'1'",
    money: "1",
    refcursor: "'c'",
    tid: "'(0,1)'",
    "time with time zone": "'00:00+00'",
    "time without time zone": "'00:00'",
    '"any"': "1",
  };
  // Raises only when run (the volatile random() stops the planner from folding it).
  const QUERY = "$q$SELECT (random() * 0)::int / 0$q$";

  it("calls each with a query in each text argument: those that run it are refused by the guard", {
    timeout: 120_000,
  }, async (t) => {
    const { rows } = await client.query<{ proname: string; args: string[] }>(
      `SELECT p.proname, p.proargtypes::regtype[]::text[] AS args
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'pg_catalog' AND p.prokind = 'f'
          AND 'text'::regtype = ANY (p.proargtypes::regtype[])`,
    );
    const runsText: string[] = [];
    const missed: string[] = [];
    let calls = 0;
    let reached = 0;
    for (const { proname, args } of rows) {
      const refusal = DIALECTS.postgres.guard.refuseFunction(proname, args.length);
      // Refused for another reason (files, settings, server state): not called here.
      if (refusal !== undefined && refusal !== "runs SQL given as text") continue;
      if (args.some((a) => SAMPLE[a] === undefined)) continue;
      // These dump every table the reader may read into one value (their text argument is an
      // XML namespace, not SQL); with the bench's 2M-row table present the backend grew past
      // 20 GB before its statement timeout and was OOM-killed.
      if (/^(database|schema)_to_xml/.test(proname)) continue;
      for (const [k, type] of args.entries()) {
        if (type !== "text") continue;
        // Pseudo-types (any, anyelement...) take no cast: the value's own type resolves them.
        const arg = (a: string) => (/^"?any/.test(a) ? `${SAMPLE[a]}` : `(${SAMPLE[a]})::${a}`);
        const list = args.map((a, j) => (j === k ? `${QUERY}::text` : arg(a)));
        const sql = `SELECT pg_catalog.${proname}(${list.join(", ")})`;
        await client.query("BEGIN READ ONLY; SET LOCAL statement_timeout = 2000");
        calls += 1;
        try {
          await client.query(sql);
          reached += 1;
        } catch (err) {
          // Errors from resolving the call mean the function never saw the query.
          if (
            !/function .* does not exist|cannot cast type|could not determine polymorphic|not unique/.test(
              (err as Error).message,
            )
          )
            reached += 1;
          if (/division by zero/.test((err as Error).message)) {
            runsText.push(`${proname}/${args.length}`);
            if (!refusedByGuard("postgres", sql)) missed.push(sql);
          }
        } finally {
          await client.query("ROLLBACK");
        }
      }
    }
    t.diagnostic(
      `${calls} calls, ${reached} reached the function; running a text argument as SQL: ${runsText.join(", ")}`,
    );
    assert.deepEqual(missed, [], "functions that run SQL given as text, let through by the guard");
    // The detector works: the known ones were found.
    for (const known of [
      "query_to_xml/4",
      "query_to_xml_and_xmlschema/4",
      "ts_stat/1",
      "ts_stat/2",
      "ts_rewrite/2",
    ])
      assert.ok(runsText.includes(known), `${known} not detected (found ${runsText})`);
    assert.ok(reached >= 500, `only ${reached} of ${calls} calls reached the function`);
  });
});
