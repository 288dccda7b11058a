import { Transform, type TransformCallback } from "node:stream";
import { ValueTooLarge } from "../../failure/too-large.js";
import type { Column } from "../../sources/types.js";
import type { TextEncoder } from "../encoding/encoder.js";
import { isDigitByte, isLongDigits, isPlainNumber, isSign, startsFormula } from "./excel-bytes.js";
import { continuationStart, headerLine } from "./layout.js";
import { MAX_FIRST_RECORD_BYTES } from "./limits.js";
import { escapeFormula } from "./value-text.js";

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
const APOSTROPHE = 0x27;
// `"=""` and `"""` around long digits (long-digits.ts).
const WRAP_OPEN = Buffer.from('"=""');
const WRAP_CLOSE = Buffer.from('"""');

// What the current field may still need once its end is seen.
const DECIDED = 0;
const SIGNED = 1; // starts with + or -: a formula unless it is a plain number
const DIGITS = 2; // starts with a digit in a text column: long digits?

export interface CopyCsvOptions {
  header: string[];
  /** As the row path (layout.ts): a leading `'` on cells Excel would run as formulas. */
  escapeFormulas?: boolean;
  /** As the row path: long digit runs in text columns written as `="..."`. */
  longDigitsAsText?: boolean;
  /** The query's columns (their kinds decide where long digits apply); needed for long digits. */
  columns?: Promise<Column[]>;
  onWidthMismatch?: (labels: number, columns: number) => void;
  /**
   * Encodes the output in this stage (encoding/encoder.ts createTextEncoder) straight from the
   * scratch buffer, instead of a UTF-8 copy for a separate encoder stage: one allocation and one
   * stream hop less per chunk on the fast paths. Unset: UTF-8 out.
   */
  encoder?: TextEncoder;
  /** As the row path (layout.ts): rows of earlier slices; when > 0 no header line. */
  continueAt?: number;
}

/**
 * PostgreSQL's `COPY ... TO STDOUT (FORMAT csv)` bytes in, this product's CSV out, identical to
 * what the row path (layout.ts) writes for the same rows: the title line first, a row number
 * in front of every record, CRLF record ends (LF and CR inside quoted values stay), and an
 * empty string written empty like NULL (COPY writes it as `""`). Values are the server's own
 * text output in both paths. Works on bytes, across chunk boundaries, in one pass. Formula
 * escaping and long digits are decided per field from its bytes, as the row path decides them
 * from its text; a field still undecided at a chunk's end is held back to the next chunk.
 */
