/**
 * Splits task SQL into tokens the way the server does, so the guard sees what the server will
 * run. Engine-neutral: every rule that differs between servers is a LexOptions field, and each
 * engine's values (lib/engines/<engine>/guard.ts) come from probing the real server
 * (test/integration/lexer-differential.test.ts). Either string-escape mode can be lexed; the
 * sources pin the server to the mode the guard lexed with (standard_conforming_strings = on;
 * sql_mode without NO_BACKSLASH_ESCAPES).
 *
 * Tokens carry their source offsets, so a caller can reuse the split: `sql.slice(t.start, t.end)`
 * is each token as written, and whatever lies between tokens is whitespace or comments.
 */
import {
  cutToBytes,
  decodeMysqlEscapes,
  decodePostgresEscapes,
  decodeUnicodeEscapes,
  foldAscii,
  LexError,
} from "./sql-literals.js";

export { LexError };

export interface LexOptions {
  /** ASCII characters skipped between tokens. Every other character belongs to a token. */
  whitespace: string;
  /** ASCII characters that end a `--` (or `#`) comment. */
  lineCommentEnds: string;
  /**
   * When set, `--` starts a comment only if one of these ASCII characters, or the end of the
   * text, follows it (MySQL); otherwise `--` always starts one.
   */
  dashDashFollowers?: string;
  /** `#` starts a comment (MySQL). */
  hashComments: boolean;
  /** Block comments nest (PostgreSQL). */
  nestedComments: boolean;
  /**
   * `/*!`, `/*M!` and `/*+` open code, not a comment (MySQL executable comments, hints). What
   * follows depends on the server's version, so lexing stops there: one exec-comment token runs
   * to the end of the text.
   */
  executableComments: boolean;
  /** `$tag$ ... $tag$` strings and `$1` parameters (PostgreSQL). */
  dollarQuotes: boolean;
  /** `E'..'` strings with backslash escapes (PostgreSQL). */
  escapeStrings: boolean;
  /** `U&'..'` strings and `U&".."` names with Unicode escapes and `UESCAPE 'c'` (PostgreSQL). */
  unicodeEscapes: boolean;
  /** Backslash escapes in plain '..' strings: MySQL by default, PostgreSQL with standard_conforming_strings off. */
  backslashEscapes: boolean;
  /**
   * What a backslash escape means: "e-string", PostgreSQL's E'' rules (`\x41`, `\101`,
   * `\u0041`; bytes that must form UTF-8); "letters", MySQL's (`\0`, `\Z`, `\n`; `\%` kept).
   */
  escapeStyle: "e-string" | "letters";
  /** `".."` is a string (MySQL without ANSI_QUOTES) rather than an identifier. */
  doubleQuoteStrings: boolean;
  /** `` `..` `` identifiers (MySQL). */
  backtickIdentifiers: boolean;
  /** `@name`, `@@name`, `@'..'` variables (MySQL). */
  atVariables: boolean;
  /**
   * ASCII characters besides letters and `_` that start an unquoted name (MySQL: `$`). Names go
   * on with letters, digits, `_` and `$`; every non-ASCII character (Unicode spaces and C1
   * controls included) starts and continues a name on both servers.
   */
  nameStartExtra: string;
  /** A name may start with digits (MySQL: `123abc`, `0x1g`) when it does not read as a number. */
  digitNames: boolean;
  /** Names are cut to this many UTF-8 bytes (PostgreSQL: 63); 0 leaves them whole. */
  nameMaxBytes: number;
  /** ASCII punctuation that joins into one operator token (`>=`, `::`, `||`); other punctuation stands alone. */
  operatorChars: string;
}

export type TokenKind =
  | "word"
  | "quoted-ident"
  | "string"
  | "number"
  | "param"
  | "variable"
  | "punct"
  /** MySQL `/*!`, `/*M!` or `/*+` and everything after it: runs as SQL or steers the server. */
  | "exec-comment";

export interface Token {
  kind: TokenKind;
  /**
   * word: lower-cased (ASCII letters only, as both servers fold names and keywords) and cut to
   * nameMaxBytes; quoted-ident: the name the server reads (unquoted, escapes decoded, case kept,
   * cut); string: the decoded text (`B'..'` / `X'..'`: their digits); otherwise the source text.
   */
  value: string;
  /** Offset of the token's first character. */
  start: number;
  /** Offset after its last character: sql.slice(start, end) is the token as written. */
  end: number;
}

// Per-ASCII-character classes, built once per options object.
const WS = 1;
const LINE_END = 2;
const DD_FOLLOW = 4;
const OP = 8;
const NAME_START = 16;
const NAME_PART = 32;
const DIGIT = 64;
const HEX = 128;

