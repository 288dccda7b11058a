import { isUtf8Range } from "./utf8.js";

export const COMMA = 0x2c;
export const LF = 0x0a;
const QUOTE = 0x22;
const CR = 0x0d;

// A chunk is handed on once it holds this many bytes (the COPY path's chunks are similar).
const CHUNK_BYTES = 64 * 1024;

const HEX = Buffer.from("0123456789ABCDEF");

/** What a value whose bytes are not UTF-8 becomes: decoded as Node decodes it (U+FFFD)... */
export const NOT_UTF8_AS_TEXT = 0;
/** ...or a hex literal (0xDEAD). */
export const NOT_UTF8_AS_HEX = 1;
type NotUtf8 = typeof NOT_UTF8_AS_TEXT | typeof NOT_UTF8_AS_HEX;

/**
 * RFC 4180 CSV written from a protocol's value bytes (the "rfc4180-csv" rendering PostgreSQL's
 * COPY writes): a field quoted only if it holds a comma, quote, CR or LF, quotes doubled, NULL
 * as nothing, an empty string as `""`, LF after each record. Each engine's row reader
 * (mysql/csv-rows.ts, postgres/data-row-csv.ts) walks its own framing and writes the commas,
 * values and record ends here: bytes copied into one reused scratch buffer, no string or object
 * per field.
 */
export class CsvBytes {
  protected out: Buffer;
  protected p = 0;

  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.out = Buffer.allocUnsafe(chunkBytes * 2);
  }

  /**
   * The bytes written so far, once there is a chunk's worth (or `all`), as an exact-size copy:
   * the scratch buffer is reused (and shrunk back after a long row).
   */
  take(all = false): Buffer | undefined {
    if (this.p === 0 || (!all && this.p < this.chunkBytes)) return undefined;
    const chunk = Buffer.allocUnsafe(this.p);
    this.out.copy(chunk, 0, 0, this.p);
    this.p = 0;
    if (this.out.length > this.chunkBytes * 4) this.out = Buffer.allocUnsafe(this.chunkBytes * 2);
    return chunk;
  }

  protected ensure(extra: number): void {
    if (this.p + extra <= this.out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.p + extra));
    this.out.copy(next, 0, 0, this.p);
    this.out = next;
  }

  /** An empty string, `""` (NULL is nothing at all); `reserve` is room for the row's rest. */
  protected empty(reserve: number): void {
    this.ensure(2 + reserve);
    this.out[this.p++] = QUOTE;
    this.out[this.p++] = QUOTE;
  }

  /**
   * A value's bytes, buf[pos, stop), non-empty: copied while looking for what needs quoting and
   * for non-ASCII bytes. Bytes that are not UTF-8 are written as `notUtf8` says (U+FFFD per bad
   * sequence is what the drivers' strings hold). `reserve` is room kept for the rest of the
   * row's commas.
   */
  protected value(buf: Buffer, pos: number, stop: number, notUtf8: NotUtf8, reserve: number): void {
    // The worst case, every byte a quote.
    this.ensure(2 * (stop - pos) + 2 + reserve);
    const out = this.out;
    const start = this.p;
    let p = start;
    let high = 0;
    let special = false;
    for (let i = pos; i < stop; i++) {
      const b = buf[i] as number;
      out[p++] = b;
      high |= b;
      if (b <= COMMA && (b === COMMA || b === QUOTE || b === LF || b === CR)) special = true;
    }
    this.p = p;
    if (high >= 0x80 && !isUtf8Range(buf, pos, stop)) {
      this.p = start;
      if (notUtf8 === NOT_UTF8_AS_HEX) this.hex(buf, pos, stop, reserve);
      else {
        // Decoded as the driver would; then valid, written as any value.
        const text = Buffer.from(buf.toString("utf8", pos, stop), "utf8");
        this.value(text, 0, text.length, notUtf8, reserve);
      }
      return;
    }
    if (special) {
      this.p = start;
      this.quoted(buf, pos, stop);
    }
  }

  /** The value in quotes, its quotes doubled (room is already ensured). */
  private quoted(buf: Buffer, pos: number, stop: number): void {
    const out = this.out;
    let p = this.p;
    out[p++] = QUOTE;
    for (let i = pos; i < stop; i++) {
      const b = buf[i] as number;
      if (b === QUOTE) out[p++] = QUOTE;
      out[p++] = b;
    }
    out[p++] = QUOTE;
    this.p = p;
  }

  private hex(buf: Buffer, pos: number, stop: number, reserve: number): void {
    this.ensure(2 + 2 * (stop - pos) + reserve);
    const out = this.out;
    let p = this.p;
    out[p++] = 0x30;
    out[p++] = 0x78;
    for (let i = pos; i < stop; i++) {
      const b = buf[i] as number;
      out[p++] = HEX[b >> 4] as number;
      out[p++] = HEX[b & 15] as number;
    }
    this.p = p;
  }

  /** Text known to need no quoting (a number). */
  protected ascii(text: string, reserve: number): void {
    this.ensure(text.length + reserve);
    this.p += this.out.write(text, this.p, "latin1");
  }
}
