import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../../lib/engines/index.js";
import { lexSql } from "../../lib/sources/sql-lexer.js";
import { checkTaskSql, TaskSqlRejected } from "../../lib/sources/statement-guard.js";

const mysql = DIALECTS.mysql.guard;
const postgres = DIALECTS.postgres.guard;
type Rules = typeof mysql;

function refused(rules: Rules, sql: string, message: RegExp) {
  assert.throws(
    () => checkTaskSql(rules, sql),
    (e: Error) => {
      assert.ok(e instanceof TaskSqlRejected, `${sql}: ${e}`);
      assert.match(e.message, message, sql);
      return true;
    },
  );
}

describe("task SQL guard", () => {
  it("lets reading statements through, whatever their strings, comments and names hold", () => {
    const both = [
      "SELECT 1",
      "  select * from t;",
      "-- monthly\n/* orders */ (SELECT 1) UNION (SELECT 2)",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "VALUES (1), (2)",
      "SELECT 'into outfile', 'pg_advisory_lock(1)', 'a;b' AS label",
      "SELECT 1 -- ; DROP TABLE t",
      "SELECT update_time, inserted_by, for_user FROM t WHERE deleted = 0",
      "SELECT 'it''s' AS q",
      // Names that are also Object.prototype's keys are plain names.
      "SELECT constructor, tostring, __proto__, hasownproperty FROM t",
    ];
    for (const sql of both) {
      assert.doesNotThrow(() => checkTaskSql(postgres, sql), sql);
      assert.doesNotThrow(() => checkTaskSql(mysql, sql), sql);
    }
    for (const sql of [
      "SELECT $$;DROP TABLE t;$$, $a$ pg_advisory_lock( $a$",
      'SELECT E\'\\\';DROP\', "we""ird", x::text FROM t',
      'SELECT "update", "lock" FROM t',
      "/* a /* nested */ comment */ SELECT 1",
      "SELECT $1",
    ])
      assert.doesNotThrow(() => checkTaskSql(postgres, sql), sql);
    for (const sql of [
      "# note\nSELECT 1",
      "SELECT 'a\\'; DROP TABLE t; -- ' AS s",
      'SELECT "it\'s", `we``ird` FROM t',
      "SELECT CONVERT(x USING utf8mb4), CAST(y AS CHAR CHARACTER SET utf8mb4) FROM t",
      "SELECT 1 --comment-less minus\n",
    ])
      assert.doesNotThrow(() => checkTaskSql(mysql, sql), sql);
  });

  it("refuses statements that are not queries, naming the first word", () => {
    for (const [sql, word] of [
      ["COPY (SELECT 1) TO '/tmp/x'", "COPY"],
      ["/* hi */ delete from t", "DELETE"],
      ["CALL p()", "CALL"],
      ["DO $$ BEGIN END $$", "DO"],
      ["LOAD DATA INFILE '/etc/passwd' INTO TABLE t", "LOAD"],
      // PostgreSQL nests comments: the COPY is code, not part of a comment.
      ["/* /* */ SELECT */ COPY (SELECT 1) TO PROGRAM 'id'", "COPY"],
    ] as const) {
      refused(postgres, sql, new RegExp(`starts with ${word}`));
    }
    refused(mysql, "SET STATEMENT max_statement_time=0 FOR SELECT 1", /starts with SET/);
    refused(mysql, "   ", /empty/);
    refused(postgres, "(", /empty/);
  });

  it("refuses a second statement, wherever the lexer finds the semicolon", () => {
    refused(postgres, "SELECT 1; DROP TABLE t", /more than one statement/);
    refused(mysql, "SELECT 1; DROP TABLE t", /more than one statement/);
    // MySQL: `--;` without a space is two minus signs, not a comment.
    refused(mysql, "SELECT 1 --; DROP TABLE t", /more than one statement/);
    // PostgreSQL (standard strings): the backslash does not escape, so the string ends early.
    refused(postgres, "SELECT '\\'; DROP TABLE t; --'", /more than one statement/);
    assert.doesNotThrow(() => checkTaskSql(postgres, "SELECT 1;;  \n"));
  });

  it("refuses executable comments and optimizer hints (they can lift the time limit)", () => {
    refused(
      mysql,
      "/*!SET STATEMENT max_statement_time=0 FOR*/ SELECT SLEEP(5)",
      /executable comment/,
    );
    refused(mysql, "SELECT /*+ MAX_EXECUTION_TIME(100000) */ * FROM t", /optimizer hint/);
    refused(mysql, "SELECT /*M!100000 SLEEP(9), */ 1", /executable comment/);
    refused(mysql, "SELECT /*!50000 1 */", /executable comment/);
  });

  it("refuses INTO however it is spelled, and writes hidden in a CTE", () => {
    for (const sql of [
      "SELECT 1 INTO OUTFILE '/tmp/x'",
      "select 1 into\n dumpfile '/tmp/x'",
      "SELECT 1 INTO/**/OUTFILE '/tmp/x'",
      "SELECT 1 INTO#\nOUTFILE '/tmp/x'",
      "SELECT 1 INTO @v",
    ])
      refused(mysql, sql, /INTO clause/);
    refused(postgres, "SELECT * INTO new_table FROM t", /INTO clause/);
    refused(postgres, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", /contains DELETE/);
    refused(postgres, "WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT 1", /contains UPDATE/);
  });

  it("refuses locking reads on both engines", () => {
    for (const rules of [mysql, postgres]) {
      refused(rules, "SELECT * FROM t FOR UPDATE", /locking read \(FOR UPDATE/);
      refused(rules, "SELECT * FROM t FOR SHARE", /locking read/);
    }
    refused(postgres, "SELECT * FROM t FOR NO KEY UPDATE", /locking read/);
    refused(postgres, "SELECT * FROM t FOR KEY SHARE", /locking read/);
    refused(mysql, "SELECT * FROM t LOCK IN SHARE MODE", /LOCK IN SHARE MODE/);
  });

  it("refuses lock, cancel, file, settings and dblink functions however they are written", () => {
    for (const sql of [
      "SELECT lo_export(1, '/tmp/x')",
      "SELECT \"lo_export\"(1, '/tmp/x')",
      "SELECT lo_export/**/(1, '/tmp/x')",
      "SELECT pg_catalog.lo_export (1, '/tmp/x')",
      "SELECT pg_read_file('/etc/passwd')",
    ])
      refused(postgres, sql, /files or large objects/);
    refused(
      postgres,
      "SELECT set_config('statement_timeout', '0', true), pg_sleep(5)",
      /changes settings/,
    );
    refused(postgres, "SELECT pg_advisory_lock(42)", /advisory locks/);
    refused(postgres, "SELECT pg_try_advisory_xact_lock(42)", /advisory locks/);
    refused(
      postgres,
      "SELECT pg_cancel_backend(pid) FROM pg_stat_activity",
      /stops other sessions/,
    );
    refused(postgres, "SELECT pg_terminate_backend(1)", /stops other sessions/);
    refused(postgres, "SELECT dblink_exec('dbname=app', 'DROP TABLE t')", /another connection/);
    refused(
      postgres,
      "SELECT * FROM query_to_xml('select 1', true, false, '')",
      /SQL given as text/,
    );
    refused(mysql, "SELECT GET_LOCK('offline-export', 10)", /named locks/);
    refused(mysql, "SELECT `release_lock`('x')", /named locks/);
    refused(mysql, "SELECT LOAD_FILE('/etc/passwd')", /reads files/);
    // The same names as plain columns or strings are fine.
    assert.doesNotThrow(() =>
      checkTaskSql(postgres, "SELECT lo_export_count, 'lo_export(' FROM t"),
    );
  });

  it("refuses the bypasses found in the lexer (each exact attack, with what to remove)", () => {
    // PostgreSQL ends a -- comment at CR: the `)` and `;` after it are code.
    refused(postgres, "SELECT 1 AS a --\r) TO STDOUT; ...", /more than one statement/);
    refused(postgres, "SELECT 1 AS a --\r) TO STDOUT --", /\) at character 18 without its partner/);
    // MariaDB: -- plus DEL is a comment, so the quote after it opens no string.
    refused(
      mysql,
      "SELECT name, SLEEP(30) FROM t --\u007f'\nLOCK IN SHARE MODE -- '",
      /LOCK IN SHARE MODE.*Remove that clause/,
    );
    refused(mysql, "SELECT 1 --\u0001'\n; DROP TABLE t -- '", /more than one statement/);
    // U& names decode before the deny-list looks at them.
    for (const sql of [
      'SELECT U&"pg_\\0063ancel_backend"(pid) FROM pg_stat_activity',
      "SELECT U&\"pg_!0063ancel_backend\" UESCAPE '!' (pid) FROM pg_stat_activity",
      "SELECT u&\"pg_#0074erminate_backend\" /* x */ uescape '#'(pid) FROM pg_stat_activity",
      'SELECT U&"\\+000070g_cancel_backend"(pid) FROM pg_stat_activity',
    ])
      refused(
        postgres,
        sql,
        /calls pg_(cancel|terminate)_backend\(\), which stops other sessions' queries\. Remove that call\./,
      );
    // A no-break space or U+3000 is a name character: no dollar quote opens after it.
    for (const space of ["\u00a0", "\u3000", "\u2003", "\ufeff"]) {
      refused(
        postgres,
        `SELECT 1 AS a${space}$$, pg_cancel_backend(pid) FROM pg_stat_activity -- $$`,
        /calls pg_cancel_backend\(\)/,
      );
      refused(
        postgres,
        `SELECT 1 AS a, ${space}$$, pg_cancel_backend(pid) FROM pg_stat_activity -- $$`,
        /calls pg_cancel_backend\(\)/,
      );
    }
    // Dollar tags of any length.
    for (const n of [79, 80, 200, 5000]) {
      const tag = `$${"t".repeat(n)}$`;
      refused(
        postgres,
        `SELECT ${tag} ' ${tag}, pg_cancel_backend(1) -- '`,
        /calls pg_cancel_backend\(\)/,
      );
      assert.doesNotThrow(() => checkTaskSql(postgres, `SELECT ${tag}pg_cancel_backend(1)${tag}`));
    }
    // Functions that run SQL given as text.
    refused(
      postgres,
      "SELECT * FROM ts_stat('SELECT to_tsvector(body) FROM t')",
      /calls ts_stat\(\), which runs SQL given as text\. Remove that call\./,
    );
    refused(
      postgres,
      "SELECT ts_rewrite('a'::tsquery, 'SELECT old, new FROM aliases')",
      /calls ts_rewrite\(\), which runs SQL given as text/,
    );
    for (const f of [
      "query_to_xml",
      "query_to_xmlschema",
      "query_to_xml_and_xmlschema",
      "cursor_to_xml",
      "cursor_to_xmlschema",
      "table_to_xml",
      "table_to_xml_and_xmlschema",
      "schema_to_xmlschema",
      "database_to_xml",
      "database_to_xml_and_xmlschema",
    ])
      refused(postgres, `SELECT ${f}('select 1', true, false, '')`, /runs SQL given as text/);
    // The three-tsquery ts_rewrite runs no text.
    assert.doesNotThrow(() =>
      checkTaskSql(postgres, "SELECT ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'c'::tsquery)"),
    );
  });

  it("refuses a NUL and brackets without partners, which no reading statement needs", () => {
    refused(postgres, "SELECT 'a\0b'", /NUL character.*Remove it/);
    refused(mysql, "SELECT 1 -- \0", /NUL character/);
    refused(postgres, "SELECT (1", /\( at character 8 without its partner/);
    refused(postgres, "SELECT 1)", /\) at character 9 without its partner/);
    refused(postgres, "SELECT a[1)]", /\) at character 11/);
    assert.doesNotThrow(() => checkTaskSql(postgres, "SELECT (a[1]), f((2)) FROM t"));
  });

  it("refuses more calls that change the server's state on PostgreSQL", () => {
    for (const f of [
      "loread",
      "lowrite",
      "pg_copy_logical_replication_slot",
      "pg_wal_replay_pause",
      "brin_summarize_new_values",
      "gin_clean_pending_list",
    ])
      refused(postgres, `SELECT ${f}(1)`, /Remove that call/);
    assert.doesNotThrow(() => checkTaskSql(postgres, "SELECT pg_sleep(1), lower('A'), log(2)"));
  });

  it("refuses what it cannot read", () => {
    refused(postgres, "SELECT 'abc", /cannot be read: an unterminated ' quote/);
    refused(postgres, "SELECT /* /* */ 1", /comment starting at character 8 is not closed/);
    refused(postgres, "SELECT $x$ abc", /\$x\$ quote/);
    refused(mysql, "SELECT `abc", /unterminated/);
    refused(
      postgres,
      'SELECT 1 AS U&"a\\006"',
      /invalid Unicode escape in the literal at character 13/,
    );
    refused(postgres, "SELECT E'\\xff'", /not valid UTF-8 in the literal at character 8/);
  });

  it("lexes both string-escape modes: the sources pin the one the guard used", () => {
    const sql = "SELECT '\\'; DROP TABLE t; -- ' AS s";
    const kinds = (backslashEscapes: boolean) =>
      lexSql(sql, { ...postgres.lex, backslashEscapes }).map((t) => t.value);
    // standard_conforming_strings = on (pinned): the string is '\' and a DROP follows.
    assert.ok(kinds(false).includes("drop"));
    // off: the backslash escapes the quote and the DROP is inside the string.
    assert.ok(!kinds(true).includes("drop"));
    const my = (backslashEscapes: boolean) =>
      lexSql(sql, { ...mysql.lex, backslashEscapes }).map((t) => t.value);
    assert.ok(!my(true).includes("drop"), "MySQL default: backslash escapes");
    assert.ok(my(false).includes("drop"), "NO_BACKSLASH_ESCAPES");
  });
});
