import { Transform, type TransformCallback } from "node:stream";
import iconv from "iconv-lite";
import { type EntryMarker, isEntryMarker } from "../entries.js";
import { encodeGb18030FromUtf8, splitHighSurrogate } from "./gb18030.js";
import { wholeCharacters } from "./utf8-chunks.js";

/** How text files are written. */
export type TextEncoding = "gb18030" | "utf8-bom" | "utf8";
export const TEXT_ENCODINGS: readonly TextEncoding[] = ["gb18030", "utf8-bom", "utf8"];

/**
 * Text in, bytes out. GB18030 covers all of Unicode (characters outside the BMP take four
 * bytes), so nothing is lost, and Excel on Chinese Windows opens it without garbling.
 *
 * With `entries`, entry markers (format.ts, "the entry protocol") pass through in order,
 * both sides in object mode: the text before a marker is encoded whole, and each entry of a
 * UTF-8 with BOM export starts with its own BOM (each is a file of its own).
 */
export function createEncoder(
  encoding: TextEncoding,
  o: { entries?: boolean } & BomOption = {},
): Transform {
  const text = createTextEncoder(encoding, o);
  const entries = o.entries ?? false;
  // Whether an entry has begun (a marker or text), so a first marker ends nothing.
  let begun = false;
  return new Transform({
    decodeStrings: false,
    writableObjectMode: entries,
    readableObjectMode: entries,
    ...(entries ? { writableHighWaterMark: 1, readableHighWaterMark: 1 } : {}),
    transform(chunk: string | Buffer | EntryMarker, _enc, done: TransformCallback) {
      if (entries && isEntryMarker(chunk)) {
        const rest = begun ? text.end() : Buffer.alloc(0);
        if (rest.length > 0) this.push(rest);
        begun = true;
        done(null, chunk);
        return;
      }
      begun = true;
      const bytes = text.write(chunk as string | Buffer);
      done(null, bytes.length > 0 ? bytes : undefined);
    },
    flush(done: TransformCallback) {
      const rest = text.end();
      done(null, rest.length > 0 ? rest : undefined);
    },
  });
}

/**
 * One entry's text to bytes: write each chunk, end at the entry's end (then start afresh). A
 * Buffer written may be returned as it is (UTF-8 out), so a caller reusing it copies.
 */
export interface TextEncoder {
  write(chunk: string | Buffer): Buffer;
  end(): Buffer;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * UTF-8 out as it came in, checked: bytes that are not UTF-8 (a name in PostgreSQL's shared
 * catalogs keeps the encoding of the database it was made in, and COPY sends it unconverted)
 * are written as a decoder reads them, U+FFFD per bad sequence, as the row path's strings hold
 * them. A character cut off at a chunk's end waits for the next chunk.
 */
function utf8Encoder(bom: boolean): TextEncoder {
  let first = true;
  let carry: Buffer | undefined;
  return {
    write(chunk) {
      const r = wholeCharacters(
        typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk,
        carry,
      );
      carry = r.carry;
      const buf = r.valid ? r.body : Buffer.from(r.body.toString("utf8"), "utf8");
      if (first && bom) {
        first = false;
        return Buffer.concat([BOM, buf]);
      }
      first = false;
      return buf;
    },
    end() {
      // A character cut off at the very end: what a decoder makes of it. An empty export (or
      // entry) in UTF-8 with BOM is still marked as UTF-8.
      const cut = carry ? Buffer.from(carry.toString("utf8"), "utf8") : Buffer.alloc(0);
      const rest = first && bom ? BOM : cut;
      first = true;
      carry = undefined;
      return rest;
    },
  };
}

/** Text (UTF-8 Buffers from the CSV layout or a COPY, or strings) in, GB18030 out; see gb18030.ts. */
function gb18030Encoder(): TextEncoder {
  let carry = "";
  let carryBytes: Buffer | undefined;
  return {
    write(chunk) {
      if (typeof chunk === "string") {
        // Via UTF-8 bytes: Buffer.from is native, and the byte encoder is faster than
        // walking a concatenated string (npm run bench). A high surrogate at the very end
        // waits for its pair in the next chunk.
        const [text, rest] = splitHighSurrogate(carry + chunk);
        carry = rest;
        return encodeGb18030FromUtf8(Buffer.from(text, "utf8")).bytes;
      }
      const r = encodeGb18030FromUtf8(chunk, carryBytes);
      carryBytes = r.carry;
      return r.bytes;
    },
    end() {
      // A character cut off at the very end: what a decoder would make of it.
      const rest = (carryBytes ? carryBytes.toString("utf8") : "") + carry;
      carry = "";
      carryBytes = undefined;
      return rest === "" ? Buffer.alloc(0) : iconv.encode(rest, "gb18030");
    },
  };
}

export interface BomOption {
  /**
   * Whether UTF-8 with BOM output starts with its BOM (default true). False for a file's
   * continuation (WriterOptions.continueAt): its bytes follow the first slice's, which has it.
   */
  bom?: boolean;
}

/** The encoder itself, for a stage that encodes its own output (csv/copy-csv.ts). */
export function createTextEncoder(encoding: TextEncoding, o: BomOption = {}): TextEncoder {
  return encoding === "gb18030"
    ? gb18030Encoder()
    : utf8Encoder(encoding === "utf8-bom" && (o.bom ?? true));
}

/** The charset parameter of a Content-Type for this encoding. */
export function charsetOf(encoding: TextEncoding): string {
  return encoding === "gb18030" ? "GB18030" : "utf-8";
}
