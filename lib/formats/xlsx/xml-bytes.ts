/**
 * The sheet's XML written as UTF-8 straight into Buffers of a fixed size, each handed on
 * when full. Built as strings (a template per cell, joined per row, flattened to encode), the
 * XML made the garbage collector busier than the writer (npm run bench:formats). Tags,
 * references and numbers are ASCII and copied a byte at a time; text goes through
 * Buffer.write, which encodes it in place.
 */
export class XmlBytes {
  private buf: Buffer;
  private at = 0;

  constructor(
    private readonly size: number,
    private readonly emit: (bytes: Buffer) => void,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes, handing on the full buffer first if needed. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(this.size, n));
  }

  /** Text known to be ASCII (tags, references, numbers). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** Any text (already escaped for XML), as UTF-8. */
  text(s: string): void {
    const n = s.length;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a pair takes 4 for 2 units).
    this.room(n * 3);
    const b = this.buf;
    const start = this.at;
    if (n <= 32) {
      let at = start;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[at++] = c;
      }
      if (i === n) {
        this.at = at;
        return;
      }
    }
    this.at = start + b.write(s, start, "utf8");
  }

  /** UTF-8 bytes already escaped for XML (the COPY path's field content), src[start, end). */
  raw(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    const b = this.buf;
    // A short run is faster copied here than through Buffer.copy's call.
    if (n <= 16) {
      let at = this.at;
      for (let i = start; i < end; i++) b[at++] = src[i] as number;
      this.at = at;
      return;
    }
    this.at += src.copy(b, this.at, start, end);
  }

  /** Hands on what is written so far, if anything. */
  flush(): void {
    if (this.at === 0) return;
    this.emit(this.buf.subarray(0, this.at));
    this.buf = Buffer.allocUnsafe(this.size);
    this.at = 0;
  }
}

/** What `write` writes, as a string (tests, and the small parts). */
export function xmlString(write: (out: XmlBytes) => void): string {
  const parts: Buffer[] = [];
  const out = new XmlBytes(4096, (b) => parts.push(b));
  write(out);
  out.flush();
  return Buffer.concat(parts).toString("utf8");
}
