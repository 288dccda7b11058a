import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../../lib/engines/index.js";
import { LexError, lexSql, type Token } from "../../lib/sources/sql-lexer.js";

// The rules asserted here were established on the real servers
// (test/integration/lexer-differential.test.ts); these pin them without a server.
const pg = DIALECTS.postgres.guard.lex;
const my = DIALECTS.mysql.guard.lex;
type Options = typeof pg;

const values = (sql: string, o: Options) => lexSql(sql, o).map((t) => t.value);
const kinds = (sql: string, o: Options) => lexSql(sql, o).map((t) => `${t.kind}:${t.value}`);
const controls = [...Array.from({ length: 32 }, (_, c) => c), 0x7f].map((c) =>
  String.fromCharCode(c),
);
const UNICODE_SPACES = [
  0x85, 0xa0, 0x1680, 0x2000, 0x2005, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
].map((c) => String.fromCodePoint(c));

describe("SQL lexer", () => {
  it("PostgreSQL: a -- comment ends at CR as well as LF", () => {
    assert.deepEqual(values("SELECT 1 --x\r2", pg), ["select", "1", "2"]);
    assert.deepEqual(values("SELECT 1 --x\n2", pg), ["select", "1", "2"]);
    assert.deepEqual(values("SELECT 1 --x\r\n2", pg), ["select", "1", "2"]);
    assert.deepEqual(values("SELECT 1 --x", pg), ["select", "1"]);
    // Any character after -- starts a comment, DEL included.
    assert.deepEqual(values("SELECT 1 --\x7f'\n, 2", pg), ["select", "1", ",", "2"]);
  });

  it("MySQL: -- plus any control character, DEL included, or the end of the text starts a comment", () => {
    for (const c of [...controls, " "]) {
      if (c === "\n" || c === "\0") continue;
      assert.deepEqual(values(`SELECT 1 --${c}x'\n, 2`, my), ["select", "1", ",", "2"], `--${c}`);
    }
    assert.deepEqual(values("SELECT 1 --", my), ["select", "1"]);
    // Not before a printable or non-ASCII character: two minus signs.
    assert.deepEqual(values("SELECT 1 --1", my), ["select", "1", "-", "-", "1"]);
    assert.deepEqual(values("SELECT 1 --\u00a0", my), ["select", "1", "-", "-", "\u00a0"]);
    assert.deepEqual(values("SELECT 1 ---1", my), ["select", "1", "-", "-", "-", "1"]);
  });

  it("MySQL: line comments end at LF (or a NUL), not at CR", () => {
    assert.deepEqual(values("SELECT 1 -- x\r, 2\n, 3", my), ["select", "1", ",", "3"]);
    assert.deepEqual(values("SELECT 1 # x\r, 2\n, 3", my), ["select", "1", ",", "3"]);
    assert.deepEqual(values("SELECT 1 # x\0, 2", my), ["select", "1", "\0", ",", "2"]);
  });

  it("treats Unicode spaces and C1 controls as name characters, never as whitespace", () => {
    for (const o of [pg, my]) {
      for (const s of UNICODE_SPACES) {
        assert.deepEqual(kinds(`SELECT 1 AS a${s}b`, o).at(-1), `word:a${s}b`);
        assert.deepEqual(kinds(`SELECT${s}1`, o), [`word:select${s}1`]);
      }
    }
    // So a no-break space glues `$$` to the name before it: no dollar quote opens.
    assert.deepEqual(values("SELECT a\u00a0$$, pg_sleep(1) -- $$", pg).slice(0, 4), [
      "select",
      "a\u00a0$$",
      ",",
      "pg_sleep",
    ]);
    assert.deepEqual(values("SELECT \u3000$$x$$", pg), ["select", "\u3000$$x$$"]);
  });

  it("skips only each server's whitespace: vertical tab is whitespace on MySQL, a character on PostgreSQL", () => {
    assert.deepEqual(values("SELECT\v1", my), ["select", "1"]);
    assert.deepEqual(kinds("SELECT\v1", pg), ["word:select", "punct:\v", "number:1"]);
    for (const c of ["\t", "\n", "\r", "\f", " "]) {
      assert.deepEqual(values(`SELECT${c}1`, pg), ["select", "1"]);
      assert.deepEqual(values(`SELECT${c}1`, my), ["select", "1"]);
    }
  });

  it("reads dollar quotes with tags of any length and any name characters", () => {
    for (const n of [1, 79, 80, 200, 5000]) {
      const tag = `$${"t".repeat(n)}$`;
      assert.deepEqual(kinds(`SELECT ${tag}a ' b${tag}, 1`, pg), [
        "word:select",
        "string:a ' b",
        "punct:,",
        "number:1",
      ]);
    }
    assert.deepEqual(values("SELECT $ä$x$ä$, $😀$y$😀$, $\u00a0$z$\u00a0$", pg), [
      "select",
      "x",
      ",",
      "y",
      ",",
      "z",
    ]);
    assert.deepEqual(values("SELECT $a$ $$ $b$ $aa$ $a$", pg), ["select", " $$ $b$ $aa$ "]);
    // `$1` is a parameter; `$` continues a name; a digit cannot start a tag.
    assert.deepEqual(kinds("SELECT $1$$x$$", pg), ["word:select", "param:$1", "string:x"]);
    assert.deepEqual(kinds("SELECT a$$b", pg), ["word:select", "word:a$$b"]);
    assert.deepEqual(kinds("SELECT 1$$x$$", pg), ["word:select", "number:1", "string:x"]);
    assert.throws(() => lexSql("SELECT $x$ abc", pg), /\$x\$ quote starting at character 8/);
  });

  it("decodes U& names and strings, with UESCAPE wherever comments put it", () => {
    const last = (sql: string) => lexSql(sql, pg).at(-1) as Token;
    assert.equal(last('SELECT U&"pg_\\0063ancel_backend"').value, "pg_cancel_backend");
    assert.equal(last('SELECT u&"\\+000070g"').value, "pg");
    assert.equal(last("SELECT U&\"pg_!0063ancel\" UESCAPE '!'").value, "pg_cancel");
    assert.equal(last('SELECT U&"!0061" -- x\r uescape /* y */ $$!$$').value, "a");
    assert.equal(last("SELECT U&\"\\0041\"uescape'!'").value, "\\0041");
    assert.equal(last('SELECT U&"a!!b""c" UESCAPE \'!\'').value, 'a!b"c');
    assert.equal(last('SELECT U&"\\D83D\\DE00\\\\"').value, "😀\\");
    assert.equal(last('SELECT U&"A\\0042"').kind, "quoted-ident");
    assert.equal(last('SELECT U&"A\\0042"').value, "AB", "quoted names keep their case");
    assert.deepEqual(kinds("SELECT U&'a\\0062' UESCAPE '\\', 1", pg).slice(1), [
      "string:ab",
      "punct:,",
      "number:1",
    ]);
    for (const bad of [
      'U&"\\006"',
      'U&"\\D83D"',
      'U&"\\+110000"',
      'U&"\\0000"',
      "U&\"x\" UESCAPE 'a'",
      "U&\"x\" UESCAPE '+'",
      "U&\"x\" UESCAPE ' '",
      "U&\"x\" UESCAPE 'é'",
      'U&"x" UESCAPE',
    ])
      assert.throws(() => lexSql(`SELECT ${bad}`, pg), LexError, bad);
    // Without standard strings' U& (MySQL) it is a name, an operator and a string.
    assert.deepEqual(kinds("SELECT U&'a'", my), ["word:select", "word:u", "punct:&", "string:a"]);
  });

  it("decodes E'' strings as PostgreSQL does", () => {
    const str = (sql: string) => lexSql(`SELECT ${sql}`, pg)[1]?.value;
    assert.equal(str("E'\\''"), "'");
    assert.equal(str("E'\\\\'"), "\\");
    assert.equal(str("E''''"), "'");
    assert.equal(str("E'a\\'''b'"), "a''b");
    assert.equal(str("E'\\x41\\101\\u0041\\U00000041'"), "AAAA");
    assert.equal(str("E'\\n\\t\\b\\f\\r\\v\\q\\x'"), "\n\t\b\f\rvqx");
    assert.equal(str("E'\\xC3\\xA9\\303\\251'"), "éé");
    assert.equal(str("E'\\uD83D\\uDE00'"), "😀");
    for (const bad of ["E'\\0'", "E'\\xff'", "E'\\uD83D'", "E'\\u12'"])
      assert.throws(() => lexSql(`SELECT ${bad}`, pg), LexError, bad);
    // Standard strings (pinned on): the backslash is a character and `'` ends the string.
    assert.deepEqual(values("SELECT '\\', 1 -- '", pg), ["select", "\\", ",", "1"]);
  });

  it("decodes MySQL strings, backticks and prefixed literals", () => {
    assert.deepEqual(values("SELECT 'a\\'b''c', \"d\\\"e\"\"f\", `g``h`", my), [
      "select",
      "a'b'c",
      ",",
      'd"e"f',
      ",",
      "g`h",
    ]);
    assert.equal(
      values("SELECT '\\0\\b\\n\\r\\t\\Z\\%\\_\\x\\\\'", my)[1],
      "\0\b\n\r\t\x1a\\%\\_x\\",
    );
    assert.deepEqual(kinds("SELECT N'a\\'b', X'41', b'1'", my).slice(1), [
      "string:a'b",
      "punct:,",
      "string:41",
      "punct:,",
      "string:1",
    ]);
    // A backtick is no escape: `a\` is a whole name.
    assert.deepEqual(values("SELECT `a\\`, 2 -- `", my), ["select", "a\\", ",", "2"]);
  });

  it("reads MySQL names that start with digits, numbers, variables and operators", () => {
    assert.deepEqual(kinds("SELECT 123abc, 0x1g, 0x, 1e, 1e5x, 1.5y, .5z, 0x41, 0b01", my), [
      "word:select",
      "word:123abc",
      "punct:,",
      "word:0x1g",
      "punct:,",
      "word:0x",
      "punct:,",
      "word:1e",
      "punct:,",
      "number:1e5",
      "word:x",
      "punct:,",
      "number:1.5",
      "word:y",
      "punct:,",
      "number:.5",
      "word:z",
      "punct:,",
      "number:0x41",
      "punct:,",
      "number:0b01",
    ]);
    assert.deepEqual(kinds("SELECT @a.b, @@session.x, @`q`, $a, 1 <=> 2, 3 -- 4", my), [
      "word:select",
      "variable:@a.b",
      "punct:,",
      "variable:@@session.x",
      "punct:,",
      "variable:@`q`",
      "punct:,",
      "word:$a",
      "punct:,",
      "number:1",
      "punct:<=>",
      "number:2",
      "punct:,",
      "number:3",
    ]);
    // PostgreSQL: operators join, but never across a comment opener.
    assert.deepEqual(values("SELECT a::text >= 2 +-- x\n1 */* y */ 3", pg), [
      "select",
      "a",
      "::",
      "text",
      ">=",
      "2",
      "+",
      "1",
      "*",
      "3",
    ]);
  });

  it("nests block comments on PostgreSQL only", () => {
    assert.deepEqual(values("SELECT /* /* */ 1 */ 2", pg), ["select", "2"]);
    assert.deepEqual(values("SELECT /*/**/*/ 2", pg), ["select", "2"]);
    assert.deepEqual(values("SELECT /* /* */ 1", my), ["select", "1"]);
    assert.throws(() => lexSql("SELECT /* /* */ 1", pg), /comment starting at character 8/);
  });

  it("stops at a MySQL executable comment or hint, wherever MariaDB finds one", () => {
    for (const opener of ["/*!", "/*!50000", "/*M!", "/*M!100000", "/*+"]) {
      const tokens = lexSql(`SELECT 1 ${opener} SLEEP(9) */, 'x`, my);
      assert.equal(tokens.at(-1)?.kind, "exec-comment", opener);
      assert.equal(tokens.at(-1)?.value, `${opener} SLEEP(9) */, 'x`);
    }
    // Plain comments, as MariaDB reads them: `/*m!`, `/* !`, `/*!` inside a comment.
    for (const sql of ["SELECT 1 /*m! 2 */", "SELECT 1 /* ! 2 */", "SELECT 1 /* /*! 2 */"])
      assert.deepEqual(values(sql, my), ["select", "1"], sql);
    // Reached only through what comes first: -- plus DEL hides it, -- plus a letter does not.
    assert.equal(lexSql("SELECT 1 --\x7f/*!\n", my).at(-1)?.kind, "number");
    assert.equal(lexSql("SELECT 1 --x/*! 2 */", my).at(-1)?.kind, "exec-comment");
  });

  it("folds unquoted names as the servers do: ASCII letters only; PostgreSQL cuts names to 63 bytes", () => {
    assert.deepEqual(values("SELECT ÀB, \u212aEY", pg), ["select", "Àb", ",", "\u212aey"]);
    assert.equal(values(`SELECT ${"a".repeat(70)}`, pg)[1], "a".repeat(63));
    assert.equal(values(`SELECT ${"Ä".repeat(40)}`, pg)[1], "Ä".repeat(31));
    assert.equal(values(`SELECT "${"é".repeat(40)}"`, pg)[1], "é".repeat(31));
    assert.equal(values(`SELECT ${"a".repeat(70)}`, my)[1], "a".repeat(70));
  });

  it("gives each token's source offsets: the text between tokens is only whitespace and comments", () => {
    const sql = "SELECT /* c */ E'a\\'b' AS \"X\" -- d\r, U&\"!0041\" UESCAPE '!' FROM t";
    const tokens = lexSql(sql, pg);
    assert.deepEqual(
      tokens.map((t) => sql.slice(t.start, t.end)),
      ["SELECT", "E'a\\'b'", "AS", '"X"', ",", "U&\"!0041\" UESCAPE '!'", "FROM", "t"],
    );
    const gaps = tokens.map((t, k) => sql.slice(tokens[k - 1]?.end ?? 0, t.start));
    assert.deepEqual(gaps, ["", " /* c */ ", " ", " ", " -- d\r", " ", " ", " "]);
  });

  it("refuses what it cannot read", () => {
    for (const sql of ["SELECT 'abc", 'SELECT "abc', "SELECT E'abc\\'", "SELECT U&'abc"])
      assert.throws(() => lexSql(sql, pg), /unterminated/, sql);
    for (const sql of ["SELECT 'abc\\'", "SELECT `abc", 'SELECT "a\\"', "SELECT /* x"])
      assert.throws(() => lexSql(sql, my), LexError, sql);
  });
});
