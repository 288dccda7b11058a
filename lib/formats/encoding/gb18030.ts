import iconv from "iconv-lite";
import { wholeCharacters } from "./utf8-chunks.js";

/**
 * GB18030 encoding at memory speed. iconv-lite is the source of truth, but its streaming
 * encoder runs at about 30 MB/s here, which made it the slowest stage of an export (measured
 * by `npm run bench`). So the table of every BMP character is taken from iconv-lite once, in
 * one call, and the hot loop is a table lookup. Characters outside the BMP use GB18030's
 * linear four-byte mapping; test/unit/gb18030.test.ts checks both against iconv-lite.
 */
let table: Uint32Array | undefined;

/**
 * Each BMP character's GB18030 bytes packed big-endian in one number, whose size gives the
 * length: four-byte codes start at 0x81 (so above 0xffffff), two-byte codes at 0x81 too (above
 * 0xff, at most 0xffff), and one byte stays below 0x80. One lookup per character.
 */
function buildTable(): Uint32Array {
  const t = new Uint32Array(0x10000);
  const chars: number[] = [];
  for (let u = 0x80; u < 0x10000; u++) if (u < 0xd800 || u > 0xdfff) chars.push(u);
  const bytes = iconv.encode(String.fromCharCode(...chars), "gb18030");
  // Walk the output: < 0x80 one byte; second byte 0x30-0x39 four bytes; otherwise two.
  let p = 0;
  for (const u of chars) {
    const b0 = bytes[p] as number;
    let len = 1;
    if (b0 >= 0x80)
      len = (bytes[p + 1] as number) >= 0x30 && (bytes[p + 1] as number) <= 0x39 ? 4 : 2;
    let packed = 0;
    for (let i = 0; i < len; i++) packed = packed * 256 + (bytes[p + i] as number);
    t[u] = packed;
    p += len;
  }
  return t;
}

let scratch = Buffer.alloc(0);

/** Writes a BMP character's packed bytes (buildTable) at out[o]; returns the new offset. */
function putPacked(out: Buffer, o: number, v: number): number {
  if (v > 0xffffff) {
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
    return o + 4;
  }
  if (v > 0xff) {
    out[o] = v >>> 8;
    out[o + 1] = v & 0xff;
    return o + 2;
  }
  out[o] = v;
  return o + 1;
}

/** Writes a character outside the BMP: four bytes, linear from 0x90308130 for U+10000. */
function putAstral(out: Buffer, o: number, cp: number): number {
  let idx = cp - 0x10000;
  out[o + 3] = 0x30 + (idx % 10);
  idx = Math.floor(idx / 10);
  out[o + 2] = 0x81 + (idx % 126);
  idx = Math.floor(idx / 126);
  out[o + 1] = 0x30 + (idx % 10);
  out[o] = 0x90 + Math.floor(idx / 10);
  return o + 4;
}

/** Writes one code point (not a surrogate) at out[o]; returns the new offset. */
function putCodePoint(t: Uint32Array, out: Buffer, o: number, cp: number): number {
  if (cp < 0x80) {
    out[o] = cp;
    return o + 1;
  }
  return cp >= 0x10000 ? putAstral(out, o, cp) : putPacked(out, o, t[cp] as number);
}

/** An exact-size copy: a slice of the scratch buffer would keep all of it alive downstream. */
function takeScratch(o: number): Buffer {
  const bytes = Buffer.allocUnsafe(o);
  scratch.copy(bytes, 0, 0, o);
  return bytes;
}

/**
 * Text and a trailing high surrogate split apart: the second half of a character cut
 * between chunks arrives with the next one.
 */
export function splitHighSurrogate(text: string): [body: string, carry: string] {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? [text.slice(0, -1), text.slice(-1)] : [text, ""];
}
// The replacement iconv-lite writes for a lone surrogate.
const LONE = iconv.encode("\ud800", "gb18030");

/**
 * Encodes text to GB18030 bytes. `carry` is a high surrogate left over from the previous
 * chunk (a character split across chunks); the new one, if any, is returned.
 */
export function encodeGb18030(text: string, carry = ""): { bytes: Buffer; carry: string } {
  table ??= buildTable();
  const t = table;
  const [s, nextCarry] = splitHighSurrogate(carry + text);
  if (scratch.length < s.length * 4) scratch = Buffer.allocUnsafe(s.length * 4);
  const out = scratch;
  let o = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        o = putCodePoint(t, out, o, 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i++;
      } else {
        for (const b of LONE) out[o++] = b;
      }
      continue;
    }
    o = putCodePoint(t, out, o, c);
  }
  return { bytes: takeScratch(o), carry: nextCarry };
}

/**
 * UTF-8 bytes (a COPY's output) straight to GB18030, without making a JavaScript string
 * first (decoding to a string cost as much as encoding; npm run bench). `carry` holds the
 * bytes of a character split across chunks. Invalid UTF-8 becomes U+FFFD, as a decoder would.
 */
export function encodeGb18030FromUtf8(
  input: Buffer,
  carry?: Buffer,
): { bytes: Buffer; carry?: Buffer } {
  table ??= buildTable();
  const t = table;
  const chunk = wholeCharacters(input, carry);
  // Input that is not UTF-8 (a name PostgreSQL sends unconverted) is decoded as Node decodes it
  // (one U+FFFD per invalid sequence, not per byte) and encoded from that text: the loop below
  // assumes UTF-8, whose GB18030 is at most twice as long (a U+FFFD per byte is four times).
  if (!chunk.valid)
    return { bytes: iconv.encode(chunk.body.toString("utf8"), "gb18030"), carry: chunk.carry };
  // Well-formed UTF-8 from here on (checked above): each lead byte says its length.
  const buf = chunk.body;
  const n = buf.length;
  if (scratch.length < n * 2) scratch = Buffer.allocUnsafe(n * 2);
  const out = scratch;
  let o = 0;
  let i = 0;
  while (i < n) {
    const b0 = buf[i] as number;
    if (b0 < 0x80) {
      out[o++] = b0;
      i++;
    } else if (b0 < 0xe0) {
      o = putPacked(out, o, t[((b0 & 0x1f) << 6) | ((buf[i + 1] as number) & 0x3f)] as number);
      i += 2;
    } else if (b0 < 0xf0) {
      // Three bytes: nearly every CJK character.
      const cp =
        ((b0 & 0x0f) << 12) |
        (((buf[i + 1] as number) & 0x3f) << 6) |
        ((buf[i + 2] as number) & 0x3f);
      o = putPacked(out, o, t[cp] as number);
      i += 3;
    } else {
      const cp =
        ((b0 & 0x07) << 18) |
        (((buf[i + 1] as number) & 0x3f) << 12) |
        (((buf[i + 2] as number) & 0x3f) << 6) |
        ((buf[i + 3] as number) & 0x3f);
      o = putAstral(out, o, cp);
      i += 4;
    }
  }
  return { bytes: takeScratch(o), carry: chunk.carry };
}