const tableCache = new WeakMap<LexOptions, Uint8Array>();

function classes(o: LexOptions): Uint8Array {
  let t = tableCache.get(o);
  if (t) return t;
  t = new Uint8Array(128);
  const mark = (chars: string, flag: number) => {
    for (const ch of chars) {
      const c = ch.charCodeAt(0);
      if (c < 128) t[c] = (t[c] as number) | flag;
    }
  };
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  mark(o.whitespace, WS);
  mark(o.lineCommentEnds, LINE_END);
  mark(o.dashDashFollowers ?? "", DD_FOLLOW);
  mark(o.operatorChars, OP);
  mark(`${letters}_${o.nameStartExtra}`, NAME_START | NAME_PART);
  mark("0123456789", DIGIT | NAME_PART | HEX);
  mark("$", NAME_PART);
  mark("ABCDEFabcdef", HEX);
  tableCache.set(o, t);
  return t;
}

const token = (kind: TokenKind, value: string, start: number, end: number): Token => ({
  kind,
  value,
  start,
  end,
});

export function lexSql(sql: string, o: LexOptions): Token[] {
  const cls = classes(o);
  const tokens: Token[] = [];
  const n = sql.length;
  const code = (j: number) => sql.charCodeAt(j); // NaN past the end
  const is = (j: number, flag: number): boolean => {
    const c = code(j);
    return c < 128 && ((cls[c] as number) & flag) !== 0;
  };
  const nameStart = (j: number) => code(j) >= 128 || is(j, NAME_START);
  const namePart = (j: number) => code(j) >= 128 || is(j, NAME_PART);
  const lexError = (what: string, at: number) =>
    new LexError(`${what} starting at character ${at + 1} is not closed`);

  /** `decode()`, its LexError saying where the literal starts. */
  const at = (start: number, decode: () => string): string => {
    try {
      return decode();
    } catch (err) {
      if (err instanceof LexError)
        throw new LexError(`${err.message} in the literal at character ${start + 1}`);
      throw err;
    }
  };

  const dashDashComment = (j: number): boolean =>
    code(j) === 0x2d &&
    code(j + 1) === 0x2d &&
    (o.dashDashFollowers === undefined || j + 2 >= n || is(j + 2, DD_FOLLOW));

  /** Index of the character that ends the line comment whose text starts at `j` (or n). */
  const lineCommentEnd = (j: number): number => {
    for (; j < n; j += 1) {
      const c = sql.charCodeAt(j);
      if (c < 128 && ((cls[c] as number) & LINE_END) !== 0) return j;
    }
    return n;
  };

  /** Index after the block comment opened at `start`. */
  const blockCommentEnd = (start: number): number => {
    let depth = 1;
    let j = start + 2;
    while (depth > 0) {
      if (j >= n) throw lexError("a comment", start);
      const c = code(j);
      if (c === 0x2a && code(j + 1) === 0x2f) {
        depth -= 1;
        j += 2;
      } else if (o.nestedComments && c === 0x2f && code(j + 1) === 0x2a) {
        depth += 1;
        j += 2;
      } else j += 1;
    }
    return j;
  };

  const execCommentAt = (j: number): boolean => {
    if (!o.executableComments || code(j) !== 0x2f || code(j + 1) !== 0x2a) return false;
    const c = sql[j + 2];
    return c === "!" || c === "+" || (c === "M" && sql[j + 3] === "!");
  };

  /** Index of the next token at or after `j`: whitespace and comments skipped. */
  const skipTrivia = (j: number): number => {
    while (j < n) {
      const c = sql.charCodeAt(j);
      if (c < 128 && ((cls[c] as number) & WS) !== 0) j += 1;
      else if (c === 0x2d && dashDashComment(j)) j = lineCommentEnd(j + 2);
      else if (c === 0x23 && o.hashComments) j = lineCommentEnd(j + 1);
      else if (c === 0x2f && code(j + 1) === 0x2a && !execCommentAt(j)) j = blockCommentEnd(j);
      else return j;
    }
    return n;
  };

  /** Index after the quoted run whose opening quote is at `open`; `body` is its text between the quotes. */
  const quoted = (open: number, backslash: boolean, doubling = true) => {
    const q = code(open);
    let j = open + 1;
    for (;;) {
      if (j >= n)
        throw new LexError(`an unterminated ${sql[open]} quote starts at character ${open + 1}`);
      const c = code(j);
      if (backslash && c === 0x5c) j += 2;
      else if (c === q) {
        if (doubling && code(j + 1) === q) j += 2;
        else return { end: j + 1, body: sql.slice(open + 1, j) };
      } else j += 1;
    }
  };

  const undouble = (body: string, q: string) =>
    body.includes(q) ? body.replaceAll(q + q, q) : body;

  const plainString = (open: number): { end: number; value: string } => {
    const q = sql[open] as string;
    const { end, body } = quoted(open, o.backslashEscapes);
    if (!o.backslashEscapes || !body.includes("\\")) return { end, value: undouble(body, q) };
    // Backslash runs first: `\'` and `''` both stand for one quote.
    return {
      end,
      value:
        o.escapeStyle === "e-string"
          ? at(open, () => decodePostgresEscapes(body))
          : decodeMysqlEscapes(body, q),
    };
  };

  /** A string literal of any form the options allow at `j`, or undefined (for UESCAPE's operand). */
  const stringAt = (j: number): { end: number; value: string } | undefined => {
    if (code(j) === 0x27) return plainString(j);
    if (o.escapeStrings && (sql[j] === "e" || sql[j] === "E") && code(j + 1) === 0x27) {
      const { end, body } = quoted(j + 1, true);
      return { end, value: at(j, () => decodePostgresEscapes(body)) };
    }
    if (o.dollarQuotes && code(j) === 0x24) {
      const d = dollarQuote(j);
      if (d) return d;
    }
    return undefined;
  };

  /** A `$tag$...$tag$` string at `j` (any tag length), or undefined if `j` opens none. */
  const dollarQuote = (j: number): { end: number; value: string } | undefined => {
    let k = j + 1;
    if (code(k) !== 0x24) {
      if (!nameStart(k)) return undefined;
      while (k < n && code(k) !== 0x24 && namePart(k)) k += 1;
      if (code(k) !== 0x24) return undefined;
    }
    const tag = sql.slice(j, k + 1);
    const close = sql.indexOf(tag, k + 1);
    if (close === -1)
      throw new LexError(`a ${tag} quote starting at character ${j + 1} is not closed`);
    return { end: close + tag.length, value: sql.slice(k + 1, close) };
  };

  /** A `U&'..'` or `U&".."` literal whose `U` is at `j`, with its UESCAPE clause if any. */
  const unicodeLiteral = (j: number): Token => {
    const q = sql[j + 2] as string;
    const { end, body } = quoted(j + 2, false);
    let tokenEnd = end;
    let esc = "\\";
    const k = skipTrivia(end);
    if (/^uescape$/i.test(sql.slice(k, k + 7)) && !namePart(k + 7)) {
      const s = stringAt(skipTrivia(k + 7));
      if (
        s === undefined ||
        s.value.length !== 1 ||
        /[0-9A-Fa-f+'"]/.test(s.value) ||
        s.value.charCodeAt(0) >= 128 ||
        ((cls[s.value.charCodeAt(0)] as number) & WS) !== 0
      )
        throw new LexError(
          `UESCAPE at character ${k + 1} must be followed by one valid escape character in quotes`,
        );
      esc = s.value;
      tokenEnd = s.end;
    }
    const value = at(j, () => decodeUnicodeEscapes(undouble(body, q), esc));
    return q === "'"
      ? { kind: "string", value, start: j, end: tokenEnd }
      : { kind: "quoted-ident", value: cutToBytes(value, o.nameMaxBytes), start: j, end: tokenEnd };
  };

  /** The unquoted name from `i` (digits included when `i` is where a digit name goes on). */
  const wordAt = (i: number, from: number): Token => {
    let k = i;
    let upper = false;
    let high = false;
    for (; k < n; k += 1) {
      const c = sql.charCodeAt(k);
      if (c >= 128) high = true;
      else if (k >= from && ((cls[c] as number) & NAME_PART) === 0) break;
      else if (c >= 65 && c <= 90) upper = true;
    }
    let text = sql.slice(i, k);
    if (upper) text = high ? foldAscii(text) : text.toLowerCase();
    return token("word", cutToBytes(text, o.nameMaxBytes), i, k);
  };

  /** The token that starts at `i` (not whitespace nor a comment). */
  const tokenAt = (i: number): Token => {
    const c = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    // The commonest token first: a name with no quote or `&` glued to its first letter.
    if ((c >= 128 || ((cls[c] as number) & NAME_START) !== 0) && next !== 0x27 && next !== 0x26)
      return wordAt(i, i + 1);

    if (execCommentAt(i)) return token("exec-comment", sql.slice(i), i, n);
    if (c === 0x27) {
      const s = plainString(i);
      return token("string", s.value, i, s.end);
    }
    if (c === 0x22) {
      if (o.doubleQuoteStrings) {
        const s = plainString(i);
        return token("string", s.value, i, s.end);
      } else {
        const { end, body } = quoted(i, false);
        return token("quoted-ident", cutToBytes(undouble(body, '"'), o.nameMaxBytes), i, end);
      }
    }
    if (c === 0x60 && o.backtickIdentifiers) {
      const { end, body } = quoted(i, false);
      return token("quoted-ident", undouble(body, "`"), i, end);
    }
    if (c === 0x24 && o.dollarQuotes) {
      let k = i + 1;
      while (is(k, DIGIT)) k += 1;
      if (k > i + 1) {
        return token("param", sql.slice(i, k), i, k);
      }
      const d = dollarQuote(i);
      if (d) {
        return token("string", d.value, i, d.end);
      }
    }
    if (c === 0x40 && o.atVariables) {
      let k = code(i + 1) === 0x40 ? i + 2 : i + 1;
      const q = code(k);
      if (q === 0x27 || q === 0x22 || q === 0x60)
        k = quoted(k, q !== 0x60 && o.backslashEscapes).end;
      else while (k < n && (namePart(k) || code(k) === 0x2e)) k += 1;
      if (k > i + 1 && !(k === i + 2 && code(i + 1) === 0x40)) {
        return token("variable", sql.slice(i, k), i, k);
      }
    }
    if (is(i, DIGIT) || (c === 0x2e && is(i + 1, DIGIT))) {
      const end = numberEnd(sql, i, is, namePart, o.digitNames);
      if (end < 0) {
        return wordAt(i, -end);
      } else return token("number", sql.slice(i, end), i, end);
    }
    if (nameStart(i)) {
      const next = code(i + 1);
      const lower = c | 0x20;
      // Prefixes glued to their quote: E'..', U&'..', U&"..", N'..', B'..', X'..'.
      if (next === 0x27 && lower === 0x65 && o.escapeStrings) {
        const s = stringAt(i) as { end: number; value: string };
        return token("string", s.value, i, s.end);
      }
      if (
        lower === 0x75 &&
        next === 0x26 &&
        o.unicodeEscapes &&
        (code(i + 2) === 0x27 || code(i + 2) === 0x22)
      ) {
        const t = unicodeLiteral(i);
        return token(t.kind, t.value, i, t.end);
      }
      if (next === 0x27 && lower === 0x6e) {
        const s = plainString(i + 1);
        return token("string", s.value, i, s.end);
      }
      if (next === 0x27 && (lower === 0x62 || lower === 0x78)) {
        const { end, body } = quoted(i + 1, false, false);
        return token("string", body, i, end);
      }
      return wordAt(i, i + 1);
    }
    let k = i + 1;
    if (is(i, OP)) {
      while (
        k < n &&
        is(k, OP) &&
        !dashDashComment(k) &&
        !(code(k) === 0x2f && code(k + 1) === 0x2a) &&
        !(o.hashComments && code(k) === 0x23)
      )
        k += 1;
    }
    return token("punct", sql.slice(i, k), i, k);
  };

  for (let i = skipTrivia(0); i < n; i = skipTrivia(i)) {
    const t = tokenAt(i);
    tokens.push(t);
    i = t.end;
  }
  return tokens;
}

/**
 * Where the number starting at `i` ends; with digitNames, minus the index to continue a name
 * from when the digits turn out to start a name (MySQL: `123abc`, `0x1g`, `1e`).
 */
function numberEnd(
  sql: string,
  i: number,
  is: (j: number, flag: number) => boolean,
  namePart: (j: number) => boolean,
  digitNames: boolean,
): number {
  if (digitNames && sql[i] === "0" && (sql[i + 1] === "x" || sql[i + 1] === "b")) {
    const hex = sql[i + 1] === "x";
    let k = i + 2;
    while (hex ? is(k, HEX) : sql[k] === "0" || sql[k] === "1") k += 1;
    if (k > i + 2) return namePart(k) ? -k : k;
  }
  let j = i;
  while (is(j, DIGIT)) j += 1;
  const intEnd = j;
  if (sql[j] === ".") {
    j += 1;
    while (is(j, DIGIT)) j += 1;
  }
  const e = sql[j];
  if ((e === "e" || e === "E") && j > i) {
    let k = j + 1;
    if (sql[k] === "+" || sql[k] === "-") k += 1;
    if (is(k, DIGIT)) {
      while (is(k, DIGIT)) k += 1;
      return k;
    }
  }
  if (digitNames && j === intEnd && namePart(j)) return -j;
  return j;
}