export function createCopyCsvLayout(o: CopyCsvOptions): {
  stages: [Transform];
  rowCount: () => number;
} {
  const escaping = o.escapeFormulas ?? false;
  const longDigits = o.longDigitsAsText ?? false;
  // Per column: whether long digits there are kept as text; undefined until the columns came.
  let asText: boolean[] | undefined;
  // Waited for once when given: long digits need their kinds, and a query of no columns sends
  // an empty line per row, which CSV reads as one empty field.
  let columnsKnown = o.columns === undefined;
  let noColumns = false;
  // The current field: where its content starts in `out`, and what is still undecided.
  let contentStart = 0;
  let pendingRule = DECIDED;
  let fieldQuoted = false;
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
  // A continuation counts on from the rows before it.
  const start = continuationStart(o.continueAt);
  const continuation = start > 0;
  if (continuation) {
    const text = String(start);
    firstDigit = digits.length - text.length;
    digits.write(text, firstDigit, "latin1");
  }
  const nextRow = () => {
    rows += 1;
    let k = digits.length - 1;
    while (k >= 0 && digits[k] === 0x39) digits[k--] = 0x30;
    digits[k] = (digits[k] as number) + 1;
    if (k < firstDigit) firstDigit = k;
    for (let d = firstDigit; d < digits.length; d++) out[p++] = digits[d] as number;
    out[p++] = COMMA;
  };
  // The title escaped as the row path escapes it (layout.ts).
  const labels = escaping ? o.header.map(escapeFormula) : o.header;
  const headerBytes = (w: number) => Buffer.from(headerLine(labels, w), "utf8");
  const endRecord = () => {
    // No columns: the row number alone, as the row path writes it (drop nextRow's comma).
    if (noColumns && fields === 0 && out[p - 1] === COMMA) p -= 1;
    const columns = noColumns ? 0 : fields + 1;
    const total = columns + 1; // and the row number
    if (width === -1) {
      // First record: now the column count is known, the header can be sized to it.
      rowWidth = total;
      width = Math.max(o.header.length, total);
      if (o.header.length > 0 && o.header.length !== total)
        o.onWidthMismatch?.(o.header.length, columns);
      // A continuation still sizes its lines by the header but writes none.
      pendingHeader = o.header.length > 0 && !continuation ? headerBytes(width) : undefined;
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
  /** Room for `extra` more bytes than the rest of the chunk needs (ensure() at record start). */
  let slack = 0;
  const insertAt = (at: number, bytes: Buffer | number) => {
    const k = typeof bytes === "number" ? 1 : bytes.length;
    ensure(k + slack);
    out.copy(out, at + k, at, p);
    if (typeof bytes === "number") out[at] = bytes;
    else bytes.copy(out, at);
    p += k;
  };
  /** The first byte of a field's content: what this field may need decided now or at its end. */
  const startContent = (b: number, quoted: boolean) => {
    contentStart = p;
    fieldQuoted = quoted;
    pendingRule = DECIDED;
    if (escaping && startsFormula(b) && !isSign(b)) {
      ensure(1 + slack);
      out[p++] = APOSTROPHE;
      contentStart = p;
    } else if (escaping && isSign(b)) {
      pendingRule = SIGNED;
    } else if (longDigits && !quoted && isDigitByte(b) && asText?.[fields] !== false) {
      pendingRule = DIGITS;
    }
  };
  /** A content byte of an undecided field: decide early where the bytes already tell. */
  const contentByte = (b: number) => {
    if (pendingRule === SIGNED) {
      // Only digits . e E + - can still make a plain number.
      const numeric = isDigitByte(b) || b === 0x2e || b === 0x65 || b === 0x45 || isSign(b);
      if (!numeric) {
        insertAt(contentStart, APOSTROPHE);
        pendingRule = DECIDED;
      }
    } else if (pendingRule === DIGITS && p - contentStart > 64) {
      pendingRule = DECIDED;
    }
  };
  /** The field's content is out[contentStart, end): apply what was left to its end. */
  const finishField = () => {
    if (pendingRule === DECIDED) return;
    const end = fieldQuoted ? p - 1 : p;
    if (pendingRule === SIGNED) {
      if (!isPlainNumber(out, contentStart, end)) insertAt(contentStart, APOSTROPHE);
    } else if (isLongDigits(out, contentStart, end)) {
      insertAt(contentStart, WRAP_OPEN);
      ensure(WRAP_CLOSE.length + slack);
      p += WRAP_CLOSE.copy(out, p);
    }
    pendingRule = DECIDED;
  };
  const endField = (b: number): boolean => {
    if (b === COMMA || b === LF) finishField();
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
  const encoder = o.encoder;
  /** UTF-8 bytes on, encoded when this stage encodes; `scratch` is reused after this returns. */
  const put = (stream: Transform, bytes: Buffer, scratch: boolean) => {
    let body = encoder ? encoder.write(bytes) : bytes;
    // An exact-size copy where the bytes are still the scratch buffer's.
    if (scratch && body.buffer === out.buffer) body = Buffer.from(body);
    if (body.length > 0) stream.push(body);
  };
  const emit = (stream: Transform) => {
    if (pendingHeader) {
      put(stream, pendingHeader, false);
      pendingHeader = undefined;
    }
    // A field still undecided stays for the next chunk, with its opening quote.
    const keep = pendingRule === DECIDED ? p : contentStart - (fieldQuoted ? 1 : 0);
    if (keep > 0) {
      put(stream, out.subarray(0, keep), true);
      out.copy(out, 0, keep, p);
      p -= keep;
      contentStart -= keep;
    }
  };

  /** Whether a record without quotes has a field that escaping or long digits may change. */
  const needsCellRules = (chunk: Buffer, from: number, lf: number): boolean => {
    if (!escaping && !longDigits) return false;
    let column = 0;
    for (let s = from; s < lf; column++) {
      const b = chunk[s] as number;
      if (escaping && startsFormula(b)) return true;
      if (longDigits && isDigitByte(b) && asText?.[column] !== false) return true;
      const comma = chunk.indexOf(COMMA, s);
      if (comma === -1 || comma >= lf) break;
      s = comma + 1;
    }
    return false;
  };

  /**
   * Where a record with quoted fields ends (its LF), if it can be copied as it is: every field
   * complete in this chunk, no empty string (`""`, written empty), and no field that escaping
   * or long digits may change. Otherwise -1, and the byte-by-byte path takes it.
   */
  const quotedRecordEnd = (chunk: Buffer, from: number): number => {
    const n = chunk.length;
    let s = from;
    for (let column = 0; ; column++) {
      let b = chunk[s] as number;
      if (b === QUOTE) {
        const first = chunk[s + 1];
        if (first === undefined) return -1;
        if (first === QUOTE && (chunk[s + 2] === COMMA || chunk[s + 2] === LF)) return -1;
        if (escaping && startsFormula(first)) return -1;
        // The closing quote: the first one not doubled.
        let q = s + 1;
        for (;;) {
          q = chunk.indexOf(QUOTE, q);
          if (q === -1 || q + 1 >= n) return -1;
          if (chunk[q + 1] !== QUOTE) break;
          q += 2;
        }
        s = q + 1;
      } else {
        if (escaping && startsFormula(b)) return -1;
        if (longDigits && isDigitByte(b) && asText?.[column] !== false) return -1;
        while (s < n && b !== COMMA && b !== LF) b = chunk[++s] as number;
        if (s >= n) return -1;
      }
      b = chunk[s] as number;
      if (b === LF) return s;
      if (b !== COMMA) return -1;
      s += 1;
      if (s >= n) return -1;
    }
  };

  let nextQuote = -1;
  const scan = (stream: Transform, chunk: Buffer, done: TransformCallback) => {
    nextQuote = -2;
    ensure(chunk.length + 64);
    // A record carried over from the last chunk needs room for all of this one, as a record
    // starting here gets below: insertAt reserves this much beyond what it adds.
    slack = 24 + chunk.length + 4;
    for (let i = 0; i < chunk.length; i++) {
      // Inside this loop writes need no bounds checks: see the ensure at each record start.
      // Fast path: a whole record in this chunk that needs no rewriting is copied as it is.
      if (atRecordStart && width !== -1 && width <= rowWidth && !noColumns) {
        let lf = chunk.indexOf(LF, i);
        if (lf !== -1) {
          // The next quote, found once per chunk rather than searched for to the chunk's end
          // again at every record when there is none.
          if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
          if (nextQuote === -1 || nextQuote > lf) {
            if (needsCellRules(chunk, i, lf)) lf = -1;
          } else lf = quotedRecordEnd(chunk, i);
          if (lf !== -1) {
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
        slack = 24 + chunk.length - i + 4;
        ensure(slack);
        nextRow();
      }
      switch (state) {
        case FIELD_START:
        case UNQUOTED:
          if (endField(b)) break;
          if (b === QUOTE && state === FIELD_START) {
            state = OPENED;
          } else {
            if (state === FIELD_START) startContent(b, false);
            else if (pendingRule !== DECIDED) contentByte(b);
            out[p++] = b;
            state = UNQUOTED;
          }
          break;
        case OPENED:
          if (b === QUOTE) {
            state = OPENED_QUOTE;
          } else {
            out[p++] = QUOTE;
            startContent(b, true);
            out[p++] = b;
            state = QUOTED;
          }
          break;
        case OPENED_QUOTE:
          if (b === QUOTE) {
            // `"""`: a value that starts with a quote.
            out[p++] = QUOTE;
            contentStart = p;
            fieldQuoted = true;
            pendingRule = DECIDED;
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
            if (pendingRule !== DECIDED) contentByte(b);
            out[p++] = b;
          }
          break;
        case QUOTE_IN_QUOTED:
          if (b === QUOTE) {
            if (pendingRule !== DECIDED) contentByte(QUOTE);
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
    // up to a limit (a first record of hundreds of MB would otherwise be held whole). A
    // continuation has no header to put first, so holds nothing (nor fails where the whole
    // file, whose first record this is not, would pass).
    if (width === -1 && !continuation) {
      if (p > MAX_FIRST_RECORD_BYTES) {
        done(new ValueTooLarge(1, fields + 1, MAX_FIRST_RECORD_BYTES));
        return;
      }
      done();
      return;
    }
    emit(stream);
    done();
  };

  const writer = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      if (columnsKnown) return scan(this, chunk, done);
      // The columns are known before the first byte of the result: wait for them once.
      o.columns?.then((cols) => {
        asText = cols.map((c) => c.kind === "text");
        noColumns = cols.length === 0;
        columnsKnown = true;
        scan(this, chunk, done);
      }, done);
    },
    flush(done: TransformCallback) {
      // No rows: the title line alone, as the row path writes it; a continuation adds nothing.
      if (rows === 0 && o.header.length > 0 && !continuation)
        put(this, headerBytes(o.header.length), false);
      else emit(this);
      const rest = encoder?.end();
      if (rest && rest.length > 0) this.push(rest);
      done();
    },
  });
  return { stages: [writer], rowCount: () => rows };
}
