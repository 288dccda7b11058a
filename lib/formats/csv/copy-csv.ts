import { Transform, type TransformCallback } from "node:stream";
import { ValueTooLarge } from "../../failure/too-large.js";
import { headerLine } from "./layout.js";
import { MAX_FIRST_RECORD_BYTES } from "./limits.js";

// States of the scanner over PostgreSQL's COPY CSV output.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // saw `"` inside a quoted field: escaped quote, or its end
const OPENED = 4; // saw the opening `"`, nothing else yet
const OPENED_QUOTE = 5; // saw `""` at the start: an empty string, or a value starting with `"`

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export interface CopyCsvOptions {
  header: string[];
  onWidthMismatch?: (labels: number, columns: number) => void;
}

/**
 * PostgreSQL's `COPY ... TO STDOUT (FORMAT csv)` bytes in, this product's CSV out, identical to
 * what the row path (layout.ts) writes for the same rows: the title line first, a row number
 * in front of every record, CRLF record ends (LF and CR inside quoted values stay), and an
 * empty string written empty like NULL (COPY writes it as `""`). Values are the server's own
 * text output in both paths. Works on bytes, across chunk boundaries, in one pass.
 */
export function createCopyCsvLayout(o: CopyCsvOptions): {
  stages: [Transform];
  rowCount: () => number;
} {
  let state = FIELD_START;
  let atRecordStart = true;
  let rows = 0;
  let fields = 0;
  let width = -1;
  // Fields in a record (the query's columns and the row number); wider titles pad each record.
  let rowWidth = 0;
  let out = Buffer.allocUnsafe(0);
  let p = 0;
  const ensure = (extra: number) => {
    if (p + extra <= out.length) return;
    const next = Buffer.allocUnsafe(Math.max(out.length * 2, p + extra, 64 * 1024));
    out.copy(next, 0, 0, p);
    out = next;
  };
  // The row number as ASCII digits, counted in place: formatting 2M numbers as strings was
  // a tenth of this stage's time.
  const digits = Buffer.alloc(20, 0x30);
  let firstDigit = digits.length;
  const nextRow = () => {
    rows += 1;
    let k = digits.length - 1;
    while (k >= 0 && digits[k] === 0x39) digits[k--] = 0x30;
    digits[k] = (digits[k] as number) + 1;
    if (k < firstDigit) firstDigit = k;
    for (let d = firstDigit; d < digits.length; d++) out[p++] = digits[d] as number;
    out[p++] = COMMA;
  };
  const headerBytes = (w: number) => Buffer.from(headerLine(o.header, w), "utf8");
  const endRecord = () => {
    const columns = fields + 1;
    const total = columns + 1; // and the row number
    if (width === -1) {
      // First record: now the column count is known, the header can be sized to it.
      rowWidth = total;
      width = Math.max(o.header.length, total);
      if (o.header.length > 0 && o.header.length !== total)
        o.onWidthMismatch?.(o.header.length, columns);
      pendingHeader = o.header.length > 0 ? headerBytes(width) : undefined;
    }
    ensure(Math.max(0, width - total) + 2);
    for (let f = total; f < width; f++) {
      out[p++] = COMMA;
    }
    out[p++] = CR;
    out[p++] = LF;
    atRecordStart = true;
    fields = 0;
    state = FIELD_START;
  };
  /** A comma or LF after a field: the next field, or the record's end. False for any other byte. */
  const endField = (b: number): boolean => {
    if (b === COMMA) {
      fields += 1;
      out[p++] = COMMA;
      state = FIELD_START;
      return true;
    }
    if (b === LF) {
      endRecord();
      return true;
    }
    return false;
  };
  let pendingHeader: Buffer | undefined;
  const emit = (stream: Transform) => {
    if (pendingHeader) {
      stream.push(pendingHeader);
      pendingHeader = undefined;
    }
    if (p > 0) {
      // An exact-size copy: the scratch buffer is reused for the next chunk.
      const body = Buffer.allocUnsafe(p);
      out.copy(body, 0, 0, p);
      stream.push(body);
      p = 0;
    }
  };

  const writer = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      ensure(chunk.length + 64);
      for (let i = 0; i < chunk.length; i++) {
        // Inside this loop writes need no bounds checks: see the ensure at each record start.
        // Fast path: a whole record in this chunk with no quotes at all is copied as it is.
        if (atRecordStart && width !== -1 && width <= rowWidth) {
          const lf = chunk.indexOf(LF, i);
          if (lf !== -1) {
            const q = chunk.indexOf(QUOTE, i);
            if (q === -1 || q > lf) {
              ensure(lf - i + 24);
              nextRow();
              p += chunk.copy(out, p, i, lf);
              out[p++] = CR;
              out[p++] = LF;
              i = lf;
              continue;
            }
          }
        }
        const b = chunk[i] as number;
        if (atRecordStart) {
          atRecordStart = false;
          // Room for the row number and the rest of this chunk (output never outgrows input).
          ensure(24 + chunk.length - i + 4);
          nextRow();
        }
        switch (state) {
          case FIELD_START:
          case UNQUOTED:
            if (endField(b)) break;
            if (b === QUOTE && state === FIELD_START) {
              state = OPENED;
            } else {
              out[p++] = b;
              state = UNQUOTED;
            }
            break;
          case OPENED:
            if (b === QUOTE) {
              state = OPENED_QUOTE;
            } else {
              out[p++] = QUOTE;
              out[p++] = b;
              state = QUOTED;
            }
            break;
          case OPENED_QUOTE:
            if (b === QUOTE) {
              // `"""`: a value that starts with a quote.
              out[p++] = QUOTE;
              out[p++] = QUOTE;
              out[p++] = QUOTE;
              state = QUOTED;
            } else if (!endField(b)) {
              // `""` then a comma or LF is an empty string, written empty: endField did that.
              throw new Error("unexpected byte after an empty quoted field in COPY output");
            }
            break;
          case QUOTED:
            if (b === QUOTE) state = QUOTE_IN_QUOTED;
            else {
              out[p++] = b;
            }
            break;
          case QUOTE_IN_QUOTED:
            if (b === QUOTE) {
              out[p++] = QUOTE;
              out[p++] = QUOTE;
              state = QUOTED;
            } else {
              out[p++] = QUOTE;
              if (!endField(b))
                throw new Error("unexpected byte after a closing quote in COPY output");
            }
            break;
        }
      }
      // Until the first record is complete the header's width is unknown: hold the output,
      // up to a limit (a first record of hundreds of MB would otherwise be held whole).
      if (width === -1) {
        if (p > MAX_FIRST_RECORD_BYTES) {
          done(new ValueTooLarge(1, fields + 1, MAX_FIRST_RECORD_BYTES));
          return;
        }
        done();
        return;
      }
      emit(this);
      done();
    },
    flush(done: TransformCallback) {
      // No rows: the title line alone, as the row path writes it.
      if (rows === 0 && o.header.length > 0) this.push(headerBytes(o.header.length));
      else emit(this);
      done();
    },
  });
  return { stages: [writer], rowCount: () => rows };
}
