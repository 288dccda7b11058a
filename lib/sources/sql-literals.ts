// Literals and names as each server reads them: escapes decoded, letters folded, lengths cut.
// Split from sql-lexer.ts, which finds where each token starts and ends and calls these for
// its text.

export class LexError extends Error {
  override name = "LexError";
}

/** Lower-cases ASCII letters only: both servers leave other letters as written. */
export function foldAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** `s` cut to at most `max` UTF-8 bytes on a character boundary (0: whole). */
export function cutToBytes(s: string, max: number): string {
  if (max === 0 || s.length * 3 <= max || Buffer.byteLength(s) <= max) return s;
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + len > max) break;
    bytes += len;
    i += ch.length;
  }
  return s.slice(0, i);
}

const HEX_DIGITS = /^[0-9A-Fa-f]+$/;

/** A code point from Unicode escapes, pairing UTF-16 surrogates as PostgreSQL does. */
function pushCodePoint(out: number[], cp: number, pending: { high: number }): void {
  if (pending.high !== 0) {
    if (cp < 0xdc00 || cp > 0xdfff) throw new LexError("an invalid Unicode surrogate pair");
    out.push(0x10000 + ((pending.high - 0xd800) << 10) + (cp - 0xdc00));
    pending.high = 0;
    return;
  }
  if (cp >= 0xd800 && cp <= 0xdbff) {
    pending.high = cp;
    return;
  }
  if (cp >= 0xdc00 && cp <= 0xdfff) throw new LexError("an invalid Unicode surrogate pair");
  if (cp === 0 || cp > 0x10ffff) throw new LexError("an invalid Unicode escape value");
  out.push(cp);
}

/** The text of a U& literal's body (quotes already undoubled), with `esc` as escape character. */
export function decodeUnicodeEscapes(body: string, esc: string): string {
  const out: number[] = [];
  const pending = { high: 0 };
  for (let i = 0; i < body.length; ) {
    if (body[i] !== esc) {
      if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
      const cp = body.codePointAt(i) as number;
      out.push(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    if (body[i + 1] === esc) {
      if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
      out.push(esc.codePointAt(0) as number);
      i += 2;
      continue;
    }
    const long = body[i + 1] === "+";
    const digits = body.slice(i + (long ? 2 : 1), i + (long ? 8 : 5));
    if (digits.length !== (long ? 6 : 4) || !HEX_DIGITS.test(digits))
      throw new LexError("an invalid Unicode escape");
    pushCodePoint(out, Number.parseInt(digits, 16), pending);
    i += (long ? 2 : 1) + digits.length;
  }
  if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
  return String.fromCodePoint(...out);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const PG_SINGLE: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const MYSQL_SINGLE: Record<string, string> = {
  "0": "\0",
  b: "\b",
  n: "\n",
  r: "\r",
  t: "\t",
  Z: "\x1a",
  "%": "\\%",
  _: "\\_",
};

/**
 * PostgreSQL E'' escapes (and `''`), read left to right: octal and hex escapes are bytes, so the
 * result must be valid UTF-8, as the server requires.
 */
export function decodePostgresEscapes(body: string): string {
  const bytes: number[] = [];
  const pending = { high: 0 };
  const cps: number[] = [];
  const flushCps = () => {
    if (cps.length === 0) return;
    for (const b of Buffer.from(String.fromCodePoint(...cps), "utf8")) bytes.push(b);
    cps.length = 0;
  };
  for (let i = 0; i < body.length; ) {
    const c = body[i] as string;
    if (c === "'") {
      if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
      cps.push(0x27);
      i += 2;
      continue;
    }
    if (c !== "\\") {
      if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
      const cp = body.codePointAt(i) as number;
      cps.push(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1] ?? "";
    if (e === "u" || e === "U") {
      const digits = body.slice(i + 2, i + (e === "u" ? 6 : 10));
      if (digits.length !== (e === "u" ? 4 : 8) || !HEX_DIGITS.test(digits))
        throw new LexError("an invalid Unicode escape");
      const before = cps.length;
      pushCodePoint(cps, Number.parseInt(digits, 16), pending);
      if (cps.length > before) flushCps();
      i += 2 + digits.length;
      continue;
    }
    if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1, i + 4));
    const hex = e === "x" ? /^[0-9A-Fa-f]{1,2}/.exec(body.slice(i + 2, i + 4)) : null;
    if (octal || hex) {
      flushCps();
      bytes.push(octal ? Number.parseInt(octal[0], 8) & 0xff : Number.parseInt(hex?.[0] ?? "", 16));
      i += octal ? 1 + octal[0].length : 2 + (hex?.[0].length ?? 0);
      continue;
    }
    const cp = body.codePointAt(i + 1) ?? 0x5c; // a lone trailing backslash stays itself
    if (PG_SINGLE[e] !== undefined) cps.push(PG_SINGLE[e].charCodeAt(0));
    else cps.push(cp);
    i += cp > 0xffff ? 3 : 2;
  }
  if (pending.high !== 0) throw new LexError("an invalid Unicode surrogate pair");
  flushCps();
  if (bytes.includes(0)) throw new LexError("a zero byte in a string");
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    throw new LexError("a string that is not valid UTF-8");
  }
}

/** MySQL backslash escapes and doubled quotes, read left to right as the server does. */
export function decodeMysqlEscapes(body: string, q: string): string {
  const re = q === "'" ? /\\([\s\S])|''/g : /\\([\s\S])|""/g;
  return body.replace(re, (_m, e: string | undefined) =>
    e === undefined ? q : (MYSQL_SINGLE[e] ?? e),
  );
}
