// The SQL the differential test (lexer-differential.test.ts) sends to each server: every
// comment opener and ending, quote form and name form, around every character the servers
// might disagree with a hand-written lexer on.
import type { Engine } from "../../lib/db/url.js";

export interface Probe {
  /** The template or list it came from: each must run on the server at least once. */
  family: string;
  sql: string;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** Every ASCII control character, space, DEL, a C1 sample, the Unicode spaces, a zero-width space and BOM. */
export const CHARS = [
  ...range(0x00, 0x20),
  0x7f,
  0x80,
  0x85,
  0x9f,
  0xa0,
  0x1680,
  ...range(0x2000, 0x200b),
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
  0xfeff,
].map((c) => String.fromCodePoint(c));

/** Templates filled with each of CHARS (`@` stands for the character). */
const BOTH: Record<string, string> = {
  "between tokens": "SELECT@1 AS a, 2 AS b",
  "inside a name": "SELECT 1 AS a@b",
  "starting a name": "SELECT 1 AS @a",
  "before $$ after AS": "SELECT 1 AS @$$, 2 AS b -- $$",
  "after --": "SELECT 1 AS a --@, 2 AS b\n, 3 AS c",
  "after -- before a quote": "SELECT 1 AS a --@'\n, 2 AS b -- '",
  "ending a -- comment": "SELECT 1 AS a -- x@, 2 AS b\n, 3 AS c",
  "after -- and a space": "SELECT 1 AS a -- @'\n, 2 AS b -- '",
  "after /*": "SELECT 1 AS a /*@!, 2 AS b */, 3 AS c",
  "before $$": "SELECT 1 AS a@$$, 2 AS b -- $$",
  "before --": "SELECT 1 AS a@-- , 2 AS b\n, 3 AS c",
  "between a function and (": "SELECT upper@('x') AS a",
  "after a backslash in a string": "SELECT 'a\\@' AS a, 2 AS b -- '",
  "in a string": "SELECT 'x@y' AS s",
};
const POSTGRES: Record<string, string> = {
  "before $$ after a comma": "SELECT 1 AS a, @$$, 2 AS b -- $$",
  "in a quoted name": 'SELECT 1 AS "a@b"',
  "in a dollar tag": "SELECT $a@$x$a@$ AS s",
  "after #": "SELECT 2 #@1 AS a -- x",
  "in an E string": "SELECT E'x@y' AS s",
  "after a backslash in an E string": "SELECT E'a\\@' AS a, 2 AS b -- '",
  "in a U& name": 'SELECT 1 AS U&"a@b"',
  "after /* inside a comment": "SELECT 1 AS a /* /*@ */, 2 AS b */, 3 AS c",
};
const MYSQL: Record<string, string> = {
  "in a quoted name": "SELECT 1 AS `a@b`",
  "in a double-quoted string": 'SELECT "x@y" AS s',
  "after #": "SELECT 1 AS a #@'\n, 2 AS b -- '",
  "ending a # comment": "SELECT 1 AS a # x@, 2 AS b\n, 3 AS c",
  "after /*!": "SELECT 1 AS a /*!@, 2 AS b */, 3 AS c",
  "after /*M": "SELECT 1 AS a /*M@, 2 AS b */, 3 AS c",
  "after -- ending a /*! */": "SELECT 1 AS a /*!, 2 AS b --@*/, 3 AS c\n*/",
};

const t = (n: number, ch = "t") => ch.repeat(n);

/** Cases written out: comment endings, dollar tags, U& names, escapes, nesting, openers. */
const EXPLICIT: Record<Engine | "both", Record<string, string[]>> = {
  both: {
    "comment endings": [
      "SELECT 1 AS a -- x\r, 2 AS b\n, 3 AS c",
      "SELECT 1 AS a -- x\n, 2 AS b",
      "SELECT 1 AS a -- x\r\n, 2 AS b",
      "SELECT 1 AS a -- x",
      "SELECT 1 AS a --",
      "SELECT 1 AS a -- ",
      "SELECT 1 AS a /* x */, 2 AS b",
      "SELECT 1 AS a /**/, 2 AS b",
      "SELECT 1 AS a /*/ , 2 AS b */",
      "SELECT 1 AS a /* ** / */, 2 AS b",
      "SELECT 1--1 AS a",
      "SELECT 1 ---1 AS a",
      "SELECT 1 +-- x\n2 AS a",
      "SELECT 2 */* x */ 3 AS a",
    ],
    "strings and names": [
      "SELECT 'it''s' AS s",
      "SELECT 'a' AS x, 'b' AS y",
      "SELECT 'a'\n'b' AS s",
      "SELECT 'a' -- x\n'b' AS s",
      "SELECT N'a''b' AS s",
      "SELECT 'a\\' AS a, 2 AS b -- ' AS s",
      "SELECT 'a\\\\' AS a, 2 AS b -- ' AS s",
      "SELECT 'a\\'' AS a, 2 AS b -- ' AS s",
      "SELECT '\\' AS a",
      "SELECT 1 AS ÀB",
      "SELECT 1 AS É",
      "SELECT 1 AS a\u00a0b, 2 AS c",
      `SELECT 1 AS ${t(70, "a")}`,
      `SELECT 1 AS ${t(40, "Ä")}`,
    ],
    "operators and numbers": [
      "SELECT 2 >= 1 AS a, 1 <> 2 AS b, 3 != 1 AS c, 1 <= 2 AS d",
      "SELECT 1.5e3 AS a, .5 AS b, 1. AS c, 1e-2 AS d, 1.e1 AS e",
      "SELECT 1 AS a, -2 AS b, - -3 AS c",
    ],
    "function calls": [
      "SELECT upper ('x') AS a",
      "SELECT upper/**/('x') AS a",
      "SELECT upper -- x\n('x') AS a",
      "SELECT upper\r('x') AS a",
    ],
  },
  postgres: {
    "dollar quotes": [
      "SELECT $$a$$ AS s",
      ...[1, 62, 63, 64, 79, 80, 81, 200, 5000].map((n) => `SELECT $${t(n)}$v$${t(n)}$ AS s`),
      ...[79, 80, 200].map((n) => `SELECT $${t(n)}$ ' $${t(n)}$ AS a, 2 AS b -- '`),
      "SELECT $ä$v$ä$ AS s",
      "SELECT $\u00a0$v$\u00a0$ AS s",
      "SELECT $😀$v$😀$ AS s",
      "SELECT $\u3000$v$\u3000$ AS s",
      "SELECT $a$b$c$a$ AS s",
      "SELECT $a$ $$ $b$ $aa$ $a$ AS s",
      "SELECT $_1$v$_1$ AS s",
      "SELECT $1a$v$1a$ AS s",
      "SELECT $1$$x$$ AS s",
      "SELECT 1$$x$$ AS s",
      "SELECT 1 AS a$$b",
      "SELECT 1 AS a$$, 2 AS b -- $$",
      "SELECT 1 AS a, $1 AS b",
      "SELECT $$ -- $$ AS a, 2 AS b",
      "SELECT $$ /* $$ AS a, 2 AS b -- */",
    ],
    "U& names and strings": [
      'SELECT 1 AS U&"\\0061b"',
      'SELECT 1 AS u&"\\+000061b"',
      "SELECT 1 AS U&\"!0061b\" UESCAPE '!'",
      "SELECT 1 AS U&\"!0061b\" /* x */ uescape '!'",
      "SELECT 1 AS U&\"!0061b\" -- x\r UESCAPE\n '!'",
      "SELECT 1 AS U&\"\\0041\"uescape'!'",
      "SELECT 1 AS U&\"a!!b\" UESCAPE '!'",
      'SELECT 1 AS U&"x!0041" UESCAPE $$!$$',
      "SELECT 1 AS U&\"x\\0041\" UESCAPE E'\\\\'",
      "SELECT 1 AS U&\"x\" UESCAPE 'a'",
      "SELECT 1 AS U&\"x\" UESCAPE '+'",
      "SELECT 1 AS U&\"x\" UESCAPE ''''",
      "SELECT 1 AS U&\"x\" UESCAPE 'é'",
      'SELECT 1 AS U&"x" UESCAPE',
      'SELECT 1 AS U&"a\\\\b"',
      'SELECT 1 AS U&"a""b"',
      'SELECT 1 AS U&"A\\0042"',
      'SELECT 1 AS U&"a\\D83D\\DE00"',
      'SELECT 1 AS U&"a\\D83D\\+00DE00"',
      'SELECT 1 AS U&"a\\+01F600"',
      'SELECT 1 AS U&"\\+0000410"',
      'SELECT 1 AS U&"a\\006"',
      'SELECT 1 AS U&"\\D83D"',
      'SELECT 1 AS U&"\\+110000"',
      'SELECT 1 AS U&"\\0000"',
      `SELECT 1 AS U&"${t(70, "a")}"`,
      "SELECT U&'a\\0062' AS s",
      "SELECT U&'a!0062' UESCAPE '!' AS s",
      "SELECT U&'a''b' AS s",
      "SELECT U&'a\\' AS a, 2 AS b -- ' AS s",
      "SELECT U& 'a' AS s",
    ],
    "E strings": [
      "SELECT E'\\'' AS s",
      "SELECT E'\\\\' AS s",
      "SELECT E'''' AS s",
      "SELECT E'\\\\'' , 2 AS b -- ' AS s",
      "SELECT E'a\\' AS a, 2 AS b -- ' AS s",
      "SELECT E'a\\\\' AS a, 2 AS b -- ' AS s",
      "SELECT E'\\x41\\101\\u0041\\U00000041' AS s",
      "SELECT E'\\n\\t\\b\\f\\r\\v\\q' AS s",
      "SELECT E'\\xC3\\xA9\\303\\251' AS s",
      "SELECT E'\\x4g\\8\\x' AS s",
      "SELECT E'\\uD83D\\uDE00\\U0001F600' AS s",
      "SELECT E'\\777' AS s",
      "SELECT E'\\0' AS s",
      "SELECT E'\\uD83D' AS s",
      "SELECT E'\\u12' AS s",
      "SELECT e'x' AS s",
      "SELECT 1 AS e, E'x' AS s",
    ],
    "nested comments": [
      "SELECT 1 AS a /* /* */ , 2 AS b */, 3 AS c",
      "SELECT 1 AS a /*/**/*/, 3 AS c",
      "SELECT 1 AS a /* */ */",
      "SELECT 1 AS a /* //* */, 2 AS b */, 3 AS c",
      "SELECT 1 AS a /* -- */, 2 AS b",
      "SELECT 1 AS a -- /*\n, 2 AS b",
    ],
    "quoted names": [
      'SELECT 1 AS "a""b"',
      'SELECT 1 AS "AB"',
      `SELECT 1 AS "${t(40, "é")}"`,
      'SELECT 1 AS "a\\", 2 AS b -- "',
    ],
    "prefixed literals": [
      "SELECT B'101' AS a, X'1F' AS b, n'y' AS c",
      "SELECT B'1''0' AS a",
      "SELECT 1::text AS a, 2 :: int AS b",
      "SELECT 1 # 3 AS a",
    ],
  },
  mysql: {
    "MySQL strings and names": [
      'SELECT "a\\"b" AS s',
      'SELECT "a""b" AS s',
      'SELECT "\\\\" AS s',
      "SELECT 'a\\'b''c' AS s",
      "SELECT 'a\\'''b' AS s",
      "SELECT '\\0\\b\\n\\r\\t\\Z\\%\\_\\x\\\\' AS s",
      "SELECT 'x' /* y */ 'z' AS s",
      "SELECT _utf8mb4'abc' AS s",
      "SELECT _utf8mb4 'abc' AS s",
      "SELECT N'a\\'b' AS s",
      "SELECT 1 AS `a``b`",
      "SELECT 1 AS `a\\`, 2 AS b -- `",
      'SELECT 1 AS "a"',
      "SELECT 1 AS 'a'",
      "SELECT 1 AS `É`",
      'SELECT "it\'s" AS s, 2 AS b -- "',
    ],
    "executable comments": [
      "SELECT 1 AS a /*! , 2 AS b */",
      "SELECT 1 AS a /*!50000 , 2 AS b */",
      "SELECT 1 AS a /*!99999 , 2 AS b */",
      "SELECT 1 AS a /*M! , 2 AS b */",
      "SELECT 1 AS a /*M!100000 , 2 AS b */",
      "SELECT 1 AS a /*m! , 2 AS b */",
      "SELECT 1 AS a /*!M , 2 AS b */",
      "SELECT 1 AS a /*+ , 2 AS b */",
      "SELECT 1 AS a /* !, 2 AS b */",
      "SELECT 1 AS a /*!, 2 AS b /* x */ , 3 AS c */",
      "SELECT 1 AS a /* /*!, 2 AS b */",
      "SELECT 1 AS a /*!*/",
    ],
    "MySQL names and numbers": [
      "SELECT 123abc FROM (SELECT 1 AS `123abc`) t",
      "SELECT 0x1g FROM (SELECT 1 AS `0x1g`) t",
      "SELECT 0x FROM (SELECT 1 AS `0x`) t",
      "SELECT 1e FROM (SELECT 1 AS `1e`) t",
      "SELECT $a FROM (SELECT 1 AS `$a`) t",
      "SELECT 1e5x, 1.5y, .5z, 1e+5w",
      "SELECT 1e1get FROM (SELECT 1 AS `1e1get`) t",
      "SELECT 0x41 AS a, 0b01 AS b, X'41' AS c, x'41' AS d, B'1' AS e",
      "SELECT 1 <=> 1 AS a, 1 || 0 AS b, 1 && 1 AS c, 1 << 2 AS d, 8 >> 1 AS e",
      "SELECT @lexdiff := 1 AS a, @@session.sql_mode IS NOT NULL AS c",
      "SELECT @`x` AS a, @'y' AS b",
      "SELECT t . a FROM (SELECT 1 AS a) t",
    ],
    "MySQL comments": [
      "SELECT 1 AS a #",
      "SELECT 1 AS a # x\r, 2 AS b\n, 3 AS c",
      "SELECT 1 AS a, 2 AS b -- x\r\n, 3 AS c",
      "SELECT 1 AS a --\t, 2 AS b\n, 3 AS c",
      "SELECT 1 AS a --x, 2 AS b\n, 3 AS c",
      "SELECT 1 AS a /* /* */, 2 AS b",
    ],
  },
};

export function probesFor(engine: Engine): Probe[] {
  const templates = { ...BOTH, ...(engine === "postgres" ? POSTGRES : MYSQL) };
  const probes: Probe[] = [];
  for (const [family, template] of Object.entries(templates)) {
    for (const ch of CHARS) probes.push({ family, sql: template.replaceAll("@", ch) });
  }
  for (const [family, list] of Object.entries({ ...EXPLICIT.both, ...EXPLICIT[engine] })) {
    for (const sql of list) probes.push({ family, sql });
  }
  return probes;
}
