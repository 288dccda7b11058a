/**
 * Splits task SQL into tokens the way the server does, so the guard sees what the server will
 * run: PostgreSQL's nested comments, dollar quotes, E'' strings and quoted identifiers;
 * MySQL's `#` and `-- ` comments, executable comments and hints, backticks and backslash
 * escapes. Either string-escape mode can be lexed; the sources pin the server to the mode the
 * guard lexed with (standard_conforming_strings = on; sql_mode without NO_BACKSLASH_ESCAPES).
 */
export interface LexOptions {
  /** `#` starts a comment (MySQL). */
  hashComments: boolean;
  /** `--` starts a comment only before whitespace or a control character (MySQL). */
  dashDashNeedsSpace: boolean;
  /** Block comments nest (PostgreSQL). */
  nestedComments: boolean;
  /** `/*!`, `/*M!` and `/*+` are code, not comments (MySQL executable comments, hints). */
  executableComments: boolean;
  /** `$tag$ ... $tag$` strings (PostgreSQL). */
  dollarQuotes: boolean;
  /** `E'..'` strings with backslash escapes (PostgreSQL). */
  escapeStrings: boolean;
  /** Backslash escapes in plain '..' strings: MySQL by default, PostgreSQL with standard_conforming_strings off. */
  backslashEscapes: boolean;
  /** `".."` is a string (MySQL without ANSI_QUOTES) rather than an identifier. */
  doubleQuoteStrings: boolean;
  /** `` `..` `` identifiers (MySQL). */
  backtickIdentifiers: boolean;
}

export type TokenKind =
  | "word"
  | "quoted-ident"
  | "string"
  | "number"
  | "param"
  | "punct"
  /** MySQL `/*! ... *\/`, `/*M! ... *\/` or `/*+ ... *\/`: runs as SQL or steers the server. */
  | "exec-comment";

export interface Token {
  kind: TokenKind;
  /** Words lower-cased; quoted identifiers unquoted; punctuation as is. */
  value: string;
  pos: number;
}

export class LexError extends Error {
  override name = "LexError";
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

export function lexSql(sql: string, o: LexOptions): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;

  /** Index after a quoted run starting at `start` (the opening quote), by the given rules. */
  const skipQuoted = (start: number, quote: string, backslash: boolean): number => {
    let j = start + 1;
    for (;;) {
      if (j >= n)
        throw new LexError(`an unterminated ${quote} quote starts at character ${start + 1}`);
      const c = sql[j];
      if (backslash && c === "\\") {
        j += 2;
        continue;
      }
      if (c === quote) {
        if (sql[j + 1] === quote) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j += 1;
    }
  };

  /** A quoted identifier from its opening quote at `open` to `end`: unquoted, lower-cased. */
  const quotedIdent = (open: number, end: number, pos: number): Token => {
    const q = sql[open] as string;
    const value = sql
      .slice(open + 1, end - 1)
      .replaceAll(q + q, q)
      .toLowerCase();
    return { kind: "quoted-ident", value, pos };
  };

  const skipBlockComment = (start: number): number => {
    let depth = 1;
    let j = start + 2;
    while (depth > 0) {
      if (j >= n) throw new LexError(`a comment starting at character ${start + 1} is not closed`);
      if (sql[j] === "*" && sql[j + 1] === "/") {
        depth -= 1;
        j += 2;
      } else if (o.nestedComments && sql[j] === "/" && sql[j + 1] === "*") {
        depth += 1;
        j += 2;
      } else j += 1;
    }
    return j;
  };

  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (
      c === "-" &&
      next === "-" &&
      (!o.dashDashNeedsSpace || i + 2 >= n || (sql.codePointAt(i + 2) ?? 0) <= 0x20)
    ) {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === "#" && o.hashComments) {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = skipBlockComment(i);
      const inner = sql.slice(i + 2, i + 4);
      if (o.executableComments && (inner[0] === "!" || inner[0] === "+" || inner === "M!")) {
        tokens.push({ kind: "exec-comment", value: sql.slice(i, end), pos: i });
      }
      i = end;
      continue;
    }
    if (c === "'") {
      const end = skipQuoted(i, "'", o.backslashEscapes);
      tokens.push({ kind: "string", value: sql.slice(i, end), pos: i });
      i = end;
      continue;
    }
    if (c === '"') {
      const end = skipQuoted(i, '"', o.doubleQuoteStrings && o.backslashEscapes);
      tokens.push(
        o.doubleQuoteStrings
          ? { kind: "string", value: sql.slice(i, end), pos: i }
          : quotedIdent(i, end, i),
      );
      i = end;
      continue;
    }
    if (c === "`" && o.backtickIdentifiers) {
      const end = skipQuoted(i, "`", false);
      tokens.push(quotedIdent(i, end, i));
      i = end;
      continue;
    }
    if (c === "$" && o.dollarQuotes) {
      const param = /^\$\d+/.exec(sql.slice(i, i + 12));
      if (param) {
        tokens.push({ kind: "param", value: param[0], pos: i });
        i += param[0].length;
        continue;
      }
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(
        sql.slice(i, i + 80),
      );
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        if (close === -1)
          throw new LexError(`a ${tag[0]} quote starting at character ${i + 1} is not closed`);
        const end = close + tag[0].length;
        tokens.push({ kind: "string", value: sql.slice(i, end), pos: i });
        i = end;
        continue;
      }
    }
    if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_PART.test(sql[j] as string)) j += 1;
      const word = sql.slice(i, j);
      // E'..' (backslash escapes), U&'..' / U&"..": a prefix glued to its quote.
      if (o.escapeStrings && sql[j] === "'" && /^e$/i.test(word)) {
        const end = skipQuoted(j, "'", true);
        tokens.push({ kind: "string", value: sql.slice(i, end), pos: i });
        i = end;
        continue;
      }
      if (
        o.escapeStrings &&
        /^u$/i.test(word) &&
        sql[j] === "&" &&
        (sql[j + 1] === "'" || sql[j + 1] === '"')
      ) {
        const q = sql[j + 1] as string;
        const end = skipQuoted(j + 1, q, false);
        tokens.push(
          q === "'"
            ? { kind: "string", value: sql.slice(i, end), pos: i }
            : quotedIdent(j + 1, end, i),
        );
        i = end;
        continue;
      }
      tokens.push({ kind: "word", value: word.toLowerCase(), pos: i });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
      const m = /^(0x[0-9a-f]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)/i.exec(
        sql.slice(i),
      ) as RegExpExecArray;
      tokens.push({ kind: "number", value: m[0], pos: i });
      i += Math.max(1, m[0].length);
      continue;
    }
    tokens.push({ kind: "punct", value: c, pos: i });
    i += 1;
  }
  return tokens;
}
