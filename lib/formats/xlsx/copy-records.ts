// Records of PostgreSQL's `COPY ... TO STDOUT (FORMAT csv)` output, read on bytes for the
// spreadsheet's COPY path (copy-sheet.ts): each field's place in the buffer and what its content
// holds that a cell must treat (copy-cells.ts), found in the same pass that finds its end.

const COMMA = 0x2c;
const LF = 0x0a;
const QUOTE = 0x22;

/** The field was quoted: a value, possibly empty (COPY writes NULL as an unquoted empty field). */
export const QUOTED = 1;
/** Its content holds `""` for each quote. */
export const DOUBLED = 2;
/** Its content holds `&`, `<` or `>` (an entity each in XML). */
export const ENTITY = 4;
/**
 * Its content holds what the string path decides (xml-text.ts): a control character or CR
 * (`_xHHHH_`), text that looks like such an escape, U+FFFE or U+FFFF. Set also where a check
 * could not look far enough: the string path writes every value right, only slower.
 */
export const SLOW = 8;

// Byte classes inside a field; 0 is a byte with nothing to do.
const C_COMMA = 1;
const C_LF = 2;
const C_QUOTE = 3;
const C_CONTROL = 4;
const C_ENTITY = 5;
const C_UNDERSCORE = 6;
const C_EF = 7; // the first byte of U+FFFE and U+FFFF (EF BF BE, EF BF BF)
const CLASS = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) CLASS[b] = C_CONTROL;
CLASS[0x09] = 0; // tab stays as it is in XML
CLASS[LF] = C_LF;
CLASS[COMMA] = C_COMMA;
CLASS[QUOTE] = C_QUOTE;
CLASS[0x26] = C_ENTITY;
CLASS[0x3c] = C_ENTITY;
CLASS[0x3e] = C_ENTITY;
CLASS[0x5f] = C_UNDERSCORE;
CLASS[0xef] = C_EF;

const isHex = (b: number) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

/** The flag a content byte of class `c` (not a delimiter) sets. */
function special(buf: Buffer, i: number, end: number, c: number): number {
  if (c === C_CONTROL) return SLOW;
  if (c === C_ENTITY) return ENTITY;
  if (c === C_UNDERSCORE) {
    // xml-text.ts's ESCAPE_LIKE, `_[xX][0-9A-Fa-f]{4}_`: all ASCII, never a delimiter or quote,
    // so the raw bytes read as the value's.
    if (i + 6 >= end) return SLOW;
    const x = buf[i + 1];
    if (x !== 0x78 && x !== 0x58) return 0;
    for (let k = 2; k < 6; k++) if (!isHex(buf[i + k] as number)) return 0;
    return buf[i + 6] === 0x5f ? SLOW : 0;
  }
  // C_EF
  if (i + 2 >= end) return SLOW;
  const third = buf[i + 2] as number;
  return buf[i + 1] === 0xbf && (third === 0xbe || third === 0xbf) ? SLOW : 0;
}

/** The fields of one record: content from starts[k] to ends[k] (quotes excluded), and flags. */
export class Fields {
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  flags = new Uint8Array(64);

  private grow(): void {
    const n = this.starts.length * 2;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const flags = new Uint8Array(n);
    starts.set(this.starts);
    ends.set(this.ends);
    flags.set(this.flags);
    this.starts = starts;
    this.ends = ends;
    this.flags = flags;
  }

  /**
   * Reads the record starting at `i`; returns the index after its LF, or -1 if it does not end
   * before `end` (then `count` is the fields that did). Bytes are the server's: anything but a
   * comma or LF after a closing quote is an error.
   */
  read(buf: Buffer, i: number, end: number): number {
    let n = 0;
    for (;;) {
      if (n === this.starts.length) this.grow();
      let flags = 0;
      let s: number;
      let e: number;
      if (i < end && buf[i] === QUOTE) {
        flags = QUOTED;
        s = ++i;
        for (;;) {
          if (i >= end) return this.partial(n);
          const c = CLASS[buf[i] as number] as number;
          if (c === 0 || c === C_COMMA || c === C_LF) {
            i++;
          } else if (c === C_QUOTE) {
            if (i + 1 >= end) return this.partial(n);
            if (buf[i + 1] !== QUOTE) break;
            flags |= DOUBLED;
            i += 2;
          } else {
            flags |= special(buf, i, end, c);
            i++;
          }
        }
        e = i++;
        if (i >= end) return this.partial(n);
      } else {
        s = i;
        for (;;) {
          if (i >= end) return this.partial(n);
          const c = CLASS[buf[i] as number] as number;
          if (c === 0 || c === C_QUOTE) i++;
          else if (c === C_COMMA || c === C_LF) break;
          else flags |= special(buf, i++, end, c);
        }
        e = i;
      }
      this.starts[n] = s;
      this.ends[n] = e;
      this.flags[n] = flags;
      n++;
      const b = buf[i++];
      if (b === LF) {
        this.count = n;
        return i;
      }
      if (b !== COMMA) throw new Error("unexpected byte after a closing quote in COPY output");
    }
  }

  private partial(n: number): number {
    this.count = n;
    return -1;
  }
}

/**
 * Where a record that began in an earlier chunk ends in `buf`: the index of its LF, or -1 with
 * `quotes` (the parity of quotes seen since the record began, 0 or 1) carried on. An LF ends the
 * record only outside quotes: with an even count of quotes before it (`""` counts twice).
 */
export function recordEnd(buf: Buffer, quotes: { parity: number }): number {
  let at = 0;
  for (;;) {
    const lf = buf.indexOf(LF, at);
    let q = buf.indexOf(QUOTE, at);
    if (lf === -1) {
      for (; q !== -1; q = buf.indexOf(QUOTE, q + 1)) quotes.parity ^= 1;
      return -1;
    }
    if (q !== -1 && q < lf) {
      // Every quote before this LF.
      for (; q !== -1 && q < lf; q = buf.indexOf(QUOTE, q + 1)) quotes.parity ^= 1;
    }
    if (quotes.parity === 0) return lf;
    at = lf + 1;
  }
}

/** The quotes' parity in buf[from, to). */
export function quoteParity(buf: Buffer, from: number, to: number): number {
  let parity = 0;
  for (let q = buf.indexOf(QUOTE, from); q !== -1 && q < to; q = buf.indexOf(QUOTE, q + 1))
    parity ^= 1;
  return parity;
}
